// What a node is made with: its identity, addresses, timing and the knobs
// of its core (NodeOptions, for RaftNode.create), and where a production
// node keeps its store (RaftNodeOptions, for RaftNode.start).

import type { Limits } from '../common/limits.js';
import type { TlsMaterial } from '../security/tls-material.js';
import type { CoreTuning, KeyGuard, NodeObserver } from './deps.js';
import type { Logger } from '../common/logger.js';
import type { MemberAddrs } from './types.js';

/** What a node is, whatever it runs on (RaftNode.create: the I/O comes in NodeDeps). */
export interface NodeOptions {
  id: string;
  addrs: MemberAddrs;
  /** The cluster's secret token (cluster-identity.ts): peers and node-to-node routes must show it. */
  clusterToken: string;
  /** Sizes and counts accepted from outside (the defaults where absent). */
  limits?: Partial<Limits>;
  /** The founding members (this node among them) of a new cluster; absent for a node that joins. */
  founders?: Record<string, MemberAddrs>;
  tickMs: number;
  heartbeatTicks: number;
  electionTicks: [number, number];
  snapshotEvery: number;
  compactionTrailing?: number;
  requestTimeoutMs?: number;
  logger: Logger;
  /** In a sharded cluster: refuses the keys of other shards (deps.ts; the startup wiring builds it). */
  keyGuard?: KeyGuard;
  /**
   * Deliberately broken, for proving the chaos checker can fail: serve
   * linearizable reads from local state without ReadIndex. Never set it otherwise.
   */
  unsafeStaleReads?: boolean;
  /** GET /health fails while the applied index trails the commit index by more than this (default 1000). */
  healthMaxApplyLag?: number;
  /** Called once if the node fails (a storage write failed): it then only answers why, until it is stopped. */
  onFail?: (reason: string) => void;
  /** Consensus core knobs (deps.ts); absent in production: the core's defaults. */
  core?: CoreTuning;
  /** Changes kept for watchers (GET /watch?from=): older revisions answer `compacted`. */
  watchHistory?: number;
  /** TLS: mutual TLS on the peer port, https (trusting only the cluster CA) for forwarded writes. */
  tls?: TlsMaterial;
  /** The simulator's view of what the node applies and reads (deps.ts); absent in production. */
  observer?: NodeObserver;
}

/** A production node (RaftNode.start): where its store lives, and the seed of its randomness. */
export interface RaftNodeOptions extends NodeOptions {
  /** This node's data directory. */
  dir: string;
  inMemory?: boolean;
  durability?: 'fsync' | 'os';
  /** How long apply batches are held to be written as one (storage OpenOptions.applyDelayMs); default DEFAULT_APPLY_DELAY_MS. */
  applyDelayMs?: number;
  seed?: number;
}
