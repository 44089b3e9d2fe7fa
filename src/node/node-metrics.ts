// A node's metrics: what RaftNode counts as it runs (plain numbers, added
// to where the node already works in batches: per ready, per apply batch,
// per write), and the prom-client registry that reads them, with the node's
// status, its peer links and its fronts' requests, when /metrics is scraped.

import { getHeapStatistics } from 'node:v8';
import { Registry } from 'prom-client';
import { MessageType, Role } from '../raft/index.js';
import type { LinkStats } from './deps.js';
import { DISK_BUCKETS, LatencyTally, TallyHistogram, metricsEnabled, one, scrapedCounter, scrapedGauge, type Labels } from './metric-tallies.js';
import type { RequestMeter } from './request-meter.js';
import { READ_LEVELS, type NodeStatus, type ReadLevel } from './types.js';

const MESSAGE_TYPES = Object.values(MessageType);
const ROLES = Object.values(Role);

function countsByType(): Record<MessageType, number> {
  return Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])) as Record<MessageType, number>;
}

export class NodeTallies {
  /** Whether durations are measured (RAFTKV_METRICS=off: the counters below still run, they are the status's too). */
  readonly timed = metricsEnabled();
  proposalsReceived = 0;
  proposalsCommitted = 0;
  proposalsFailed = 0;
  proposalsForwarded = 0;
  readonly reads: Record<ReadLevel, number> = { stale: 0, leader: 0, linearizable: 0 };
  leaderChanges = 0;
  preElections = 0;
  elections = 0;
  electionsWon = 0;
  readonly sent = countsByType();
  readonly received = countsByType();
  snapshotsTaken = 0;
  snapshotsSent = 0;
  snapshotsInstalled = 0;
  readonly persist = new LatencyTally(DISK_BUCKETS);
  readonly apply = new LatencyTally(DISK_BUCKETS);
  readonly snapshotTake = new LatencyTally(DISK_BUCKETS);
  readonly snapshotSend = new LatencyTally(DISK_BUCKETS);
  readonly snapshotInstall = new LatencyTally(DISK_BUCKETS);
}

/** What the registry reads from the node at scrape time. */
export interface NodeMetricsSource {
  readonly tallies: NodeTallies;
  readonly requests: RequestMeter | undefined;
  status(): NodeStatus;
  linkStats(): Record<string, LinkStats>;
  /** Approximate bytes of keys and values held. */
  dataBytes(): number;
}

/** The node's /metrics: every name under raftkv_, documented in README.md ("Metrics"). */
export function nodeRegistry(src: NodeMetricsSource): Registry {
  const r = new Registry();
  const t = src.tallies;
  // One status per scrape, shared by every gauge that reads it.
  let cached: { at: number; status: NodeStatus } | undefined;
  const status = (): NodeStatus => {
    const now = performance.now();
    if (!cached || now - cached.at > 50) cached = { at: now, status: src.status() };
    return cached.status;
  };
  const g = (name: string, help: string, read: () => number): void => scrapedGauge(r, name, help, [], () => one(read()));
  const c = (name: string, help: string, read: () => number): void => scrapedCounter(r, name, help, [], () => one(read()));

  g('raftkv_term', 'Current Raft term.', () => status().term);
  scrapedGauge(r, 'raftkv_role', 'This node\'s Raft role: 1 for the role it has, 0 for the others.', ['role'], () => ROLES.map((role) => [{ role }, status().role === role ? 1 : 0] as const));
  scrapedGauge(r, 'raftkv_leader', 'The leader this node follows (1, labelled by its id); absent while no leader is known.', ['leader'], () => (status().leader ? [[{ leader: status().leader }, 1] as const] : []));
  g('raftkv_has_leader', '1 when this node knows a leader, else 0.', () => (status().leader ? 1 : 0));
  g('raftkv_commit_index', 'Highest log index known committed.', () => status().commit);
  g('raftkv_applied_index', 'Highest log index applied to the state machine.', () => status().applied);
  g('raftkv_last_log_index', 'Last index in this node\'s log.', () => status().lastIndex);
  g('raftkv_first_log_index', 'First index still in the log (earlier ones are compacted into the snapshot).', () => status().firstIndex);
  g('raftkv_snapshot_index', 'Index of the latest snapshot.', () => status().snapshotIndex);
  g('raftkv_voters', 'Voting members in this node\'s configuration.', () => status().voters.length);
  g('raftkv_learners', 'Non-voting members in this node\'s configuration.', () => status().learners.length);
  c('raftkv_leader_changes_total', 'Times this node saw a new leader.', () => t.leaderChanges);
  scrapedCounter(r, 'raftkv_elections_started_total', 'Campaigns this node started, by kind (pre_election: PreVote round; election: a real vote at a new term).', ['kind'], () => [
    [{ kind: 'pre_election' }, t.preElections],
    [{ kind: 'election' }, t.elections],
  ]);
  c('raftkv_elections_won_total', 'Times this node became leader.', () => t.electionsWon);
  c('raftkv_proposals_received_total', 'Writes handed to this node to replicate (from its clients or forwarded by followers).', () => t.proposalsReceived);
  c('raftkv_proposals_committed_total', 'Writes this node proposed that were committed and applied.', () => t.proposalsCommitted);
  c('raftkv_proposals_failed_total', 'Writes this node proposed that failed (timeout, lost leadership, overwritten, shutdown).', () => t.proposalsFailed);
  c('raftkv_proposals_forwarded_total', 'Writes this node, a follower, forwarded to the leader.', () => t.proposalsForwarded);
  scrapedCounter(r, 'raftkv_read_requests_total', 'Read barriers by read level (linearizable ones are ReadIndex requests).', ['level'], () => READ_LEVELS.map((level) => [{ level }, t.reads[level]] as const));
  const disk = (name: string, help: string, tally: LatencyTally): void => void new TallyHistogram(r, name, help, () => (t.timed ? [[{}, tally] as const] : []));
  disk('raftkv_persist_duration_seconds', 'From the start of a ready\'s write (entries, hard state, snapshot; one fsync under durability "fsync", shared by a group commit) until it and every earlier one are durable.', t.persist);
  disk('raftkv_apply_duration_seconds', 'Applying one batch of committed entries to the state machine.', t.apply);
  scrapedCounter(r, 'raftkv_messages_sent_total', 'Raft messages handed to the transport, by type.', ['type'], () => MESSAGE_TYPES.map((type) => [{ type }, t.sent[type]] as const));
  scrapedCounter(r, 'raftkv_messages_received_total', 'Raft messages received and stepped, by type.', ['type'], () => MESSAGE_TYPES.map((type) => [{ type }, t.received[type]] as const));
  const links = (read: (l: LinkStats) => number): Iterable<readonly [Labels, number]> => Object.entries(src.linkStats()).map(([peer, l]) => [{ peer }, read(l)] as const);
  scrapedCounter(r, 'raftkv_peer_sent_bytes_total', 'Bytes written to each peer link (frame headers included).', ['peer'], () => links((l) => l.sentBytes));
  scrapedCounter(r, 'raftkv_peer_received_bytes_total', 'Bytes received from each peer.', ['peer'], () => links((l) => l.receivedBytes));
  scrapedCounter(r, 'raftkv_peer_sent_messages_total', 'Messages written to each peer link.', ['peer'], () => links((l) => l.sentMsgs));
  scrapedCounter(r, 'raftkv_peer_dropped_messages_total', 'Messages to each peer dropped (cut, loss, queue full, closed).', ['peer'], () => links((l) => l.dropped));
  scrapedGauge(r, 'raftkv_peer_up', '1 while the outbound link to the peer is connected.', ['peer'], () => links((l) => (l.connected ? 1 : 0)));
  scrapedCounter(r, 'raftkv_peer_reconnects_total', 'Connections to each peer made after the first.', ['peer'], () => links((l) => l.reconnects));
  scrapedCounter(r, 'raftkv_snapshots_total', 'Snapshots taken (captured here), sent (to a follower, whole) and installed (from the leader).', ['op'], () => [
    [{ op: 'taken' }, t.snapshotsTaken],
    [{ op: 'sent' }, t.snapshotsSent],
    [{ op: 'installed' }, t.snapshotsInstalled],
  ]);
  new TallyHistogram(r, 'raftkv_snapshot_duration_seconds', 'Taking a snapshot (capture and log compaction), sending one (first chunk to last), installing one (write and reload).', () =>
    t.timed
      ? [
          [{ op: 'take' }, t.snapshotTake],
          [{ op: 'send' }, t.snapshotSend],
          [{ op: 'install' }, t.snapshotInstall],
        ]
      : [],
  );
  g('raftkv_keys', 'Keys in the state machine.', () => status().keys);
  g('raftkv_data_bytes', 'Approximate bytes of keys and values in the state machine (UTF-16 string lengths times two).', () => src.dataBytes());
  g('raftkv_heap_used_bytes', 'V8 heap used by this node\'s thread.', () => getHeapStatistics().used_heap_size);
  src.requests?.register(r);
  return r;
}
