import type { Envelope, KvCommand, KvResult, KvState } from '../node/kv-state.js';
import type { Health } from '../node/health.js';
import type { RequestMeter } from '../node/request-meter.js';
import type { WatchHub } from '../node/watch-hub.js';
import type { MemberAddrs, NodeStatus, ReadLevel } from '../node/types.js';

/** The one small interface both fronts (HTTP, RESP) use to reach their node. */
export interface NodeApi {
  readonly id: string;
  /** Replicate a command (forwarded to the leader from a follower). */
  propose(cmd: KvCommand): Promise<KvResult>;
  /** A forwarded command, with its client session; this node must lead. */
  proposeLocal(env: Envelope): Promise<KvResult>;
  /** Resolves when a read at `level` of `keys` may be served from `kv` (refuses keys of another shard). */
  readBarrier(level: ReadLevel, keys?: readonly string[]): Promise<void>;
  readonly kv: KvState;
  /** True on the router: its `kv` holds only the keys a read fetched, so whole-keyspace reads (KEYS, SCAN) cannot run on it. */
  readonly partial?: boolean;
  /** Changes applied here, for GET /watch (absent on the router). */
  readonly watch?: WatchHub;
  status(): NodeStatus;
  join(id: string, addrs: MemberAddrs): Promise<{ alreadyMember: boolean }>;
  remove(id: string): Promise<void>;
  transferLeadership(to?: string): Promise<string>;
  /** HTTP address of a member, to forward admin requests to the leader. */
  httpOf(id: string): string | undefined;
  /** Where the fronts count their requests (absent: not metered). */
  readonly requests?: RequestMeter;
  /** GET /health: whether this node knows a leader and keeps up with the commit index. */
  health?(): Health;
  /** GET /metrics: Prometheus text. */
  metricsText?(): Promise<{ contentType: string; text: string }>;
}
