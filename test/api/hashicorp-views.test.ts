// /raft/stats and /raft/cluster in the shapes of hashicorp/raft's Stats() and hraftd, field by field.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDuration, raftCluster, raftStats } from '../../src/api/hashicorp-views.js';
import type { NodeStatus } from '../../src/node/types.js';

function status(over: Partial<NodeStatus>): NodeStatus {
  return {
    id: 'n1', role: 'follower', term: 8, leader: 'n3', leaderHttp: '', commit: 7, applied: 6, firstIndex: 1, lastIndex: 9, lastTerm: 8,
    snapshotIndex: 4, snapshotTerm: 2, confIndex: 5, voters: ['n1', 'n2', 'n3'], learners: ['n4'],
    members: { n1: { raft: 'h1:12000', http: 'h1:11000' }, n2: { raft: 'h2:12000', http: 'h2:11000' }, n3: { raft: 'h3:12000', http: 'h3:11000' }, n4: { raft: 'h4:12000', http: 'h4:11000' } },
    lastContactMs: 3.685538, keys: 2, paused: false, progress: {}, addrs: { raft: 'h1:12000', http: 'h1:11000' },
    ...over,
  };
}

test("/raft/stats has every field of hashicorp/raft's Stats(), each a string, the configuration as hraftd listed it", () => {
  assert.deepEqual(raftStats(status({})), {
    state: 'Follower',
    term: '8',
    last_log_index: '9',
    last_log_term: '8',
    commit_index: '7',
    applied_index: '6',
    fsm_pending: '1',
    last_snapshot_index: '4',
    last_snapshot_term: '2',
    protocol_version: '3',
    protocol_version_min: '0',
    protocol_version_max: '3',
    snapshot_version_min: '0',
    snapshot_version_max: '1',
    latest_configuration_index: '5',
    latest_configuration: [
      { id: 'n1', address: 'h1:12000', suffrage: 'Voter' },
      { id: 'n2', address: 'h2:12000', suffrage: 'Voter' },
      { id: 'n3', address: 'h3:12000', suffrage: 'Voter' },
      { id: 'n4', address: 'h4:12000', suffrage: 'Nonvoter' },
    ],
    num_peers: '2',
    last_contact: '3.685538ms',
  });
});

test('states, peers and contact as hashicorp/raft reports them', () => {
  const leader = raftStats(status({ role: 'leader', leader: 'n1', lastContactMs: 0 }));
  assert.equal(leader.state, 'Leader');
  assert.equal(leader.last_contact, '0');
  assert.equal(raftStats(status({ role: 'pre-candidate' })).state, 'Candidate');
  assert.equal(raftStats(status({ failed: 'disk full' })).state, 'Shutdown');
  // A node outside the voters (a learner, or removed) counts no peers.
  assert.equal(raftStats(status({ voters: ['n2', 'n3'], learners: ['n1'] })).num_peers, '0');
});

test("/raft/cluster is hraftd's current, leader and servers", () => {
  const c = raftCluster(status({}));
  assert.deepEqual(c.current, { id: 'n1', address: 'h1:12000', state: 'Follower' });
  assert.deepEqual(c.leader, { id: 'n3', address: 'h3:12000', state: 'Leader' });
  assert.deepEqual(c.servers.map((s) => [s.id, s.address, s.state]), [
    ['n1', 'h1:12000', 'Follower'],
    ['n2', 'h2:12000', 'Follower'],
    ['n3', 'h3:12000', 'Leader'],
    ['n4', 'h4:12000', 'Follower'],
  ]);
  assert.equal(raftCluster(status({ leader: '' })).leader, null);
});

test("durations print as Go's time.Duration does", () => {
  for (const [ms, s] of [
    [0, '0s'],
    [0.0000005, '1ns'],
    [0.000999, '999ns'],
    [0.85, '850µs'],
    [0.001234, '1.234µs'],
    [3.685538, '3.685538ms'],
    [13, '13ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [123040, '2m3.04s'],
    [3_600_000, '1h0m0s'],
    [-2, '-2ms'],
  ] as const) {
    assert.equal(goDuration(ms), s, String(ms));
  }
});
