// The data the consensus core exchanges with its runtime and its peers.
// Everything here is plain data (structured-clone and msgpack friendly).

export type NodeId = string;

/** No node: "no vote", "no leader known". */
export const NONE: NodeId = '';

export enum EntryKind {
  /** A client command, opaque to the core. */
  Normal = 0,
  /** The no-op a new leader appends at the start of its term (data is empty). */
  Noop = 1,
  /** A membership change: data is an encoded ConfChange (see confchange.ts). */
  ConfChange = 2,
}

export interface Entry {
  index: number;
  term: number;
  kind: EntryKind;
  data: Uint8Array;
}

/** What must be durable before a node answers votes or appends. */
export interface HardState {
  term: number;
  vote: NodeId;
  commit: number;
}

export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
  /** Ids removed from the cluster; they may never join again. */
  removed: NodeId[];
}

export enum ConfChangeType {
  AddVoter = 'add-voter',
  AddLearner = 'add-learner',
  PromoteLearner = 'promote',
  Remove = 'remove',
}

export interface ConfChange {
  type: ConfChangeType;
  node: NodeId;
  /** Opaque to the core; the runtime may carry an address here. */
  context?: string;
}

export interface SnapshotMeta {
  /** Last log index covered by the snapshot. */
  index: number;
  /** Term of the entry at `index`. */
  term: number;
  confState: ConfState;
  /** Size of the snapshot's bytes; chunks are cut from [0, size). */
  size: number;
}

export enum MessageType {
  PreVote = 'PreVote',
  PreVoteResp = 'PreVoteResp',
  Vote = 'Vote',
  VoteResp = 'VoteResp',
  App = 'App',
  AppResp = 'AppResp',
  Heartbeat = 'Heartbeat',
  HeartbeatResp = 'HeartbeatResp',
  Snap = 'Snap',
  SnapResp = 'SnapResp',
  TimeoutNow = 'TimeoutNow',
  ReadIndex = 'ReadIndex',
  ReadIndexResp = 'ReadIndexResp',
}

/**
 * One message between peers. Fields not used by a type are left at 0 / NONE /
 * undefined, so a message is cheap to encode.
 *
 * - Vote/PreVote: `index`,`logTerm` = candidate's last entry; `force` when it
 *   campaigns because of a leadership transfer (ignores leader leases).
 * - App: `index`,`logTerm` = entry preceding `entries`; `commit` = leader commit.
 * - AppResp: accepted → `index` = last index now matching. Rejected →
 *   `index` = the rejected App's `index`, `rejectHint` + `logTerm` = the
 *   follower's hint (its entry at rejectHint has term logTerm) for fast backtracking.
 * - Heartbeat(Resp): `context` = ReadIndex round (0: a plain heartbeat).
 * - Snap: `snapshot` = meta, `offset` = byte offset of `data`, `checksum` =
 *   crc32 of `data`, `last` when the chunk ends the snapshot. The leader's core
 *   emits Snap with `data` undefined and `chunkSize` set: the runtime cuts the
 *   bytes [offset, offset+chunkSize) of the snapshot at `snapshot.index` and
 *   fills them in with `fillSnapshotChunk` before sending.
 * - SnapResp: `index` = snapshot index, `offset` = next byte the follower
 *   expects (== size once installed), `reject` when the chunk was refused.
 * - ReadIndex(Resp): `context` = the requester's opaque read id, `index` = read index.
 */
export interface Message {
  type: MessageType;
  from: NodeId;
  to: NodeId;
  term: number;
  index: number;
  logTerm: number;
  commit: number;
  entries?: Entry[];
  reject?: boolean;
  rejectHint?: number;
  context?: number;
  force?: boolean;
  snapshot?: SnapshotMeta;
  offset?: number;
  chunkSize?: number;
  data?: Uint8Array;
  checksum?: number;
  last?: boolean;
}

export enum Role {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  role: Role;
  leader: NodeId;
}

/** A ReadIndex request that has been confirmed: once `applied >= index`, answer it. */
export interface ReadState {
  context: number;
  index: number;
}

/** A chunk of an incoming snapshot that the runtime must store durably. */
export interface SnapshotChunk {
  meta: SnapshotMeta;
  offset: number;
  data: Uint8Array;
  last: boolean;
}

/**
 * Work for the runtime, handed out by `RawNode.ready()`. Order of handling:
 *  1. send `messages` at once (they depend on nothing unpersisted);
 *  2. persist, atomically and durably: `snapshotChunk`; then, when
 *     `snapshot` is set, restore the state machine from the assembled
 *     snapshot and drop the stored log it covers (all of it unless
 *     `snapshotKeepsLog`); then `entries` (replacing any stored entry at the
 *     same or a higher index) and `hardState`;
 *  3. send `persistedMessages`;
 *  4. apply `committed` to the state machine, in order;
 *  5. answer `readStates` once the state machine reached their index;
 *  6. call `advance(ready)`.
 *
 * Which messages go out before persisting: only a leader's App, Heartbeat,
 * Snap and TimeoutNow (a leader may replicate in parallel with its own
 * write: its own entries only count toward commit after `advance`). Every
 * vote, every response and everything a non-leader sends waits for the disk.
 */
export interface Ready {
  softState?: SoftState;
  hardState?: HardState;
  entries: Entry[];
  snapshot?: SnapshotMeta;
  /** With `snapshot`: keep the stored log after the snapshot index (§7: the entry at snapshot.index matches). */
  snapshotKeepsLog: boolean;
  snapshotChunk?: SnapshotChunk;
  messages: Message[];
  persistedMessages: Message[];
  committed: Entry[];
  readStates: ReadState[];
  /** ReadIndex contexts that will never be confirmed here (leadership lost): fail them at once. */
  droppedReads: number[];
}

/** What the runtime read back from disk at start-up. */
export interface PersistedState {
  hardState: HardState;
  /** Latest snapshot the state machine was restored from / captured, if any. */
  snapshot?: SnapshotMeta;
  /** Stored log entries after the snapshot, contiguous. */
  entries: Entry[];
  /** Index the state machine has applied (>= snapshot.index). */
  applied: number;
}

/** A seeded source of randomness; the core never calls Math.random(). */
export interface Rand {
  /** A uniformly distributed integer in [0, n). */
  int(n: number): number;
}
