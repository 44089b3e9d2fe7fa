// Hostile input on the peer port, one case per input: strangers and other
// clusters are turned away at the hello, a member's impossible messages are
// dropped (counted, logged at warn, rate limited) without closing its
// connection, and nothing allocates at the size a header claims. After each,
// the healthy peer still gets through.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { clusterIdentity, helloProof } from '../../src/common/cluster-identity.js';
import { EntryKind, MessageType, type Message } from '../../src/raft/types.js';
import { encodeBatchFrame, encodeHelloFrame, PROTOCOL_VERSION } from '../../src/transport/codec.js';
import { frame } from '../../src/transport/framing.js';
import { contexts, healthyPair, meet, numbered, startNode, TEST_IDENTITY, waitFor, type TestNode } from './helpers.js';

const plain = new Packr({ useRecords: false });

/** A raw connection the test writes to; `closed` tells whether the server closed it. */
interface Raw {
  socket: net.Socket;
  write(...frames: Buffer[]): void;
  readonly closed: boolean;
  whenClosed: Promise<void>;
}

function connect(port: number): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let closed = false;
    const whenClosed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('close', () => (closed = true));
    socket.on('error', () => {}); // the server may reset it
    socket.on('data', () => {});
    socket.once('connect', () =>
      resolve({
        socket,
        write: (...frames) => {
          for (const f of frames) socket.write(f);
        },
        get closed() {
          return closed;
        },
        whenClosed,
      }),
    );
    socket.once('error', reject);
  });
}

/** The hello member `a` (a peer of b) sends. */
const memberHello = (): Buffer => encodeHelloFrame('a', TEST_IDENTITY);

/** A heartbeat from a to b whose fields are overridden (bad values included: the codec writes any number). */
const fromA = (n: number, over: Partial<Message> = {}): Message => ({ ...numbered('a', 'b', n), ...over });

describe('hostile input on the peer port', () => {
  const open: TestNode[] = [];
  const raws: Raw[] = [];
  after(async () => {
    for (const r of raws) r.socket.destroy();
    await Promise.all(open.map((n) => n.transport.close()));
  });

  /** b (the target) and a (its healthy peer), talking. */
  const setup = (bOpts: Parameters<typeof startNode>[2] = {}) => healthyPair(open, bOpts);

  async function raw(b: TestNode): Promise<Raw> {
    const r = await connect(b.port);
    raws.push(r);
    return r;
  }

  /** The warn line b logged when it closed a connection, matching `reason`. */
  const refusal = (b: TestNode, reason: RegExp) => b.logs.find((l) => l.event === 'transport closing inbound connection' && l.level === 'warn' && reason.test(String(l.fields.error)));

  /** Sends a hello and waits for b to close the connection, with `reason` logged. */
  async function refusedHello(b: TestNode, hello: Buffer, reason: RegExp): Promise<void> {
    const r = await raw(b);
    r.write(hello, encodeBatchFrame([fromA(99)]));
    await r.whenClosed;
    assert.ok(refusal(b, reason), `refusal logged: ${JSON.stringify(b.logs.filter((l) => l.level === 'warn').map((l) => l.fields.error))}`);
    assert.ok(!b.received.some((m) => m.context === 99), 'nothing after the refused hello was delivered');
  }

  it('unknown node id hello: closed, "not a peer"', async () => {
    const { b, check } = await setup();
    await refusedHello(b, encodeHelloFrame('mallory', TEST_IDENTITY), /node mallory is not a peer of this node/);
    await check(1);
  });

  it('own node id hello: closed', async () => {
    const { b, check } = await setup();
    await refusedHello(b, encodeHelloFrame('b', TEST_IDENTITY), /claims to be this node/);
    await check(1);
  });

  it('other cluster hello: closed, "another cluster"', async () => {
    const { b, check } = await setup();
    await refusedHello(b, encodeHelloFrame('a', clusterIdentity('some-other-cluster-token')), /another cluster/);
    await check(1);
    assert.equal(b.transport.inboundStats().refused, 1);
  });

  it('bad proof hello: closed (a wrong token, another node id, or garbage)', async () => {
    const { b, check } = await setup();
    const hello = (proof: string): Buffer => frame(plain.pack(['raftkv', PROTOCOL_VERSION, 'a', TEST_IDENTITY.id, proof]));
    // Made with another token but naming our cluster id (which is public).
    await refusedHello(b, hello(helloProof({ id: TEST_IDENTITY.id, token: 'a-guessed-token-1234' }, 'a')), /wrong proof for node a/);
    // A real member's proof, replayed for another id.
    await refusedHello(b, hello(helloProof(TEST_IDENTITY, 'b')), /wrong proof for node a/);
    await refusedHello(b, hello('00'), /wrong proof/);
    await check(1);
  });

  it('no hello within the timeout: closed', async () => {
    const { b, check } = await setup({ limits: { helloTimeoutMs: 150 } });
    const silent = await raw(b);
    const partial = await raw(b);
    partial.write(memberHello().subarray(0, 10)); // a hello that never completes
    await Promise.all([silent.whenClosed, partial.whenClosed]);
    assert.ok(refusal(b, /no hello within 150 ms/));
    await check(1);
  });

  it('a first frame larger than a hello: closed before anything is buffered', async () => {
    const { b, check } = await setup();
    const r = await raw(b);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1 << 20);
    r.write(header, Buffer.alloc(100));
    await r.whenClosed;
    assert.ok(b.logs.some((l) => l.fields.code === 'RAFTKV_ERR_FRAME_TOO_LARGE'));
    await check(1);
  });

  /**
   * Sends `bad` after a member's hello, then a good message on the same
   * connection: the bad ones are dropped (counted, warned), the connection
   * stays, the good one is delivered.
   */
  async function dropped(bad: Message[], reason: RegExp): Promise<TestNode> {
    const { b, check } = await setup();
    const r = await raw(b);
    r.write(memberHello(), encodeBatchFrame(bad), encodeBatchFrame([fromA(500)]));
    await waitFor(() => b.received.at(-1)?.context === 500, 'the good message after the bad ones');
    assert.equal(r.closed, false, 'the connection stays open');
    assert.equal(b.transport.inboundStats().dropped, bad.length);
    assert.deepEqual(contexts(b.received), [0, 500], 'only the good message was delivered');
    const warned = b.logs.filter((l) => l.event === 'transport message dropped' && l.level === 'warn');
    assert.ok(warned.length > 0 && warned.every((l) => reason.test(String(l.fields.reason))), `reasons: ${warned.map((l) => l.fields.reason).join('; ')}`);
    await check(1);
    return b;
  }

  it('from ≠ hello id: dropped, the connection stays', async () => {
    await dropped([{ ...numbered('c', 'b', 7) }], /from is not the node that said hello/);
  });

  it('to ≠ self: dropped', async () => {
    await dropped([fromA(7, { to: 'c' })], /to is not this node/);
  });

  it('NaN term and indexes: dropped', async () => {
    await dropped([fromA(1, { term: NaN }), fromA(2, { index: NaN }), fromA(3, { logTerm: NaN }), fromA(4, { commit: NaN })], /not a non-negative safe integer/);
  });

  it('negative term and indexes: dropped', async () => {
    await dropped([fromA(1, { term: -1 }), fromA(2, { index: -5 }), fromA(3, { commit: -1 }), fromA(4, { rejectHint: -1 })], /not a non-negative safe integer/);
  });

  it('2^60 term and indexes: dropped', async () => {
    await dropped([fromA(1, { term: 2 ** 60 }), fromA(2, { index: 2 ** 60 }), fromA(3, { commit: 2 ** 60 }), fromA(4, { context: 2 ** 60 })], /not a non-negative safe integer/);
  });

  it('non-integer term and indexes: dropped', async () => {
    await dropped([fromA(1, { term: 1.5 }), fromA(2, { index: 0.1 }), fromA(3, { logTerm: 2.5 }), fromA(4, { offset: 1.5 }), fromA(5, { term: Infinity })], /not a non-negative safe integer/);
  });

  it('missing fields: a Snap without offset is dropped; a tuple without its term closes the connection as unreadable', async () => {
    const meta = { index: 5, term: 1, size: 10, confState: { voters: ['a', 'b'], learners: [], removed: [] } };
    const b = await dropped([fromA(1, { type: MessageType.Snap, snapshot: meta, data: new Uint8Array(2), checksum: 0 })], /Snap without offset/);
    const r = await raw(b);
    // [type, from, to, term=nil, ...]: the codec refuses it (a number field that is not a number).
    r.write(memberHello(), frame(plain.pack([[6, 'a', 'b', null, 0, 0, 0, 0]])));
    await r.whenClosed;
    assert.ok(refusal(b, /term is not a number/));
  });

  it('Snap without metadata: dropped', async () => {
    await dropped([fromA(1, { type: MessageType.Snap, offset: 0, data: new Uint8Array(3), checksum: 1, last: true })], /Snap without snapshot metadata/);
  });

  it('Snap beyond the limits (size, chunk, no voters): dropped', async () => {
    const meta = (over: object) => ({ index: 5, term: 1, size: 100, confState: { voters: ['a', 'b'], learners: [], removed: [] }, ...over });
    const snap = (m: object, data: Uint8Array, offset = 0): Message => fromA(1, { type: MessageType.Snap, snapshot: meta(m), offset, data, checksum: 0 });
    await dropped(
      [
        snap({ size: 2 ** 40 }, new Uint8Array(1)),
        snap({}, new Uint8Array(10), 95),
        snap({ size: 4 << 20 }, new Uint8Array(3 << 20)),
        snap({ confState: { voters: [], learners: [], removed: [] } }, new Uint8Array(1)),
        snap({ index: 0 }, new Uint8Array(1)),
      ],
      /snapshot|chunk/,
    );
  });

  it('entries with a gap: dropped', async () => {
    const entry = (index: number) => ({ index, term: 1, kind: EntryKind.Normal, data: new Uint8Array(1) });
    await dropped(
      [
        fromA(1, { type: MessageType.App, index: 4, logTerm: 1, entries: [entry(5), entry(7)] }),
        fromA(2, { type: MessageType.App, index: 4, logTerm: 1, entries: [entry(6)] }),
        fromA(3, { type: MessageType.App, index: 4, logTerm: 1, entries: [{ ...entry(5), kind: 9 as EntryKind }] }),
        fromA(4, { type: MessageType.App, index: 4, logTerm: 1, entries: [{ ...entry(5), term: 2 }] }),
      ],
      /entries are not contiguous|entry kind|entry terms/,
    );
  });

  it('a flood of bad messages: each counted, the warnings rate limited', async () => {
    const { b, check } = await setup();
    const r = await raw(b);
    const bad = Array.from({ length: 5000 }, (_, i) => fromA(i, { term: -1 }));
    r.write(memberHello(), encodeBatchFrame(bad), encodeBatchFrame([fromA(500)]));
    await waitFor(() => b.received.at(-1)?.context === 500, 'the good message');
    assert.equal(b.transport.inboundStats().dropped, 5000);
    const warned = b.logs.filter((l) => l.event === 'transport message dropped').length;
    assert.ok(warned <= 10, `${warned} warnings for 5000 drops`);
    await check(1);
  });

  it('oversize frame header: a member announcing 60 MiB and sending 10 bytes costs no 60 MiB', async () => {
    const { b, check } = await setup();
    const before = process.memoryUsage().arrayBuffers;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(60 << 20);
    const conns: Raw[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await raw(b);
      r.write(memberHello(), header, Buffer.alloc(10, 1));
      conns.push(r);
    }
    // Wait until b holds every one of those partial frames.
    await waitFor(() => b.transport.inboundStats().pendingBytes >= 8 * 14, 'the partial frames to arrive');
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 16 << 20, `array buffers grew by ${(grown / 2 ** 20).toFixed(1)} MiB for 8 x 60 MiB announced`);
    for (const r of conns) assert.equal(r.closed, false, 'under the frame limit: the connection waits for the rest');
    await check(1);
  });

  it('oversize frame header beyond maxPeerFrameBytes: closed', async () => {
    const { b, check } = await setup({ limits: { maxPeerFrameBytes: 1 << 20 } });
    const r = await raw(b);
    const header = Buffer.alloc(4);
    header.writeUInt32BE((1 << 20) + 1);
    r.write(memberHello(), header, Buffer.alloc(10));
    await r.whenClosed;
    assert.ok(refusal(b, /exceeds the limit/));
    await check(1);
  });

  it('connection flood past maxConnections: the excess is closed at once, the peers keep talking', async () => {
    const { a, b, check } = await setup({ limits: { maxConnections: 4, helloTimeoutMs: 60_000 } });
    // a's link to b is one of the four.
    const flood = await Promise.all(Array.from({ length: 20 }, () => raw(b)));
    await waitFor(() => flood.filter((r) => r.closed).length >= 17, 'the excess connections to be closed');
    assert.ok(b.transport.inboundStats().connections <= 4);
    assert.ok(b.transport.inboundStats().refused >= 17);
    const warned = b.logs.filter((l) => l.event.includes('too many connections'));
    assert.ok(warned.length >= 1 && warned.length <= 10, `${warned.length} warnings`);
    await check(1);
    // Once the flood goes away, a new peer connection is accepted again.
    for (const r of flood) r.socket.destroy();
    await waitFor(() => b.transport.inboundStats().connections === 1, 'the flood connections to go');
    a.transport.removePeer('b');
    a.transport.setPeer('b', b.addr);
    await check(2);
  });
});
