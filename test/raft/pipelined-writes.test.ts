// Pipelined storage writes at the core: the runtime may take a new ready
// while earlier ones are still being written. Each ready then holds only what
// the earlier ones did not, readies are advanced oldest first, and nothing
// counts as durable until the write that holds it is reported done.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageType, Role, accept, bytes, drainAll, electAndCommit, entriesWithTerms, founder, msg, ofType, restored } from './paper-helpers.js';

const ABC = ['a', 'b', 'c'];

test('a leader hands out each new entry once while earlier writes are in flight, and counts its own only once advanced', () => {
  const n = founder('a', ['a']);
  drainAll(n);
  n.campaign();
  drainAll(n);
  assert.equal(n.status().role, Role.Leader);
  const commit = n.status().commit;

  n.propose(bytes('x'));
  const first = n.ready();
  n.propose(bytes('y'));
  const second = n.ready();
  assert.deepEqual(first.entries.map((e) => e.index), [commit + 1]);
  assert.deepEqual(second.entries.map((e) => e.index), [commit + 2], 'the second ready holds only the entry the first did not');
  assert.equal(n.outstanding, 2);
  assert.equal(n.status().commit, commit, 'a lone leader commits nothing of its own before its write is durable');
  assert.throws(() => n.advance(second), /oldest outstanding/);

  n.advance(first);
  assert.equal(n.status().commit, commit + 1, 'once the first write is durable its entry commits; the second is still in flight');
  n.advance(second);
  assert.equal(n.status().commit, commit + 2);
  const rest = drainAll(n);
  assert.deepEqual(rest.committed.map((e) => e.index), [commit + 1, commit + 2]);
});

test("a follower's ack leaves in the ready that holds the acked entries' write, not an earlier one", () => {
  const n = restored('b', { peers: ABC, term: 2 });
  const last = n.status().lastIndex;
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: last, logTerm: 1, entries: entriesWithTerms(last + 1, [2, 2]), commit: last }));
  const rd = n.ready();
  assert.deepEqual(rd.entries.map((e) => e.index), [last + 1, last + 2]);
  assert.equal(ofType(rd.messages, MessageType.AppResp).length, 0, 'the ack never leaves before the write');
  const acks = ofType(rd.persistedMessages, MessageType.AppResp);
  assert.deepEqual(acks.map((m) => m.index), [last + 2]);
  // The same entries again (a retransmission) while that write is in flight: nothing new to write, and
  // its ack is again a persisted message, which the runtime releases only after the earlier write.
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: last, logTerm: 1, entries: entriesWithTerms(last + 1, [2, 2]), commit: last }));
  const again = n.ready();
  assert.deepEqual(again.entries, []);
  assert.deepEqual(ofType(again.persistedMessages, MessageType.AppResp).map((m) => m.index), [last + 2]);
  n.advance(rd);
  n.advance(again);
});

test('entries truncated while their write is in flight are never reported durable by that write', () => {
  const n = restored('b', { peers: ABC, term: 2 });
  const last = n.status().lastIndex;
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: last, logTerm: 1, entries: entriesWithTerms(last + 1, [2, 2, 2]), commit: last }));
  const old = n.ready();
  assert.equal(old.entries.length, 3);
  // A new leader of term 3 overwrites the uncommitted tail from last + 2 on.
  n.step(msg(MessageType.App, 'c', 'b', 3, { index: last + 1, logTerm: 2, entries: entriesWithTerms(last + 2, [3]), commit: last }));
  const replacement = n.ready();
  assert.deepEqual(replacement.entries.map((e) => [e.index, e.term]), [[last + 2, 3]], 'only the replacement is written again');
  n.advance(old);
  assert.equal(n.raft.log.stable, last, 'the old write held entries the log no longer has: it marks nothing durable');
  n.advance(replacement);
  assert.equal(n.raft.log.stable, last + 2);
  assert.deepEqual(ofType(replacement.persistedMessages, MessageType.AppResp).map((m) => m.index), [last + 2]);
});

test('a leader sends appends for entries whose own write has not completed', () => {
  const n = founder('a', ABC);
  drainAll(n);
  electAndCommit(n);
  n.propose(bytes('x'));
  const first = n.ready();
  n.propose(bytes('y'));
  const second = n.ready();
  const apps = [...ofType(first.messages, MessageType.App), ...ofType(second.messages, MessageType.App)];
  assert.ok(apps.length >= 2, 'replication does not wait for the leader disk');
  // Both followers ack everything: a majority without the leader's own write.
  for (const m of apps) n.step(accept(m));
  assert.equal(n.status().commit, second.entries[0]!.index, 'two followers of three commit without the leader');
  n.advance(first);
  n.advance(second);
});

test("a commit index announced in the same ready as new entries travels with them, not in an empty append of its own", () => {
  const n = founder('a', ABC);
  drainAll(n);
  electAndCommit(n);
  n.propose(bytes('x'));
  const first = n.ready();
  n.advance(first);
  const x = first.entries[0]!.index;
  for (const m of ofType(first.messages, MessageType.App)) n.step(accept(m));
  assert.equal(n.status().commit, x);
  // The commit of x goes out now; a proposal made before the next ready goes out with it.
  n.propose(bytes('y'));
  const second = n.ready();
  const apps = ofType(second.messages, MessageType.App);
  assert.deepEqual(apps.map((m) => m.to).sort(), ['b', 'c'], 'one append per follower');
  for (const m of apps) {
    assert.deepEqual(m.entries?.map((e) => e.index), [x + 1]);
    assert.equal(m.commit, x, 'the append with entries carries the new commit index');
  }
  n.advance(second);
  // With nothing new to send, the commit index still goes out at once, on its own.
  for (const m of apps) n.step(accept(m));
  const third = n.ready();
  const commits = ofType(third.messages, MessageType.App);
  assert.deepEqual(commits.map((m) => [m.to, m.entries?.length ?? 0, m.commit]).sort(), [['b', 0, x + 1], ['c', 0, x + 1]]);
  n.advance(third);
});
