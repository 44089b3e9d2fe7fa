import type { NodeId, Rand } from './types.js';

export interface RaftConfig {
  id: NodeId;
  /** The source of randomized election timeouts. */
  rand: Rand;
  /**
   * Voters of a brand-new cluster. Used only when the node starts with no
   * persisted state: the core then writes one AddVoter entry per id at term 1
   * (identical on every founding node), so a node that joins later learns the
   * founding configuration from the log. A joining node passes nothing.
   */
  bootstrap?: NodeId[];
  /** Opaque per-founder context written into the bootstrap entries (the runtime puts addresses there). */
  bootstrapContext?: Record<NodeId, string>;
  /** An election timeout is drawn uniformly from [min, max) ticks. */
  electionTicks?: [number, number];
  heartbeatTicks?: number;
  /** Campaign in two phases so a node cut off from the others cannot bump the term. */
  preVote?: boolean;
  /** A leader that has not heard from a majority for an election timeout steps down. */
  checkQuorum?: boolean;
  /** Most entries in one App message. */
  maxMsgEntries?: number;
  /** Most entry bytes in one App message (one entry always fits). */
  maxMsgBytes?: number;
  /** Most App messages in flight to one follower. */
  maxInflightMsgs?: number;
  /** Most entry bytes in flight to one follower. */
  maxInflightBytes?: number;
  /** Proposals fail with BUSY once this many bytes are appended but not committed. */
  maxUncommittedBytes?: number;
  /** Most bytes of committed entries handed out by one ready(). */
  maxApplyBytes?: number;
  /** Size of one InstallSnapshot chunk. */
  snapshotChunkBytes?: number;
  /** Entries kept behind a snapshot when the log is compacted, so slow followers can still catch up by log. */
  compactionTrailing?: number;
  /** Raft events (elections, leader changes, snapshots, membership), one call each. */
  logger?: RaftLogger;
}

export type RaftLogger = (event: string, fields: Record<string, unknown>) => void;

export type ResolvedConfig = Required<Omit<RaftConfig, 'bootstrap' | 'bootstrapContext' | 'logger'>> & Pick<RaftConfig, 'bootstrap' | 'bootstrapContext' | 'logger'>;

export const DEFAULTS = {
  electionTicks: [10, 20] as [number, number],
  heartbeatTicks: 1,
  preVote: true,
  checkQuorum: true,
  maxMsgEntries: 256,
  maxMsgBytes: 1 << 20,
  maxInflightMsgs: 256,
  maxInflightBytes: 32 << 20,
  maxUncommittedBytes: 64 << 20,
  maxApplyBytes: 16 << 20,
  snapshotChunkBytes: 1 << 20,
  compactionTrailing: 5000,
};

export function resolveConfig(cfg: RaftConfig): ResolvedConfig {
  const r: ResolvedConfig = { ...DEFAULTS, ...stripUndefined(cfg) } as ResolvedConfig;
  const [emin, emax] = r.electionTicks;
  if (!r.id) throw new Error('raft config: id is required');
  if (!(Number.isInteger(r.heartbeatTicks) && r.heartbeatTicks >= 1)) throw new Error('raft config: heartbeatTicks must be an integer >= 1');
  if (!(Number.isInteger(emin) && Number.isInteger(emax) && emin > r.heartbeatTicks && emax > emin)) {
    throw new Error(`raft config: electionTicks must be integers [min, max) with heartbeatTicks < min < max, got [${emin}, ${emax}]`);
  }
  for (const k of ['maxMsgEntries', 'maxMsgBytes', 'maxInflightMsgs', 'maxInflightBytes', 'maxUncommittedBytes', 'maxApplyBytes', 'snapshotChunkBytes'] as const) {
    if (!(r[k] >= 1)) throw new Error(`raft config: ${k} must be >= 1`);
  }
  if (!(r.compactionTrailing >= 0)) throw new Error('raft config: compactionTrailing must be >= 0');
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
