// The seams of a RaftNode, as hashicorp/raft has them: its storage, its peer
// transport, its clock and its randomness are handed in (NodeDeps), so the
// same node runs over SQLite, TCP and Node's timers in production
// (RaftNode.start) and over a simulated disk, network and clock in tests
// (RaftNode.create). Each interface is exactly what RaftNode uses of the
// production class, with the same signatures, so those classes satisfy it as they are.

import type { Message, NodeId, Rand, SnapshotMeta } from '../raft/index.js';
import type { CapturedSnapshot, KvWrite, LoadedState, PersistRequest, SessionWrite } from '../storage/types.js';
import type { LinkFilter } from '../transport/link-filter.js';
import type { InboundStats } from '../transport/tcp-transport.js';
import type { Clock } from './clock.js';

export type { Clock, TimerHandle } from './clock.js';

/**
 * The node's durable state: log, hard state, applied key-value state,
 * sessions and snapshots (SqliteStore in production). Calls take effect and
 * complete in the order they were made, and several may be in flight: the
 * write pipeline issues a persist per ready without waiting for the one
 * before, and its applyBatch calls are not awaited. A store may run calls
 * that queue up together as one transaction (SqliteStore's group commit).
 */
export interface NodeStore {
  /** Everything stored, as a restart reads it back. */
  load(): Promise<LoadedState>;
  /** One ready's worth: entries, hard state, a snapshot chunk received, a snapshot installed. */
  persist(rd: PersistRequest): Promise<void>;
  /** The state machine's writes for entries up to `appliedIndex`. */
  applyBatch(writes: readonly KvWrite[], sessions: readonly SessionWrite[], appliedIndex: number, expiredSessions?: readonly string[]): Promise<void>;
  /** A copy of the applied state, to send to followers that fell behind the log. */
  captureSnapshot(): Promise<CapturedSnapshot>;
  /** Bytes of the snapshot taken at `index`, for one chunk sent to a follower. */
  readSnapshotChunk(index: number, offset: number, length: number): Promise<Uint8Array>;
  /** The core accepted the captured snapshot: it is the one a restart starts from. */
  recordSnapshot(meta: SnapshotMeta): Promise<void>;
  /** Drop log entries up to `upTo` (inclusive). */
  compactLog(upTo: number): Promise<void>;
  close(): Promise<void>;
}

/** What the transport calls back into the node (TcpTransport's onMessage and onPeerDown). */
export interface TransportCallbacks {
  /** A message from a peer, already validated. */
  onMessage(m: Message): void;
  /** A hint that a peer is down (its connection closed). */
  onPeerDown(peer: NodeId): void;
}

/** The peer network (TcpTransport in production). */
export interface NodeTransport {
  /** Fault injection rules (cuts, loss, delay) the launcher and chaos runs set. */
  readonly filter: LinkFilter;
  start(): Promise<unknown>;
  /** Best effort, never blocks: Raft tolerates loss. */
  send(msgs: readonly Message[]): void;
  setPeer(id: NodeId, addr: string): void;
  removePeer(id: NodeId): void;
  /** What came in on the peer port and was not accepted (for /status). */
  inboundStats(): InboundStats;
  close(): Promise<void>;
}

/**
 * Builds the node's transport once its stored state says who the peers are
 * (peer id -> Raft address, this node excluded); the callbacks are the node's.
 */
export type TransportFactory = (peers: Record<NodeId, string>, callbacks: TransportCallbacks) => NodeTransport;

export interface NodeDeps {
  /** Opened, not yet loaded; the node owns it from here and closes it on stop (or if create fails). */
  store: NodeStore;
  transport: TransportFactory;
  clock: Clock;
  /** Randomized election timeouts. */
  rand: Rand;
}
