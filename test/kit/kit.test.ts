// The tools' and tests' kit: the leader a group agrees on, polling, and the
// first success after a fault, as chaos, bench and the test helpers use them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstSuccess } from '../../src/kit/probe.js';
import { agreedLeader, until, waitForLeaders, type LeaderView } from '../../src/kit/wait.js';

const st = (id: string, role: string, leader: string, term: number): LeaderView => ({ id, role, leader, term });

test('agreedLeader: one leader, every member naming it in its term; a silent member blocks unless skipped', () => {
  const a = st('a', 'leader', 'a', 3);
  const b = st('b', 'follower', 'a', 3);
  assert.equal(agreedLeader([a, b]), 'a');
  assert.equal(agreedLeader([a, st('b', 'follower', 'a', 2)]), undefined, 'a member still in the old term');
  assert.equal(agreedLeader([a, st('b', 'follower', '', 3)]), undefined, 'a member that knows no leader');
  assert.equal(agreedLeader([b]), undefined, 'nobody leads');
  assert.equal(agreedLeader([a, b, undefined]), undefined);
  assert.equal(agreedLeader([a, b, undefined], true), 'a');
});

test('waitForLeaders: one leader per group, the excluded left out, once every group agrees', async () => {
  let looks = 0;
  const views = [
    new Map([['a', st('a', 'candidate', '', 2)], ['b', st('b', 'follower', '', 2)], ['c', st('c', 'leader', 'c', 1)], ['d', st('d', 'follower', 'c', 1)]]),
    new Map([['a', st('a', 'leader', 'a', 2)], ['b', st('b', 'follower', 'a', 2)], ['x', undefined], ['c', st('c', 'leader', 'c', 1)], ['d', st('d', 'follower', 'c', 1)]]),
  ];
  const leaders = await waitForLeaders(async () => views[Math.min(looks++, 1)]!, [['a', 'b', 'x'], ['c', 'd']], { timeoutMs: 2000, exclude: ['x'], everyMs: 1 });
  assert.deepEqual(leaders, ['a', 'c']);
  assert.equal(looks, 2);
  await assert.rejects(waitForLeaders(async () => views[0]!, [['a', 'b']], { timeoutMs: 50, everyMs: 5 }), /timed out after 50 ms waiting for a leader/);
});

test('until: a value ends the wait; a look that throws is "not yet" unless told to rethrow; the timeout names what and adds the context', async () => {
  let n = 0;
  assert.equal(await until('three', async () => (++n === 1 ? Promise.reject(new Error('not up')) : n >= 3 ? n : undefined), { everyMs: 1 }), 3);
  await assert.rejects(until('x', () => Promise.reject(new Error('boom')), { rethrow: true }), /boom/);
  await assert.rejects(until('the moon', async () => undefined, { timeoutMs: 30, everyMs: 5, context: () => 'log tail' }), /timed out after 30 ms waiting for the moon\nlog tail/);
});

test('firstSuccess one at a time: timed from the fault, with the last failure kept, and an abort stops it', async () => {
  const started = performance.now() - 100; // the fault was 100 ms ago
  let n = 0;
  const r = await firstSuccess(async () => (++n < 3 ? `HTTP 503 #${n}` : true), { started, boundMs: 5000, everyMs: 1 });
  assert.ok(r.ms !== undefined && r.ms >= 100);
  assert.equal(n, 3);
  assert.equal(r.last, 'HTTP 503 #2');
  const none = await firstSuccess(async () => 'refused', { started: performance.now(), boundMs: 30, everyMs: 5 });
  assert.deepEqual(none, { ms: undefined, last: 'refused' });
  await assert.rejects(firstSuccess(async () => 'x', { started: performance.now(), boundMs: 1000, everyMs: 1, abort: () => 'the process exited' }), /the process exited/);
});

test('firstSuccess overlapping: a probe stuck on the dead leader does not hide a later one that succeeds', async () => {
  const started = performance.now();
  const r = await firstSuccess((n) => (n === 0 ? new Promise<string>((res) => setTimeout(() => res('timeout'), 300)) : Promise.resolve(true)), { started, boundMs: 5000, everyMs: 10, overlap: true });
  assert.ok(r.ms !== undefined && r.ms < 250, `first success at ${r.ms} ms, not after the stuck probe`);
});
