// The wire encoding of Raft messages: msgpack (msgpackr) of positional tuples.
//
// A frame carries either a hello (the first frame a dialer sends) or a batch:
//
//   hello: ['raftkv', 2, nodeId, clusterId, proof]
//
// where clusterId is the cluster's public id and proof = HMAC-SHA256 keyed
// with the cluster token of "hello <clusterId> <nodeId>", in hex
// (cluster-identity.ts): only a member can make a hello for a node id. The
// receiver checks it (hello-check.ts); the token itself never travels.
//
// A batch is an array of message tuples, checked field by field by
// validate.ts before the core sees them. A tuple lists a message's fields in
// a fixed order, so no key names travel and no record structures must be agreed on
// by both ends (msgpackr's shared structures would have to stay in step
// across reconnects and dropped frames; a fixed layout cannot drift):
//
//   [type, from, to, term, index, logTerm, commit, flags,
//    entries, rejectHint, context, snapshot, offset, chunkSize, data, checksum]
//
// Trailing absent fields are cut off, absent fields before a present one are
// nil. `flags` holds the three booleans, two bits each (present, value), so
// an absent boolean stays absent. `snapshot` is [index, term, size, voters,
// learners, removed]. `entries` is one flat array
//
//   [blob, index, term, kind, length, index, term, kind, length, ...]
//
// where `blob` is every entry's data end to end: one msgpack bin per message
// instead of one per entry, because msgpackr writes a small byte array several
// times slower than a number (measured: 64 entries x 16 B encode at ~30k
// msg/s with a bin per entry, ~140k with one blob). Byte arrays come back as
// plain Uint8Array views of the frame (no copy; a plain view is made 3-5x
// faster than a Buffer view, and the decoder makes one per entry).

import { Packr, Unpackr, RESERVE_START_SPACE } from 'msgpackr';
import { helloProof, type ClusterIdentity } from '../common/cluster-identity.js';
import { MessageType, type Entry, type Message, type NodeId, type SnapshotMeta } from '../raft/types.js';
import { badFrame, badHello } from './errors.js';
import { FRAME_HEADER_BYTES } from './framing.js';

/** Wire codes of message types. Append only: the position is the protocol. */
const TYPES: readonly MessageType[] = [
  MessageType.PreVote,
  MessageType.PreVoteResp,
  MessageType.Vote,
  MessageType.VoteResp,
  MessageType.App,
  MessageType.AppResp,
  MessageType.Heartbeat,
  MessageType.HeartbeatResp,
  MessageType.Snap,
  MessageType.SnapResp,
  MessageType.TimeoutNow,
  MessageType.ReadIndex,
  MessageType.ReadIndexResp,
];
const TYPE_CODE = new Map<MessageType, number>(TYPES.map((t, i) => [t, i]));

const HELLO_TAG = 'raftkv';
/** 2: the hello names the cluster and proves membership. */
export const PROTOCOL_VERSION = 2;
/** A hello is a few hundred bytes; a connection may send no larger first frame. */
export const MAX_HELLO_BYTES = 4096;

/** What a dialer says about itself; nothing in it is checked yet. */
export interface Hello {
  id: NodeId;
  clusterId: string;
  proof: string;
}

// Tuple positions.
const T_FLAGS = 7;
const T_ENTRIES = 8;
const T_REJECT_HINT = 9;
const T_CONTEXT = 10;
const T_SNAPSHOT = 11;
const T_OFFSET = 12;
const T_CHUNK_SIZE = 13;
const T_DATA = 14;
const T_CHECKSUM = 15;

// Flag bits: (present, value) per boolean.
const REJECT_SET = 1;
const REJECT = 2;
const FORCE_SET = 4;
const FORCE = 8;
const LAST_SET = 16;
const LAST = 32;

// One encoder and one decoder per thread. Plain msgpack: no records, no
// extensions; the Packr writes each frame after the previous one in its
// buffer and never overwrites a frame it handed out.
const packr = new Packr({ useRecords: false, moreTypes: false, structuredClone: false, useTimestamp32: false });
const unpackr = new Unpackr({ useRecords: false, moreTypes: false, structuredClone: false, mapsAsObjects: true, int64AsType: 'number' });

/** Encodes the messages as one complete frame (header included). */
export function encodeBatchFrame(msgs: readonly Message[]): Buffer {
  const tuples = new Array<unknown[]>(msgs.length);
  for (let i = 0; i < msgs.length; i++) tuples[i] = toTuple(msgs[i]!);
  return packFrame(tuples);
}

/** The first frame on every connection: who is dialing, of which cluster, and the proof that it is a member. */
export function encodeHelloFrame(id: NodeId, identity: ClusterIdentity): Buffer {
  return packFrame([HELLO_TAG, PROTOCOL_VERSION, id, identity.id, helloProof(identity, id)]);
}

/** Decodes a hello payload (its form only: see hello-check.ts for who may connect); throws TransportError. */
export function decodeHello(payload: Uint8Array): Hello {
  let v: unknown;
  try {
    v = unpackr.unpack(payload);
  } catch (e) {
    throw badHello(e instanceof Error ? e.message : String(e));
  }
  if (!Array.isArray(v) || v[0] !== HELLO_TAG) throw badHello('not a raftkv hello');
  if (v[1] !== PROTOCOL_VERSION) throw badHello(`protocol version ${typeof v[1] === 'number' ? v[1] : '?'}, this node speaks ${PROTOCOL_VERSION}`);
  if (v.length !== 5) throw badHello('not a raftkv hello');
  const [, , id, clusterId, proof] = v as unknown[];
  if (typeof id !== 'string' || id === '') throw badHello('no node id');
  if (typeof clusterId !== 'string' || clusterId === '') throw badHello('no cluster id');
  if (typeof proof !== 'string' || proof === '') throw badHello('no proof');
  return { id, clusterId, proof };
}

/** Decodes a batch payload; throws TransportError when it is not a well-formed batch. */
export function decodeBatch(payload: Uint8Array): Message[] {
  let v: unknown;
  try {
    v = unpackr.unpack(payload);
  } catch (e) {
    throw badFrame(e instanceof Error ? e.message : String(e));
  }
  if (!Array.isArray(v)) throw badFrame('a batch is not an array');
  const out = new Array<Message>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = fromTuple(v[i]);
  return out;
}

function packFrame(value: unknown): Buffer {
  const out = packr.pack(value, RESERVE_START_SPACE | FRAME_HEADER_BYTES);
  out.writeUInt32BE(out.length - FRAME_HEADER_BYTES, 0);
  return out;
}

function toTuple(m: Message): unknown[] {
  const code = TYPE_CODE.get(m.type);
  if (code === undefined) throw new TypeError(`unknown message type ${String(m.type)}`);
  let flags = 0;
  if (m.reject !== undefined) flags |= m.reject ? REJECT_SET | REJECT : REJECT_SET;
  if (m.force !== undefined) flags |= m.force ? FORCE_SET | FORCE : FORCE_SET;
  if (m.last !== undefined) flags |= m.last ? LAST_SET | LAST : LAST_SET;
  const t: unknown[] = [code, m.from, m.to, m.term, m.index, m.logTerm, m.commit, flags];
  if (m.entries !== undefined) t[T_ENTRIES] = flattenEntries(m.entries);
  if (m.rejectHint !== undefined) t[T_REJECT_HINT] = m.rejectHint;
  if (m.context !== undefined) t[T_CONTEXT] = m.context;
  if (m.snapshot !== undefined) t[T_SNAPSHOT] = snapshotTuple(m.snapshot);
  if (m.offset !== undefined) t[T_OFFSET] = m.offset;
  if (m.chunkSize !== undefined) t[T_CHUNK_SIZE] = m.chunkSize;
  if (m.data !== undefined) t[T_DATA] = m.data;
  if (m.checksum !== undefined) t[T_CHECKSUM] = m.checksum;
  // Holes left by absent fields must travel as nil, not as msgpackr's "undefined".
  for (let i = T_ENTRIES; i < t.length; i++) if (t[i] === undefined) t[i] = null;
  return t;
}

function flattenEntries(entries: readonly Entry[]): unknown[] {
  let total = 0;
  for (let i = 0; i < entries.length; i++) total += entries[i]!.data.length;
  const blob = Buffer.allocUnsafe(total);
  const flat = new Array<unknown>(1 + entries.length * 4);
  flat[0] = blob;
  for (let i = 0, j = 1, offset = 0; i < entries.length; i++, j += 4) {
    const e = entries[i]!;
    blob.set(e.data, offset);
    offset += e.data.length;
    flat[j] = e.index;
    flat[j + 1] = e.term;
    flat[j + 2] = e.kind;
    flat[j + 3] = e.data.length;
  }
  return flat;
}

function snapshotTuple(s: SnapshotMeta): unknown[] {
  return [s.index, s.term, s.size, s.confState.voters, s.confState.learners, s.confState.removed];
}

function fromTuple(t: unknown): Message {
  if (!Array.isArray(t) || t.length < T_ENTRIES) throw badFrame('a message is not a tuple');
  const type = TYPES[t[0] as number];
  if (type === undefined) throw badFrame(`unknown message type code ${String(t[0])}`);
  const flags = t[T_FLAGS] as unknown;
  if (typeof flags !== 'number') throw badFrame('flags are not a number');
  const m: Message = {
    type,
    from: str(t[1], 'from'),
    to: str(t[2], 'to'),
    term: num(t[3], 'term'),
    index: num(t[4], 'index'),
    logTerm: num(t[5], 'logTerm'),
    commit: num(t[6], 'commit'),
  };
  const n = t.length;
  if (n > T_ENTRIES && t[T_ENTRIES] !== null) m.entries = unflattenEntries(t[T_ENTRIES]);
  if (flags & REJECT_SET) m.reject = (flags & REJECT) !== 0;
  if (n > T_REJECT_HINT && t[T_REJECT_HINT] !== null) m.rejectHint = num(t[T_REJECT_HINT], 'rejectHint');
  if (n > T_CONTEXT && t[T_CONTEXT] !== null) m.context = num(t[T_CONTEXT], 'context');
  if (flags & FORCE_SET) m.force = (flags & FORCE) !== 0;
  if (n > T_SNAPSHOT && t[T_SNAPSHOT] !== null) m.snapshot = snapshotFrom(t[T_SNAPSHOT]);
  if (n > T_OFFSET && t[T_OFFSET] !== null) m.offset = num(t[T_OFFSET], 'offset');
  if (n > T_CHUNK_SIZE && t[T_CHUNK_SIZE] !== null) m.chunkSize = num(t[T_CHUNK_SIZE], 'chunkSize');
  if (n > T_DATA && t[T_DATA] !== null) m.data = view(bytes(t[T_DATA], 'data'));
  if (n > T_CHECKSUM && t[T_CHECKSUM] !== null) m.checksum = num(t[T_CHECKSUM], 'checksum');
  if (flags & LAST_SET) m.last = (flags & LAST) !== 0;
  return m;
}

function unflattenEntries(v: unknown): Entry[] {
  if (!Array.isArray(v) || v.length % 4 !== 1) throw badFrame('entries are not a blob and 4-tuples');
  const blob = bytes(v[0], 'entry data');
  const out = new Array<Entry>((v.length - 1) / 4);
  let offset = 0;
  for (let i = 0, j = 1; j < v.length; i++, j += 4) {
    const length = num(v[j + 3], 'entry length');
    if (!(length >= 0 && offset + length <= blob.length)) throw badFrame('entry lengths overrun the entry data');
    out[i] = { index: num(v[j], 'entry index'), term: num(v[j + 1], 'entry term'), kind: num(v[j + 2], 'entry kind'), data: new Uint8Array(blob.buffer, blob.byteOffset + offset, length) };
    offset += length;
  }
  if (offset !== blob.length) throw badFrame('entry lengths do not cover the entry data');
  return out;
}

function snapshotFrom(v: unknown): SnapshotMeta {
  if (!Array.isArray(v) || v.length !== 6) throw badFrame('snapshot meta is not a 6-tuple');
  return {
    index: num(v[0], 'snapshot index'),
    term: num(v[1], 'snapshot term'),
    size: num(v[2], 'snapshot size'),
    confState: { voters: ids(v[3], 'voters'), learners: ids(v[4], 'learners'), removed: ids(v[5], 'removed') },
  };
}

function num(v: unknown, field: string): number {
  if (typeof v !== 'number') throw badFrame(`${field} is not a number`);
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw badFrame(`${field} is not a string`);
  return v;
}

function bytes(v: unknown, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw badFrame(`${field} is not bytes`);
  return v;
}

/** msgpackr hands out Buffers; callers get plain Uint8Arrays over the same bytes. */
function view(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.length);
}

function ids(v: unknown, field: string): NodeId[] {
  if (!Array.isArray(v)) throw badFrame(`${field} is not a list`);
  for (const id of v) if (typeof id !== 'string') throw badFrame(`${field} holds a non-string id`);
  return v as NodeId[];
}
