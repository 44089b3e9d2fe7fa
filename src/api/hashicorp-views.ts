// GET /raft/stats and GET /raft/cluster in the shapes hraftd served from
// hashicorp/raft, so scripts and jq one-liners written against it keep
// working: Stats() has every value as a string, and hraftd spelled its
// configuration out as objects. raftkv's own, richer view is GET /status.

import type { NodeStatus } from '../node/types.js';

/** hashicorp/raft's protocol and snapshot version numbers, as its Stats() reports them for its current release. */
const VERSIONS = { protocol_version: '3', protocol_version_min: '0', protocol_version_max: '3', snapshot_version_min: '0', snapshot_version_max: '1' } as const;

/** hashicorp/raft's RaftState names. A failed node has stopped its Raft activity: "Shutdown". */
export function hashicorpState(s: Pick<NodeStatus, 'role' | 'failed'>): string {
  if (s.failed !== undefined) return 'Shutdown';
  switch (s.role) {
    case 'leader':
      return 'Leader';
    case 'candidate':
    case 'pre-candidate':
      return 'Candidate';
    default:
      return 'Follower';
  }
}

export interface ConfigurationServer {
  id: string;
  address: string;
  suffrage: 'Voter' | 'Nonvoter';
}

/** Every value a string, but the configuration, which hraftd gave as a list. */
export type RaftStats = Record<string, string | ConfigurationServer[]>;

/** Every field of hashicorp/raft's Stats(), each a string, with the configuration as hraftd listed it. */
export function raftStats(s: NodeStatus): RaftStats {
  const peers = s.voters.includes(s.id) ? s.voters.filter((v) => v !== s.id).length : 0;
  return {
    state: hashicorpState(s),
    term: String(s.term),
    last_log_index: String(s.lastIndex),
    last_log_term: String(s.lastTerm),
    commit_index: String(s.commit),
    applied_index: String(s.applied),
    fsm_pending: String(Math.max(0, s.commit - s.applied)),
    last_snapshot_index: String(s.snapshotIndex),
    last_snapshot_term: String(s.snapshotTerm),
    ...VERSIONS,
    latest_configuration_index: String(s.confIndex),
    latest_configuration: [
      ...s.voters.map((id): ConfigurationServer => ({ id, address: s.members[id]?.raft ?? '', suffrage: 'Voter' })),
      ...s.learners.map((id): ConfigurationServer => ({ id, address: s.members[id]?.raft ?? '', suffrage: 'Nonvoter' })),
    ],
    num_peers: String(peers),
    last_contact: s.role === 'leader' ? '0' : goDuration(s.lastContactMs),
  };
}

export interface ClusterServer {
  id: string;
  address: string;
  state: string;
}

/** hraftd's GET /raft/cluster: this node, the leader (null while there is none) and every member. */
export function raftCluster(s: NodeStatus): { current: ClusterServer; leader: ClusterServer | null; servers: ClusterServer[] } {
  const server = (id: string): ClusterServer => ({
    id,
    address: id === s.id ? s.addrs.raft : (s.members[id]?.raft ?? ''),
    // What this node knows: its own state, and who leads; the others follow.
    state: id === s.id ? hashicorpState(s) : id === s.leader ? 'Leader' : 'Follower',
  });
  const servers = [...s.voters, ...s.learners].map(server);
  return { current: server(s.id), leader: s.leader ? server(s.leader) : null, servers };
}

/** A duration as Go's time.Duration.String() prints it: "0s", "850µs", "3.685538ms", "1.5s", "2m3.04s", "1h0m0s". */
export function goDuration(ms: number): string {
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  ns = Math.abs(ns);
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${decimal(ns, 3)}µs`;
  if (ns < 1e9) return `${sign}${decimal(ns, 6)}ms`;
  const h = Math.floor(ns / 3.6e12);
  const m = Math.floor((ns % 3.6e12) / 6e10);
  const s = decimal(ns % 6e10, 9);
  if (h > 0) return `${sign}${h}h${m}m${s}s`;
  if (m > 0) return `${sign}${m}m${s}s`;
  return `${sign}${s}s`;
}

/** n / 10^digits, with the fraction's trailing zeros (and a bare point) dropped. */
function decimal(n: number, digits: number): string {
  const unit = 10 ** digits;
  const fraction = String(n % unit).padStart(digits, '0').replace(/0+$/, '');
  return `${Math.floor(n / unit)}${fraction ? `.${fraction}` : ''}`;
}
