// Leader changes: every change of (leader, term) after the first
// observation counts; polls without a leader are counted apart.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderWatch } from '../../bench/leader-watch.js';

test('the same leader throughout is 0 changes; a new term or leader is one each', () => {
  const w = new LeaderWatch(async () => undefined);
  w.observe({ leader: 'n1', term: 2 });
  w.observe({ leader: 'n1', term: 2 });
  w.observe(undefined);
  w.observe({ leader: 'n2', term: 3 });
  w.observe({ leader: 'n2', term: 4 });
  return w.stop().then((r) => {
    assert.equal(r.changes, 2);
    assert.equal(r.observations, 5);
    assert.equal(r.leaderless, 1);
    assert.deepEqual(r.first, { leader: 'n1', term: 2 });
    assert.deepEqual(r.last, { leader: 'n2', term: 4 });
  });
});

test('a started watch polls until stopped', async () => {
  let polls = 0;
  const w = new LeaderWatch(async () => ({ leader: 'n1', term: ++polls < 3 ? 1 : 2 }), 5);
  w.start();
  await new Promise((r) => setTimeout(r, 100));
  const r = await w.stop();
  assert.ok(r.observations >= 3, `${r.observations} polls`);
  assert.equal(r.changes, 1);
  const after = polls;
  await new Promise((r2) => setTimeout(r2, 30));
  assert.equal(polls, after, 'no poll after stop');
});
