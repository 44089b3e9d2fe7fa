import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatusTable, type TableRow } from '../../src/cluster/status-table.js';
import type { NodeStatus } from '../../src/node/types.js';

const status = (id: string, role: string, leader: string): NodeStatus =>
  ({ id, role, term: 3, leader, leaderHttp: '', commit: 9, applied: 9, firstIndex: 1, lastIndex: 9, lastTerm: 3, snapshotIndex: 0, snapshotTerm: 0, confIndex: 0, voters: [], learners: [], members: {}, lastContactMs: 4, keys: 2, paused: false, progress: {}, addrs: { raft: 'r', http: `h-${id}` } }) as NodeStatus;

test('the status table has one line per node; a sharded cluster gets one group per shard, named with its slots', () => {
  const plain: TableRow[] = [{ id: 'node0', state: 'alive', status: status('node0', 'leader', 'node0') }, { id: 'node1', state: 'dead', status: undefined }];
  const t = renderStatusTable(plain).split('\n');
  assert.equal(t.length, 3);
  assert.match(t[0]!, /^node\s+state\s+role/);
  assert.match(t[2]!, /^node1\s+dead\s+-/);

  const sharded: TableRow[] = [
    { id: 'node0', state: 'alive', status: status('node0', 'leader', 'node0'), shard: 's0' },
    { id: 'node3', state: 'alive', status: status('node3', 'follower', 'node4'), shard: 's1' },
    { id: 'node1', state: 'paused', status: status('node1', 'follower', 'node0'), shard: 's0' },
  ];
  const g = renderStatusTable(sharded, { s0: '0-8191', s1: '8192-16383' }).split('\n');
  assert.equal(g[0], 'shard s0  slots 0-8191');
  assert.match(g[2]!, /^node0\s+alive\s+leader/);
  assert.match(g[3]!, /^node1\s+paused\s+follower/);
  assert.equal(g[4], '');
  assert.equal(g[5], 'shard s1  slots 8192-16383');
  assert.match(g[7]!, /^node3\s+alive\s+follower\s+3\s+9\s+9\s+9\s+node4/);
});

test('a failed node shows state `failed` and, under the table, why', () => {
  const rows: TableRow[] = [
    { id: 'node0', state: 'alive', status: status('node0', 'leader', 'node0') },
    { id: 'node1', state: 'failed', status: status('node1', 'follower', 'node0'), failed: 'SQLITE_FULL: database or disk is full' },
  ];
  const t = renderStatusTable(rows).split('\n');
  assert.match(t[2]!, /^node1\s+failed\s+follower/);
  assert.equal(t[3], 'node1 failed: SQLITE_FULL: database or disk is full');
  const sharded = renderStatusTable(rows.map((r) => ({ ...r, shard: 's0' })), { s0: '0-16383' }).split('\n');
  assert.equal(sharded.at(-1), 'node1 failed: SQLITE_FULL: database or disk is full');
});
