import type { Role, Status } from '../raft/index.js';
import type { LinkStats } from './deps.js';
import type { Traffic } from './request-meter.js';

export type ReadLevel = 'stale' | 'leader' | 'linearizable';
export const READ_LEVELS: readonly ReadLevel[] = ['stale', 'leader', 'linearizable'];

/** Where a member listens; replicated in the membership change that added it. */
export interface MemberAddrs {
  raft: string;
  http: string;
  resp?: string;
}

export function parseMemberAddrs(json: string): MemberAddrs | undefined {
  try {
    const a = JSON.parse(json) as Partial<MemberAddrs>;
    if (typeof a.raft === 'string' && typeof a.http === 'string') return { raft: a.raft, http: a.http, ...(typeof a.resp === 'string' ? { resp: a.resp } : {}) };
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * GET /status. The Raft fields are the consensus core's (its Status), as the
 * node reads them; `applied` is what the node's state machine applied.
 */
export interface NodeStatus
  extends Pick<Status, 'id' | 'term' | 'leader' | 'commit' | 'applied' | 'firstIndex' | 'lastIndex' | 'lastTerm' | 'snapshotIndex' | 'snapshotTerm' | 'confIndex' | 'progress'> {
  /** The core's Role, as it travels in JSON. */
  role: `${Role}`;
  leaderHttp: string;
  voters: string[];
  learners: string[];
  members: Record<string, MemberAddrs | undefined>;
  /** Milliseconds since the last message from a leader (0 on the leader). */
  lastContactMs: number;
  keys: number;
  paused: boolean;
  /** Why the node failed (a storage write failed), when it did: it then answers every request with this. */
  failed?: string;
  addrs: MemberAddrs;
  /** The node's shard, in a sharded cluster. */
  shard?: string;
  /** Peer-port input refused: connections (open, refused), messages dropped by validation or by the core, steps that failed. */
  peerInput?: { connections: number; dropped: number; refused: number; pendingBytes: number; impossibleDropped: number; stepFailures: number };
  /** Per peer link: connected, messages and bytes each way, drops, reconnects (empty where the transport keeps none). */
  links?: Record<string, LinkStats>;
  /** Client requests answered by this node's fronts so far, by kind, with their total seconds (for rates). */
  traffic?: Traffic;
  /** Which HTTP server answers (GET /status adds it: a native uWS build or node:http). */
  httpServer?: string;
}
