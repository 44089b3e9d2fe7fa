// The front contract: what the HTTP and RESP fronts need of the server
// behind them, a node (start/node-front.ts) or the router
// (shard/router-front.ts). Four things: propose, read, status, admin; and a
// few optional capabilities only a node has.

import type { Envelope, KvCommand, KvResult, KvState } from '../node/kv-state.js';
import type { Health } from '../node/health.js';
import type { RequestMeter } from '../node/request-meter.js';
import type { ScanSource } from '../node/scan.js';
import type { WatchHub } from '../node/watch-hub.js';
import type { MemberAddrs, NodeStatus, ReadLevel } from '../node/types.js';

/**
 * The state a read runs on, read-only. A node's whole `KvState` is one; the
 * router's holds only the keys the read named, fetched from their shards,
 * and refuses what it cannot answer (a walk of the whole keyspace: KEYS,
 * SCAN; revisions and expiry) with an error that says so.
 */
export type KvView = Pick<KvState, 'now' | 'get' | 'has' | 'revision' | 'pttl' | 'deadline' | 'typedValue' | 'readTyped' | 'size'> & ScanSource;

/** What the fronts tell of the server they serve (INFO, HELLO, ROLE, GET /status, NOTLEADER's address). */
export interface FrontStatus {
  id: string;
  /** A Raft role ('leader', 'follower'...), or 'router'. */
  role: string;
  /** Who takes writes: the Raft leader ('' when none is known), or the router itself. */
  leader: string;
  leaderHttp: string;
  members: Record<string, MemberAddrs | undefined>;
  keys: number;
  /** The node's own Raft state; absent on the router, which keeps no log. */
  raft?: NodeStatus;
}

/** The Raft side of a node: membership, forwarded writes, where members are. Absent on the router. */
export interface FrontAdmin {
  join(id: string, addrs: MemberAddrs): Promise<{ alreadyMember: boolean }>;
  remove(id: string): Promise<void>;
  transferLeadership(to?: string): Promise<string>;
  /** A command a follower forwarded, with its client session; this node must lead. */
  proposeLocal(env: Envelope): Promise<KvResult>;
  /** HTTP address of a member, to send a request on to the leader. */
  httpOf(id: string): string | undefined;
}

/** What only some servers have. */
export interface FrontExtras {
  /** Where the fronts count their requests. */
  readonly requests?: RequestMeter;
  /** GET /metrics: Prometheus text. */
  metricsText?(): Promise<{ contentType: string; text: string }>;
  /** GET /health: whether this node knows a leader and keeps up with the commit index. */
  health?(): Health;
  /** Changes applied here: GET /watch, SUBSCRIBE. */
  readonly watch?: WatchHub;
  /** Call `fn` with the key of each push applied here (a blocked BLPOP wakes); returns how to stop. */
  onPush?(fn: (key: string) => void): () => void;
}

export interface Front {
  /** Replicate a command; resolves once it is applied. */
  propose(cmd: KvCommand): Promise<KvResult>;
  /**
   * Resolves to the state once a read at `level` of `keys` may be served from
   * it (a node refuses keys of another shard). Without `keys`: the whole
   * keyspace (scans). On a node this is its own state, never a new object.
   */
  read(level: ReadLevel, keys?: readonly string[]): Promise<KvView>;
  status(): FrontStatus;
  readonly admin?: FrontAdmin;
  readonly extras?: FrontExtras;
}

/** Whether clients may write here: a leader, or the router (which takes writes for every shard). To Redis clients it is a master. */
export function takesWrites(st: FrontStatus): boolean {
  return st.role === 'leader' || st.role === 'router';
}
