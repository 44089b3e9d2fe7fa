// The state a RaftNode's pieces share (drive-loop.ts, client-requests.ts,
// linearizable-reads.ts, applier.ts, snapshots.ts, membership.ts): each piece
// is handed this one object instead of reaching into the node, so what they
// share is written down here and nowhere else. Fields that change (the state
// machine after a snapshot install, the applied index, stopped, paused,
// failed) are read from here each time, never copied.

import type { RawNode } from '../raft/index.js';
import type { Limits } from '../common/limits.js';
import type { Clock } from './clock.js';
import type { KeyGuard, NodeStore, NodeTransport } from './deps.js';
import { nodeFailed, notLeader, shuttingDown, type NodeError } from '../common/errors.js';
import type { KvState } from './kv-state.js';
import type { Logger } from '../common/logger.js';
import type { NodeTallies } from './node-metrics.js';
import type { NodeOptions } from './node-options.js';
import type { WatchHub } from './watch-hub.js';

/** What the pieces ask of the drive loop (drive-loop.ts): run soon, or stop for good. */
export interface Driver {
  /** Schedule a turn of the drive loop (at most one pending). */
  kick(): void;
  /** The node cannot go on (a storage write failed): see DriveLoop.fail. */
  fail(e: unknown): void;
}

export class NodeContext {
  readonly id: string;
  readonly opts: NodeOptions;
  readonly raw: RawNode;
  readonly store: NodeStore;
  readonly transport: NodeTransport;
  readonly clock: Clock;
  readonly log: Logger;
  readonly tallies: NodeTallies;
  readonly limits: Limits;
  readonly requestTimeoutMs: number;
  readonly keyGuard: KeyGuard | undefined;
  readonly watch: WatchHub;
  /** The state machine: replaced whole when a snapshot is installed. */
  kv: KvState;
  /** The index of the last entry applied to `kv`. */
  applied: number;
  /** The index of the last snapshot taken or installed. */
  lastSnapshotIndex: number;
  /** The index of the last snapshot install handed to the store (its write may still be in flight). */
  installing = 0;
  /** When the node last heard from a leader (clock.now()). */
  lastContact: number;
  stopped = false;
  paused = false;
  /** Why the node failed, once it has. */
  fatal: Error | undefined;
  #driver: Driver | undefined;

  constructor(opts: NodeOptions, parts: { raw: RawNode; store: NodeStore; transport: NodeTransport; clock: Clock; tallies: NodeTallies; limits: Limits; watch: WatchHub; kv: KvState; applied: number; snapshotIndex: number }) {
    this.id = opts.id;
    this.opts = opts;
    this.raw = parts.raw;
    this.store = parts.store;
    this.transport = parts.transport;
    this.clock = parts.clock;
    this.log = opts.logger;
    this.tallies = parts.tallies;
    this.limits = parts.limits;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.keyGuard = opts.keyGuard;
    this.watch = parts.watch;
    this.kv = parts.kv;
    this.applied = parts.applied;
    this.lastSnapshotIndex = parts.snapshotIndex;
    this.lastContact = parts.clock.now();
  }

  /** The drive loop, once it is built (it is built over this context). */
  set driver(d: Driver) {
    this.#driver = d;
  }

  kick(): void {
    this.#driver!.kick();
  }

  fail(e: unknown): void {
    this.#driver!.fail(e);
  }

  /** Throws what a request must be told while the node has failed or is stopping. */
  checkUp(): void {
    if (this.fatal) throw nodeFailed(this.fatal.message);
    if (this.stopped) throw shuttingDown();
  }

  notLeaderError(): NodeError {
    return notLeader(this.raw.leader);
  }
}
