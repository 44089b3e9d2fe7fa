// Leadership transfer (Raft thesis §3.10): the leader brings the target up to
// date, refuses new proposals meanwhile, then sends TimeoutNow; the target
// campaigns at once, past PreVote and the leader lease.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfChangeType, MessageType, Net, Role, accept, bytes, drainAll, elect, electAndCommit, founder, msg, ofType } from './paper-helpers.js';
import type { RawNode } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];

test('§3.10 leadership transfer: TimeoutNow only to a caught-up target; proposals refused during the transfer', () => {
  const n = founder('a', ABC);
  const d = elect(n);
  n.step(accept(ofType(d.all, MessageType.App, 'b')[0]!));
  drainAll(n);
  assert.equal(n.status().progress.b!.match, 4);
  assert.equal(n.status().progress.c!.match, 0, 'c has not acknowledged the no-op');

  n.transferLeadership('c');
  assert.equal(n.status().transferee, 'c');
  assert.equal(ofType(drainAll(n).all, MessageType.TimeoutNow).length, 0, 'c is behind: no TimeoutNow yet');
  assert.throws(() => n.propose(bytes('x')), { code: 'RAFTKV_ERR_PROPOSAL_DROPPED' });
  assert.throws(() => n.proposeConfChange({ type: ConfChangeType.AddVoter, node: 'd' }), { code: 'RAFTKV_ERR_PROPOSAL_DROPPED' });
  assert.equal(n.status().lastIndex, 4, 'nothing was appended');

  // c catches up: now it gets TimeoutNow, and it may leave before the ready is persisted.
  n.step(accept(ofType(d.all, MessageType.App, 'c')[0]!));
  const rd = n.ready();
  assert.deepEqual(
    ofType(rd.messages, MessageType.TimeoutNow).map((m) => [m.to, m.term]),
    [['c', 2]],
  );
  n.advance(rd);
  assert.equal(n.status().role, Role.Leader, 'the old leader leads until it hears the new term');

  // A target already caught up gets TimeoutNow at once.
  const m = founder('a', ABC);
  electAndCommit(m);
  m.transferLeadership('b');
  assert.deepEqual(
    ofType(drainAll(m).all, MessageType.TimeoutNow).map((x) => x.to),
    ['b'],
  );
});

test('§3.10 the target of a transfer campaigns at once on TimeoutNow, past PreVote and the leader lease', () => {
  const opts = { preVote: true, checkQuorum: true };
  const b = founder('b', ABC, opts);
  const c = founder('c', ABC, opts);
  for (const n of [b, c]) {
    drainAll(n);
    n.step(msg(MessageType.Heartbeat, 'a', n.id, 2, { commit: 0 }));
    drainAll(n);
  }
  b.step(msg(MessageType.TimeoutNow, 'a', 'b', 2));
  assert.equal(b.status().role, Role.Candidate, 'no pre-vote phase');
  assert.equal(b.status().term, 3);
  const votes = ofType(drainAll(b).all, MessageType.Vote);
  assert.deepEqual(votes.map((m) => m.to).sort(), ['a', 'c']);
  for (const v of votes) assert.equal(v.force, true);
  // c heard from the leader a moment ago, yet grants the forced vote.
  c.step(votes.find((v) => v.to === 'c')!);
  const resp = ofType(drainAll(c).all, MessageType.VoteResp);
  assert.equal(resp.length, 1);
  assert.ok(!resp[0]!.reject);
  assert.equal(c.status().term, 3);
});

test('§3.10 leadership moves to the target: it wins the next term and the old leader follows it', () => {
  const nodes = ABC.map((id) => founder(id, ABC, { preVote: true, checkQuorum: true }));
  const [a, b] = nodes as [RawNode, RawNode, RawNode];
  const net = new Net(nodes);
  a.campaign();
  net.settle();
  assert.equal(a.status().role, Role.Leader);
  a.propose(bytes('x'));
  net.settle();
  a.transferLeadership('b');
  net.settle();
  assert.equal(b.status().role, Role.Leader);
  assert.equal(b.status().term, a.status().term);
  assert.equal(a.status().role, Role.Follower);
  assert.equal(a.status().leader, 'b');
  assert.equal(b.status().commit, b.status().lastIndex, "the new leader's no-op committed");
  assert.throws(() => a.propose(bytes('y')), { code: 'RAFTKV_ERR_NOT_LEADER', leader: 'b' });
});

test('§3.10 a transfer that does not finish within an election timeout is aborted', () => {
  const n = founder('a', ABC);
  elect(n); // nobody answers: c never catches up
  n.transferLeadership('c');
  for (let i = 0; i < 9; i++) {
    n.tick();
    drainAll(n);
  }
  assert.throws(() => n.propose(bytes('x')), { code: 'RAFTKV_ERR_PROPOSAL_DROPPED' });
  n.tick();
  assert.equal(n.status().transferee, '');
  assert.equal(n.status().role, Role.Leader);
  assert.doesNotThrow(() => n.propose(bytes('x')));
});

test('§3.10 transfer requests that cannot be served are refused', () => {
  const f = founder('b', ABC);
  f.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 0 }));
  assert.throws(() => f.transferLeadership('c'), { code: 'RAFTKV_ERR_NOT_LEADER', leader: 'a' });
  const n = founder('a', ABC);
  electAndCommit(n);
  assert.throws(() => n.transferLeadership('zz'), { code: 'RAFTKV_ERR_TRANSFER' });
  n.transferLeadership('a');
  assert.equal(n.status().transferee, '', 'to itself: nothing to do');
  assert.doesNotThrow(() => n.propose(bytes('x')));
});
