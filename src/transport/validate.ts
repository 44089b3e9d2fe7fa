// Every message from a peer is checked field by field before the core sees
// it. The codec only guarantees types (numbers are numbers, ids are
// strings); this checks what the core relies on: who sent it, to whom,
// numbers that are counts (no NaN, no negatives, no 2^60, no fractions),
// entries that form a piece of a log, and snapshots within our limits. A
// message that fails is dropped (the connection stays: see
// inbound-connection.ts).
//
// It runs for every message (~100k/s): no allocation on the way through, and
// the reasons are constant strings.

import { EntryKind, MessageType, type Entry, type Message, type NodeId, type SnapshotMeta } from '../raft/types.js';

export interface ValidationContext {
  /** This node: every message must be addressed to it. */
  self: NodeId;
  /** The node the connection's hello authenticated: every message must come from it. */
  peer: NodeId;
  /** Largest snapshot accepted (limits.maxSnapshotBytes). */
  maxSnapshotBytes: number;
  /** Largest snapshot chunk accepted (limits.snapshotChunkBytes, with slack for a leader configured larger). */
  maxChunkBytes: number;
}

const MESSAGE_TYPES: ReadonlySet<string> = new Set(Object.values(MessageType));
const MAX_CHECKSUM = 0xffffffff;

/** A count: a finite, non-negative, safe integer. */
function isCount(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function isOptionalCount(v: unknown): boolean {
  return v === undefined || isCount(v);
}

function isKnownKind(k: unknown): boolean {
  return k === EntryKind.Normal || k === EntryKind.Noop || k === EntryKind.ConfChange;
}

/** Why `m` must be dropped, or undefined when it may go to the core. */
export function validateMessage(m: Message, c: ValidationContext): string | undefined {
  if (m.from !== c.peer) return 'from is not the node that said hello on this connection';
  if (m.to !== c.self) return 'to is not this node';
  if (!MESSAGE_TYPES.has(m.type)) return 'unknown message type';
  if (!isCount(m.term) || !isCount(m.index) || !isCount(m.logTerm) || !isCount(m.commit)) return 'term, index, logTerm or commit is not a non-negative safe integer';
  if (!isOptionalCount(m.rejectHint) || !isOptionalCount(m.context) || !isOptionalCount(m.offset) || !isOptionalCount(m.chunkSize)) {
    return 'rejectHint, context, offset or chunkSize is not a non-negative safe integer';
  }
  if (m.checksum !== undefined && !(isCount(m.checksum) && m.checksum <= MAX_CHECKSUM)) return 'checksum is not a 32-bit unsigned integer';
  if (m.entries !== undefined) {
    if (m.type !== MessageType.App) return 'entries on a message other than App';
    const why = checkEntries(m, m.entries);
    if (why !== undefined) return why;
  }
  if (m.type === MessageType.Snap) return checkSnap(m, c);
  if (m.snapshot !== undefined || m.data !== undefined) return 'snapshot data on a message other than Snap';
  return undefined;
}

/** Entries a leader sends: right after (index, logTerm), contiguous, of known kinds, terms rising from logTerm up to at most its own term. */
function checkEntries(m: Message, entries: readonly Entry[]): string | undefined {
  if (!Number.isSafeInteger(m.index + entries.length)) return 'entry indexes overflow';
  let term = m.logTerm;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.index !== m.index + 1 + i) return 'entries are not contiguous after index';
    if (!isCount(e.term) || e.term < term || e.term > m.term) return 'entry terms are not between logTerm and term, rising';
    if (!isKnownKind(e.kind)) return 'unknown entry kind';
    if (!(e.data instanceof Uint8Array)) return 'entry data is not bytes';
    term = e.term;
  }
  return undefined;
}

/** A Snap chunk: metadata of a real snapshot within our limits, and a chunk inside it. */
function checkSnap(m: Message, c: ValidationContext): string | undefined {
  const s = m.snapshot;
  if (s === undefined) return 'Snap without snapshot metadata';
  const why = checkMeta(s, m.term, c.maxSnapshotBytes);
  if (why !== undefined) return why;
  if (m.offset === undefined) return 'Snap without offset';
  const length = m.data === undefined ? 0 : m.data.byteLength;
  if (length > c.maxChunkBytes) return 'snapshot chunk larger than the chunk limit';
  if (m.offset + length > s.size) return 'snapshot chunk beyond the snapshot size';
  if (m.data !== undefined && !(m.data instanceof Uint8Array)) return 'snapshot data is not bytes';
  return undefined;
}

function checkMeta(s: SnapshotMeta, term: number, maxBytes: number): string | undefined {
  if (!isCount(s.index) || s.index < 1) return 'snapshot index is not a positive safe integer';
  // Its last entry is in the sender's log, so of a term it has seen.
  if (!isCount(s.term) || s.term < 1 || s.term > term) return 'snapshot term is not between 1 and the message term';
  if (!isCount(s.size)) return 'snapshot size is not a non-negative safe integer';
  if (s.size > maxBytes) return 'snapshot larger than the snapshot limit';
  const conf = s.confState;
  if (conf === undefined || conf === null) return 'snapshot without a configuration';
  if (!Array.isArray(conf.voters) || conf.voters.length === 0) return 'snapshot configuration has no voters';
  if (!areIds(conf.voters) || !areIds(conf.learners) || !areIds(conf.removed)) return 'snapshot configuration ids are not node ids';
  return undefined;
}

function areIds(ids: unknown): boolean {
  if (!Array.isArray(ids)) return false;
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (typeof id !== 'string' || id === '') return false;
  }
  return true;
}
