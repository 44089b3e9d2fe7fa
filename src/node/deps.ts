// The seams of a RaftNode, as hashicorp/raft has them: its storage, its peer
// transport, its clock and its randomness are handed in (NodeDeps), so the
// same node runs over SQLite, TCP and Node's timers in production
// (RaftNode.start) and over a simulated disk, network and clock in tests
// (RaftNode.create). Each interface is exactly what RaftNode uses of the
// production class, with the same signatures, so those classes satisfy it as they are.

import type { Entry, Message, NodeId, Rand, RaftConfig, SnapshotMeta } from '../raft/index.js';
import type { CapturedSnapshot, LoadedState, PersistRequest, SessionRow } from '../storage/types.js';
import type { KvWrite } from '../common/kv-write.js';
import type { LinkFilter } from '../transport/link-filter.js';
import type { InboundStats, PeerStats } from '../transport/tcp-transport.js';
import type { Clock } from './clock.js';
import type { KvCommand, KvResult, KvState } from './kv-state.js';

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
  applyBatch(writes: readonly KvWrite[], sessions: readonly SessionRow[], appliedIndex: number, expiredSessions?: readonly string[]): Promise<void>;
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
/** One peer link as the node's status and metrics show it. */
export type LinkStats = PeerStats & { receivedBytes: number };

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
  /** Per peer link: state, traffic and reconnects (TCP only; the simulator's transports have none). */
  linkStats?(): Record<NodeId, LinkStats>;
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

/**
 * Which keys this node may serve (NodeOptions.keyGuard): a node of a sharded
 * cluster refuses the keys of other shards (shard/shard-guard.ts is the one the
 * startup wiring builds); a node without one serves every key. Each check
 * throws a NodeError for the first key refused.
 */
export interface KeyGuard {
  /** The name of what this node serves, shown in its status (the shard's id). */
  readonly shard: string;
  /** Every key a command touches, before it is proposed or forwarded. */
  checkCommand(cmd: KvCommand): void;
  /** The keys a read is about to read. */
  check(keys: Iterable<string>): void;
}

/**
 * For the deterministic simulator's checkers (test/sim/), which run the
 * production node and must see what it applies without re-implementing it:
 * NodeOptions.observer. Production passes none, and then nothing is called.
 * Calls are synchronous, from inside the node: an observer only reads.
 */
export interface NodeObserver {
  /** `entry` was applied; `result` is the state machine's answer (undefined for a no-op), `kv` the state right after it. */
  applied(entry: Entry, result: KvResult | undefined, kv: KvState): void;
  /** The state was replaced by a snapshot received from the leader, taken at `index`. */
  restored(index: number, kv: KvState): void;
  /** A linearizable read got its ReadIndex context (called inside RaftNode.read / readBarrier, before it returns). */
  readStarted(context: number): void;
  /** ReadIndex confirmed the read with context `context` at `index`. */
  readConfirmed(context: number, index: number): void;
}

/**
 * Knobs of the consensus core a node may be created with (NodeOptions.core).
 * Production leaves them at the core's defaults; the simulator varies them by
 * seed, and its mutants need some (no pre-vote, one entry per message) to show.
 */
export type CoreTuning = Partial<Pick<RaftConfig, 'preVote' | 'checkQuorum' | 'maxMsgEntries' | 'maxInflightMsgs' | 'maxApplyBytes'>>;
