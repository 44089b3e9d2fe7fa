// Raft paper §8 (client interaction: read-only queries) as the thesis'
// ReadIndex (§6.4): a leader serves a read at its commit index once it has
// committed an entry of its term and a majority has confirmed, after the
// read arrived, that it is still the leader.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConfChangeType,
  MessageType,
  Net,
  Role,
  accept,
  bytes,
  confEntry,
  drain,
  drainAll,
  elect,
  electAndCommit,
  founder,
  msg,
  ofType,
  replicate,
  restored,
} from './paper-helpers.js';
import type { Message, RawNode } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];
const IDS = ['a', 'b', 'c', 'd', 'e'];

const ackBeat = (hb: Message): Message => msg(MessageType.HeartbeatResp, hb.to, hb.from, hb.term, { context: hb.context });
const readRound = (msgs: Message[]): Message[] => ofType(msgs, MessageType.Heartbeat).filter((m) => (m.context ?? 0) > 0);

test('§6.4 ReadIndex is served only after the leader commits an entry of its term', () => {
  const n = founder('a', ABC);
  const d = elect(n);
  n.readIndex(1);
  const waiting = drainAll(n);
  assert.deepEqual(readRound(waiting.all), [], 'no confirmation round yet: the commit index may be stale');
  assert.deepEqual(waiting.readStates, []);
  // Confirming leadership alone is not enough either.
  n.step(msg(MessageType.HeartbeatResp, 'b', 'a', 2, { context: 1 }));
  n.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2, { context: 1 }));
  assert.deepEqual(drainAll(n).readStates, []);

  n.step(accept(ofType(d.all, MessageType.App, 'b')[0]!));
  const committed = drainAll(n);
  assert.equal(n.status().commit, 4, 'the no-op of term 2 committed');
  const round = readRound(committed.all);
  assert.deepEqual(round.map((m) => m.to).sort(), ['b', 'c'], 'now the read gets its heartbeat round');
  assert.deepEqual(committed.readStates, []);
  n.step(ackBeat(round[0]!));
  assert.deepEqual(drainAll(n).readStates, [{ context: 1, index: 4 }]);
});

test('§6.4 a read is served only once a majority acknowledges a heartbeat round sent after it arrived', () => {
  const n = founder('a', IDS);
  electAndCommit(n);
  n.readIndex(7);
  const rd = drain(n);
  assert.deepEqual(rd.readStates, []);
  const round = readRound(rd.messages);
  assert.equal(round.length, 4, 'one heartbeat per follower, sent before persisting');
  n.step(msg(MessageType.HeartbeatResp, 'd', 'a', 2)); // a plain heartbeat answer confirms no read
  n.step(ackBeat(round.find((m) => m.to === 'b')!));
  n.step(ackBeat(round.find((m) => m.to === 'b')!));
  assert.deepEqual(drainAll(n).readStates, [], 'the leader and b are two of five, however often b answers');
  n.step(ackBeat(round.find((m) => m.to === 'c')!));
  assert.deepEqual(drainAll(n).readStates, [{ context: 7, index: 6 }]);
});

test("§6.4 a learner's acknowledgement does not confirm leadership", () => {
  const n = restored('a', { peers: ABC, term: 1, log: [confEntry(4, 1, { type: ConfChangeType.AddLearner, node: 'd' })], commit: 4, applied: 4 });
  drainAll(n);
  electAndCommit(n);
  n.readIndex(1);
  const round = readRound(drain(n).messages);
  assert.deepEqual(round.map((m) => m.to).sort(), ['b', 'c', 'd']);
  n.step(ackBeat(round.find((m) => m.to === 'd')!));
  assert.deepEqual(drainAll(n).readStates, []);
  n.step(ackBeat(round.find((m) => m.to === 'b')!));
  assert.equal(drainAll(n).readStates.length, 1);
});

test('§6.4 concurrent reads share one heartbeat round', () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  n.readIndex(1);
  n.readIndex(2);
  n.readIndex(3);
  const rd = drain(n);
  const beats = ofType(rd.messages, MessageType.Heartbeat);
  assert.equal(beats.length, 2, 'three reads, one heartbeat per follower');
  assert.equal(new Set(beats.map((m) => m.context)).size, 1);
  assert.ok(beats[0]!.context! > 0);

  // A read arriving after that round was sent needs a round of its own.
  n.readIndex(4);
  n.step(ackBeat(beats[0]!));
  assert.deepEqual(
    drainAll(n).readStates.map((r) => r.context),
    [1, 2, 3],
    'the earlier round cannot vouch for a read that came after it',
  );
  // (drainAll took the next ready, which broadcast read 4's round.)
  assert.equal(n.status().role, Role.Leader);
});

test('§6.4 a later round confirms the reads of earlier rounds too; reads are answered in arrival order', () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  n.readIndex(1);
  const first = readRound(drain(n).messages);
  n.readIndex(2);
  n.readIndex(3);
  const second = readRound(drain(n).messages);
  assert.equal(first.length, 2);
  assert.equal(second.length, 2);
  assert.notEqual(first[0]!.context, second[0]!.context);
  n.step(ackBeat(second[0]!));
  assert.deepEqual(
    drainAll(n).readStates.map((r) => r.context),
    [1, 2, 3],
  );
  n.step(ackBeat(first[1]!));
  assert.deepEqual(drainAll(n).readStates, [], 'each read is answered once');
});

test('§6.4 the read index is the commit index when the read arrived', () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  n.readIndex(1);
  const round = readRound(drain(n).messages);
  n.propose(bytes('x'));
  replicate(n, ['b', 'c']);
  assert.equal(n.status().commit, 5);
  n.step(ackBeat(round[0]!));
  assert.deepEqual(drainAll(n).readStates, [{ context: 1, index: 4 }]);
});

test('§6.4 a single-voter leader serves a read at once', () => {
  const n = founder('a', ['a']);
  drainAll(n);
  n.campaign();
  drainAll(n);
  n.readIndex(5);
  const d = drainAll(n);
  assert.deepEqual(d.readStates, [{ context: 5, index: 2 }]);
  assert.deepEqual(d.all, []);
});

test('§6.4 a follower forwards a read to the leader and serves it at the index the leader confirmed', () => {
  const nodes = ABC.map((id) => founder(id, ABC));
  const [a, b] = nodes as [RawNode, RawNode, RawNode];
  const net = new Net(nodes);
  a.campaign();
  net.settle();
  a.propose(bytes('x'));
  net.settle();
  assert.equal(a.status().commit, 5);
  b.readIndex(42);
  net.settle();
  const bReadies = net.readies.get('b')!;
  const forwarded = bReadies.flatMap((rd) => ofType(rd.persistedMessages, MessageType.ReadIndex));
  assert.deepEqual(
    forwarded.map((m) => [m.to, m.context]),
    [['a', 42]],
  );
  assert.equal(bReadies.flatMap((rd) => ofType(rd.messages, MessageType.ReadIndex)).length, 0, "a follower's request waits for its disk like all it sends");
  assert.deepEqual(
    bReadies.flatMap((rd) => rd.readStates),
    [{ context: 42, index: 5 }],
  );
  assert.deepEqual(
    net.readies.get('a')!.flatMap((rd) => rd.readStates),
    [],
    "the leader answers the follower's read to the follower",
  );
});

test('§6.4 a node that knows no leader refuses a read with RAFTKV_ERR_NOT_LEADER', () => {
  const n = founder('b', ABC);
  assert.throws(() => n.readIndex(1), { code: 'RAFTKV_ERR_NOT_LEADER', leader: '' });
});

test('§6.4 reads pending when leadership is lost are dropped', () => {
  // Reads waiting for their round.
  const n = founder('a', ABC);
  electAndCommit(n);
  n.readIndex(1);
  n.readIndex(2);
  drain(n);
  n.step(msg(MessageType.App, 'b', 'a', 3, { index: 4, logTerm: 2, commit: 4 }));
  const d = drainAll(n);
  assert.deepEqual(d.droppedReads.sort(), [1, 2]);
  assert.deepEqual(d.readStates, []);

  // Reads waiting for the first commit of the term.
  const m = founder('a', ABC);
  elect(m);
  m.readIndex(3);
  drainAll(m);
  m.step(msg(MessageType.Vote, 'c', 'a', 5, { index: 10, logTerm: 4 }));
  assert.deepEqual(drainAll(m).droppedReads, [3]);

  // Reads a follower forwarded to a leader that is replaced.
  const f = founder('b', ABC);
  drainAll(f);
  f.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 0 }));
  f.readIndex(9);
  drainAll(f);
  f.step(msg(MessageType.Heartbeat, 'c', 'b', 3, { commit: 0 }));
  assert.deepEqual(drainAll(f).droppedReads, [9]);
  // A late answer from the old leader is not served.
  f.step(msg(MessageType.ReadIndexResp, 'a', 'b', 3, { context: 9, index: 4 }));
  assert.deepEqual(drainAll(f).readStates, []);
});
