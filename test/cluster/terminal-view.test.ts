// The live terminal view is a pure function of the cluster's state: the
// table, then the newest events that fit, every line within the width.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLog, eventOf } from '../../src/cluster/cluster-events.js';
import { redraw, renderTerminalView } from '../../src/cluster/terminal-view.js';
import type { TableRow } from '../../src/cluster/status-table.js';
import type { NodeStatus } from '../../src/node/types.js';

const status = (id: string, role: string, leader: string, term = 3): NodeStatus =>
  ({ id, role, term, leader, leaderHttp: '', commit: 9, applied: 9, firstIndex: 1, lastIndex: 9, lastTerm: term, snapshotIndex: 0, snapshotTerm: 0, confIndex: 1, voters: [], learners: [], members: {}, lastContactMs: 4, keys: 2, paused: false, progress: {}, addrs: { raft: 'r', http: `h-${id}` } }) as NodeStatus;

const rows: TableRow[] = [
  { id: 'node0', state: 'dead', status: undefined },
  { id: 'node1', state: 'alive', status: status('node1', 'leader', 'node1', 4) },
  { id: 'node2', state: 'alive', status: status('node2', 'follower', 'node1', 4) },
];

function eventsOf(n: number): EventLog {
  const log = new EventLog(50);
  for (let i = 0; i < n; i++) log.add({ level: 'info', msg: 'became leader', time: Date.UTC(2026, 0, 1, 12, 0, i), id: `node${i % 3}`, term: i + 1, raft: true });
  return log;
}

test('the view shows the dashboard address, the table and the newest events that fit, newest last', () => {
  const lines = renderTerminalView({ rows, shardSlots: {}, events: eventsOf(30).since(0), dashboard: 'http://127.0.0.1:10999/', width: 200, height: 15 });
  assert.equal(lines.length, 14, 'one row is left for the cursor');
  assert.match(lines[0]!, /dashboard http:\/\/127\.0\.0\.1:10999\//);
  assert.match(lines[2]!, /^node\s+state\s+role/);
  assert.match(lines[3]!, /^node0\s+dead\s+-/);
  assert.match(lines[4]!, /^node1\s+alive\s+leader\s+4/);
  assert.equal(lines[7], 'events');
  // 14 - 8 = 6 events, the last six of thirty.
  assert.deepEqual(
    lines.slice(8).map((l) => /became leader of term (\d+)/.exec(l)?.[1]),
    ['25', '26', '27', '28', '29', '30'],
  );
  assert.match(lines[13]!, /^ {2}12:00:29\.000 {2}node2 became leader of term 30$/);
});

test('a narrow, short terminal: lines are cut to its width, and no events but a line saying so when none happened', () => {
  const lines = renderTerminalView({ rows, shardSlots: {}, events: [], dashboard: 'http://127.0.0.1:1/', width: 30, height: 40 });
  assert.ok(lines.every((l) => l.length <= 30), lines.join('\n'));
  assert.ok(lines[0]!.endsWith('…'));
  assert.equal(lines.at(-1), '  (none yet)');
  const tiny = renderTerminalView({ rows, shardSlots: {}, events: eventsOf(5).since(0), dashboard: 'x', width: 80, height: 4 });
  assert.equal(tiny.length, 3);
});

test('a redraw goes home, clears each line past its end and everything below: the screen never scrolls', () => {
  assert.equal(redraw(['a', 'b']), '\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[J');
});

test('the event log keeps elections, leaders, snapshots, membership, faults and node lives, and leaves the rest out', () => {
  const at = { level: 'info' as const, time: 1, id: 'node1' };
  assert.equal(eventOf({ ...at, msg: 'campaign', kind: 'pre-election', term: 5 })?.text, 'node1 asks for pre-votes for term 5');
  assert.equal(eventOf({ ...at, msg: 'campaign', kind: 'election', term: 5 })?.kind, 'election');
  assert.equal(eventOf({ ...at, msg: 'snapshot restored', index: 120 })?.text, 'node1 installed a snapshot at index 120');
  assert.equal(eventOf({ ...at, msg: 'membership changed', change: 'add-learner', node: 'node4' })?.kind, 'membership');
  assert.equal(eventOf({ level: 'info', time: 1, msg: 'fault injected', fault: 'node2 killed', kind: 'kill' })?.text, 'fault: node2 killed');
  assert.equal(eventOf({ ...at, msg: 'node worker exited', code: 0 })?.text, 'node1 stopped');
  assert.equal(eventOf({ ...at, level: 'error', msg: 'node failed', reason: 'disk full\nstack' })?.text, 'node1 failed: disk full');
  assert.equal(eventOf({ ...at, msg: 'vote granted' }), undefined);
  assert.equal(eventOf({ ...at, level: 'warn', msg: 'transport peer unreachable' }), undefined);
  const replay = new EventLog();
  replay.add({ ...at, msg: 'membership changed', change: 'add-voter', node: 'node0' });
  replay.add({ ...at, msg: 'node started', term: 2, applied: 7 });
  replay.add({ ...at, msg: 'membership changed', change: 'add-learner', node: 'node4' });
  assert.deepEqual(
    replay.since(0).map((e) => e.text),
    ['node1 started (term 2, applied 7)', 'node1 applied a membership change: add-learner node4'],
    'what a node replays while it starts is left out',
  );
  const log = eventsOf(60);
  assert.equal(log.since(0).length, 50, 'only the newest are kept');
  assert.equal(log.since(58).length, 2);
  assert.deepEqual(log.since(60), []);
});
