// Hostile input for the peer (Raft) port: bytes that are no frame, frames
// that lie about their length, hellos of strangers (wrong cluster id,
// unknown node id, bad proof, malformed, the unauthenticated hello of
// protocol 1, none at all), and after a member's correct hello forged
// messages in the codec's tuple layout (codec.ts): `from` other than the
// hello's id, a wrong `to`, missing fields, NaN/negative/2^60/fractional
// terms and indexes, a Snap without its metadata, entries with gaps,
// well-formed messages at a STALE term, and a Heartbeat at the leader's own
// term sent to the leader (a second leader in one term: must be survived).
//
// Never generated: well-formed messages at a term above the target's, and
// Heartbeats at the current term to a follower, under a member's hello. A
// node that holds the cluster secret is trusted to speak Raft; no Raft
// implementation survives an authenticated byzantine peer (it could simply
// win an election and rewrite history), so such messages would test nothing
// but that, and would wreck the history the checker reads.

import { encodeHelloFrame } from '../../transport/codec.js';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { helloProof, type ClusterIdentity } from '../../common/cluster-identity.js';
import { frame } from '../../transport/framing.js';
import { deliveryArb, type GrammarContext, type HostileInput } from './common.js';

export interface PeerContext extends GrammarContext {
  identity: ClusterIdentity;
  /** The node the input goes to. */
  target: string;
  /** Every member of the target's Raft group (the target included). */
  members: readonly string[];
  /** The target's current term (as last seen), and whether it leads. */
  term: number;
  targetLeads: boolean;
}

// Wire codes, in codec.ts's TYPES order (the position is the protocol).
const T = { PreVote: 0, PreVoteResp: 1, Vote: 2, VoteResp: 3, App: 4, AppResp: 5, Heartbeat: 6, HeartbeatResp: 7, Snap: 8, SnapResp: 9, TimeoutNow: 10, ReadIndex: 11, ReadIndexResp: 12 } as const;
const ALL_TYPES = Object.values(T);
const NAMES = new Map<number, string>(Object.entries(T).map(([name, code]) => [code, name]));
const named = (code: number): string => NAMES.get(code) ?? `code ${code}`;
/** Types that carry no entries, data or snapshot: absurd numbers in them cannot smuggle a log in. */
const BARE_TYPES = [T.PreVote, T.PreVoteResp, T.Vote, T.VoteResp, T.AppResp, T.HeartbeatResp, T.SnapResp, T.ReadIndex, T.ReadIndexResp];
const HELLO_TAG = 'raftkv';
const PROTOCOL_V2 = 2;

// Plain msgpack, like the codec's own Packr; `undefined` never travels (holes are nil).
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, useTimestamp32: false });
const packFrame = (v: unknown): Buffer => frame(packr.pack(v));


type HelloKind = 'member' | 'legacy-v1' | 'none' | 'other-cluster' | 'unknown-id' | 'bad-proof' | 'malformed';

/** Who the input claims to be: the hello frame (or none) and the id it names. */
function helloArb(ctx: PeerContext): fc.Arbitrary<{ kind: HelloKind; from: string; bytes: Buffer }> {
  const others = ctx.members.filter((m) => m !== ctx.target);
  const member = fc.constantFrom(...(others.length > 0 ? others : ctx.members));
  const hex = fc.stringMatching(/^[0-9a-f]{16}$/);
  return fc.oneof(
    { weight: 6, arbitrary: member.map((id) => ({ kind: 'member' as const, from: id, bytes: encodeHelloFrame(id, ctx.identity) })) },
    // Protocol 1 had no proof: anyone could claim any id. It must be refused.
    { weight: 2, arbitrary: member.map((id) => ({ kind: 'legacy-v1' as const, from: id, bytes: packFrame([HELLO_TAG, 1, id]) })) },
    { weight: 1, arbitrary: member.map((id) => ({ kind: 'none' as const, from: id, bytes: Buffer.alloc(0) })) },
    { weight: 1, arbitrary: fc.tuple(member, hex).map(([id, cid]) => ({ kind: 'other-cluster' as const, from: id, bytes: packFrame([HELLO_TAG, PROTOCOL_V2, id, cid, helloProof({ id: cid, token: 'x'.repeat(16) }, id)]) })) },
    { weight: 1, arbitrary: fc.constantFrom('intruder', '', 'x'.repeat(10_000)).map((id) => ({ kind: 'unknown-id' as const, from: id, bytes: packFrame([HELLO_TAG, PROTOCOL_V2, id, ctx.identity.id, '0'.repeat(64)]) })) },
    {
      weight: 1,
      arbitrary: fc.tuple(member, fc.constantFrom('', '0'.repeat(64), 'zz', 'other')).map(([id, proof]) => ({
        kind: 'bad-proof' as const,
        from: id,
        // 'other': a real proof, but another member's.
        bytes: packFrame([HELLO_TAG, PROTOCOL_V2, id, ctx.identity.id, proof === 'other' ? helloProof(ctx.identity, ctx.target) : proof]),
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<unknown>(['redis', 2, 'a'], [HELLO_TAG, 3, 'a', ctx.identity.id, ''], [HELLO_TAG, PROTOCOL_V2, 5, ctx.identity.id, ''], [HELLO_TAG, PROTOCOL_V2, null, null, null], [HELLO_TAG], HELLO_TAG, {}, null, [HELLO_TAG, NaN, 'a'])
        .map((v) => ({ kind: 'malformed' as const, from: 'x', bytes: packFrame(v) })),
    },
  );
}

/** Absurd numbers for terms and indexes. */
const absurd = fc.constantFrom<unknown>(NaN, -1, -0, 2 ** 60, 1.5, Infinity, -Infinity, Number.MAX_VALUE, '5', null, true);
const smallIndex = fc.nat({ max: 1_000 });

/** A term below the target's: the message is old news and must be dropped (or answered), nothing more. */
function staleTermArb(ctx: PeerContext): fc.Arbitrary<number> {
  return ctx.term > 1 ? fc.integer({ min: 0, max: ctx.term - 1 }) : fc.constant(0);
}

/** A message tuple: [type, from, to, term, index, logTerm, commit, flags, entries, rejectHint, context, snapshot, ...]. */
function messageArb(ctx: PeerContext, helloFrom: string): fc.Arbitrary<{ what: string; tuple: unknown }> {
  const stale = staleTermArb(ctx);
  const others = ctx.members.filter((m) => m !== helloFrom);
  const strangerFrom = fc.constantFrom(...others, 'intruder', '');
  const wrongTo = fc.constantFrom(...ctx.members.filter((m) => m !== ctx.target), 'nobody', '');
  const base = (type: number, from: string, to: string, term: unknown, index: unknown = 0, logTerm: unknown = 0, commit: unknown = 0): unknown[] => [type, from, to, term, index, logTerm, commit, 0];
  const entriesWithGap = fc.tuple(smallIndex, fc.integer({ min: 2, max: 50 })).map(([i, gap]) => {
    const blob = Buffer.from('abcdef');
    return [blob, i + 1, 1, 0, 3, i + gap, 1, 99, 3];
  });
  const arbs: fc.Arbitrary<{ what: string; tuple: unknown }>[] = [
    fc.tuple(fc.constantFrom(...ALL_TYPES), stale, smallIndex, smallIndex).map(([type, term, index, commit]) => ({ what: `${named(type)} at stale term ${term}`, tuple: base(type, helloFrom, ctx.target, term, index, 0, commit) })),
    fc.tuple(fc.constantFrom(...ALL_TYPES), strangerFrom, stale).map(([type, from, term]) => ({ what: `${named(type)} from ${JSON.stringify(from)} (hello said ${helloFrom})`, tuple: base(type, from, ctx.target, term) })),
    fc.tuple(fc.constantFrom(...ALL_TYPES), wrongTo, stale).map(([type, to, term]) => ({ what: `${named(type)} to ${JSON.stringify(to)}`, tuple: base(type, helloFrom, to, term) })),
    fc.tuple(fc.constantFrom(...ALL_TYPES), fc.nat({ max: 7 })).map(([type, n]) => ({ what: `${named(type)} cut to ${n} fields`, tuple: base(type, helloFrom, ctx.target, 0).slice(0, n) })),
    fc
      .tuple(fc.constantFrom(...BARE_TYPES), absurd, absurd, absurd, absurd)
      .map(([type, term, index, logTerm, commit]) => ({ what: `${named(type)} term ${String(term)} index ${String(index)} logTerm ${String(logTerm)} commit ${String(commit)}`, tuple: base(type, helloFrom, ctx.target, term, index, logTerm, commit) })),
    // A Snap with no metadata at all (the tuple ends before the snapshot field)...
    fc.oneof(stale.map((t): unknown => t), absurd).map((term) => ({ what: `Snap without metadata at term ${String(term)}`, tuple: base(T.Snap, helloFrom, ctx.target, term, 5, 1, 5) })),
    // ...or with a broken one (entries, rejectHint and context nil before it).
    fc.oneof(stale.map((t): unknown => t), absurd).map((term) => ({
      what: `Snap with broken metadata at term ${String(term)}`,
      tuple: [...base(T.Snap, helloFrom, ctx.target, term, 5, 1, 5), null, null, null, [NaN, -1, 'big', 'voters', null, 5]],
    })),
    fc.tuple(stale, entriesWithGap).map(([term, entries]) => {
      const t = base(T.App, helloFrom, ctx.target, term, 0, 0, 0);
      t.push(entries);
      return { what: `App at stale term ${term} with gapped entries`, tuple: t };
    }),
    fc.constantFrom<unknown>(5, 'x', null, {}, [[]], [NaN]).map((t) => ({ what: `not a tuple: ${JSON.stringify(t)}`, tuple: t })),
    fc.integer({ min: 13, max: 300 }).map((code) => ({ what: `unknown type code ${code}`, tuple: base(code, helloFrom, ctx.target, 0) })),
  ];
  // Two leaders in one term: the leader must not fall over (it may step down, log, or ignore it).
  if (ctx.targetLeads && ctx.term > 0) {
    arbs.push(smallIndex.map((commit) => ({ what: `Heartbeat at the leader's own term ${ctx.term}`, tuple: base(T.Heartbeat, helloFrom, ctx.target, ctx.term, 0, 0, commit) })));
  }
  return fc.oneof(...arbs);
}

/** Frames that are no frames: random bytes, lying lengths, oversize headers, non-msgpack payloads. */
function brokenFramesArb(ctx: PeerContext): fc.Arbitrary<{ what: string; bytes: Buffer }> {
  const header = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0, 0);
    return b;
  };
  return fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 256 }).map((b) => ({ what: `random ${b.length} B`, bytes: Buffer.from(b) })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ what: `frame of ${b.length} random B`, bytes: frame(b) })),
    fc.integer({ min: 10, max: 4096 }).map((n) => ({ what: `header says ${n} B, ${Math.floor(n / 2)} sent`, bytes: Buffer.concat([header(n), Buffer.alloc(Math.floor(n / 2), 0x90)]) })),
    fc.constantFrom(ctx.limits.maxPeerFrameBytes + 1, 0xffffffff, 0x7fffffff).map((n) => ({ what: `header says ${n} B`, bytes: Buffer.concat([header(n), Buffer.alloc(16)]) })),
    fc.constant({ what: 'zero-length frame', bytes: header(0) }),
    fc.constant({ what: 'msgpack map', bytes: packFrame({ a: 1, b: [1, 2] }) }),
    fc.constant({ what: 'RESP on the peer port', bytes: Buffer.from('*1\r\n$4\r\nPING\r\n') }),
    fc.constant({ what: 'HTTP on the peer port', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') }),
  );
}

/** One connection's worth: a hello (or not), then batches of forged messages or broken frames. */
export function peerInputArb(ctx: PeerContext): fc.Arbitrary<HostileInput & { hello: HelloKind }> {
  const body = (from: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.array(messageArb(ctx, from), { minLength: 1, maxLength: 4 }).map((ms) => ({ what: ms.map((m) => m.what).join('; '), bytes: packFrame(ms.map((m) => m.tuple)) })) },
      { weight: 1, arbitrary: brokenFramesArb(ctx) },
    );
  return helloArb(ctx).chain((hello) =>
    fc.array(body(hello.from), { minLength: 1, maxLength: 3 }).chain((frames) =>
      deliveryArb(Buffer.concat([hello.bytes, ...frames.map((f) => f.bytes)])).map(({ how, chunks }) => ({
        listener: 'peer' as const,
        label: `peer ${how} to ${ctx.target}, hello ${hello.kind}${hello.kind === 'member' || hello.kind === 'legacy-v1' ? ` as ${hello.from}` : ''}: ${frames.map((f) => f.what).join(' || ')}`,
        chunks,
        hello: hello.kind,
      })),
    ),
  );
}
