// Raft paper §5.4 (safety: election restriction, committing entries from
// previous terms) and Figure 2's persistence rules (the RawNode contract:
// `messages` may leave before the ready is durable, `persistedMessages` not).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MessageType,
  Net,
  Role,
  accept,
  bytes,
  config,
  drain,
  drainAll,
  elect,
  electAndCommit,
  entriesWithTerms,
  founder,
  logTerms,
  msg,
  ofType,
  out,
  restored,
} from './paper-helpers.js';
import { RawNode, SeededRand, crc32, type Entry, type HardState, type Message } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];
const IDS = ['a', 'b', 'c', 'd', 'e'];

test('§5.4.1 a vote is refused to a candidate whose log is less up to date', () => {
  // The voter's log ends at index 5, term 2.
  const cases: [number, number, boolean][] = [
    [5, 2, true], // same last term, same length
    [6, 2, true], // same last term, longer
    [4, 2, false], // same last term, shorter
    [5, 1, false], // older last term
    [9, 1, false], // older last term, however long
    [4, 3, true], // newer last term, however short
    [1, 3, true],
  ];
  for (const [index, logTerm, granted] of cases) {
    const n = restored('a', { peers: ABC, term: 2, log: entriesWithTerms(4, [2, 2]) });
    drainAll(n);
    n.step(msg(MessageType.Vote, 'b', 'a', 3, { index, logTerm }));
    const resp = ofType(drainAll(n).all, MessageType.VoteResp, 'b');
    assert.equal(resp.length, 1);
    assert.equal(!resp[0]!.reject, granted, `candidate log ends at (${index}, term ${logTerm})`);
    assert.equal(n.status().vote, granted ? 'b' : '');
    assert.equal(n.status().term, 3, 'the term is adopted either way');
  }
});

test("§5.4.1 vote requests carry the candidate's last log index and term", () => {
  const n = restored('a', { peers: ABC, term: 3, log: entriesWithTerms(4, [2, 3]) });
  drainAll(n);
  n.campaign();
  const votes = ofType(drainAll(n).all, MessageType.Vote);
  assert.equal(votes.length, 2);
  for (const v of votes) assert.deepEqual([v.term, v.index, v.logTerm], [4, 5, 3]);
});

test('§5.4.1 a candidate missing a committed entry cannot win; one that has it can (leader completeness)', () => {
  // Entry 5 is on b and c (a majority): a lacks it.
  const a = restored('a', { peers: ABC, term: 2, log: entriesWithTerms(4, [2]) });
  const b = restored('b', { peers: ABC, term: 2, log: entriesWithTerms(4, [2, 2]) });
  const c = restored('c', { peers: ABC, term: 2, log: entriesWithTerms(4, [2, 2]) });
  const net = new Net([a, b, c]);
  a.campaign();
  net.settle();
  assert.equal(a.status().role, Role.Follower, 'a majority refused');
  assert.equal(a.status().term, 3);
  b.campaign();
  net.settle();
  assert.equal(b.status().role, Role.Leader);
  for (const n of [a, b, c]) assert.deepEqual(logTerms(n), [1, 1, 1, 2, 2, 4], `${n.id} holds entry 5 and the new no-op`);
});

test('§5.4.2 a leader does not commit a previous-term entry by counting replicas (Figure 8)', () => {
  // Five founders (entries 1..5). a led term 2 and wrote entry 6 only
  // locally; it is elected again for term 3 and appends its no-op at 7.
  const n = restored('a', { peers: IDS, term: 2, log: entriesWithTerms(6, [2]) }, { maxMsgEntries: 1 });
  drainAll(n);
  const d = elect(n);
  assert.deepEqual(logTerms(n), [1, 1, 1, 1, 1, 2, 3]);
  // The followers lack entry 6: they refuse the no-op's App and get entry 6 alone.
  for (const m of ofType(d.all, MessageType.App)) {
    n.step(msg(MessageType.AppResp, m.to, 'a', 3, { index: m.index, reject: true, rejectHint: 5, logTerm: 1 }));
  }
  const retry = drainAll(n);
  const apps = ofType(retry.all, MessageType.App);
  assert.equal(apps.length, 4);
  for (const m of apps) assert.deepEqual([m.index, m.entries!.map((e) => e.index)], [5, [6]]);
  // Every follower now stores entry 6 (term 2): all five servers have it.
  for (const m of apps) n.step(accept(m));
  const after = drainAll(n);
  assert.equal(n.status().commit, 5, 'entry 6 is on every server, yet it is not committed by counting replicas');
  assert.deepEqual(after.committed, []);
  // Once a majority stores the term-3 no-op, it commits, and entry 6 with it.
  const noopApps = ofType(after.all, MessageType.App).filter((m) => m.entries?.some((e) => e.index === 7));
  assert.ok(noopApps.length >= 2);
  n.step(accept(noopApps[0]!));
  assert.equal(n.status().commit, 5, 'leader + one follower is not a majority of five');
  n.step(accept(noopApps[1]!));
  assert.equal(n.status().commit, 7);
  assert.deepEqual(
    drainAll(n).committed.map((e) => [e.index, e.term]),
    [
      [6, 2],
      [7, 3],
    ],
  );
});

test('§5.4.2 an acknowledgement of an old-term index alone never moves the commit index', () => {
  for (const ackIndex of [2, 3]) {
    const n = restored('a', { peers: ['a', 'b'], term: 2, log: entriesWithTerms(3, [2]) });
    drainAll(n);
    elect(n);
    n.step(msg(MessageType.AppResp, 'b', 'a', 3, { index: ackIndex }));
    drainAll(n);
    assert.equal(n.status().commit, 2, `ack of ${ackIndex}`);
  }
  const n = restored('a', { peers: ['a', 'b'], term: 2, log: entriesWithTerms(3, [2]) });
  drainAll(n);
  elect(n);
  n.step(msg(MessageType.AppResp, 'b', 'a', 3, { index: 4 }));
  assert.equal(n.status().commit, 4, 'an ack of the current-term no-op commits');
});

test('§5.2 election safety: at most one leader per term (3 and 5 nodes, lossy network, many seeds)', () => {
  for (const ids of [ABC, IDS]) {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = new SeededRand(seed * 7919);
      const nodes = ids.map((id, i) => founder(id, ids, { seed: seed * 100 + i, electionTicks: [5, 10], preVote: seed % 2 === 0 }));
      const net = new Net(nodes);
      net.intercept = () => rand.int(100) >= 30;
      const leaders = new Map<number, string>();
      for (let t = 0; t < 150; t++) {
        for (const n of nodes) n.tick();
        net.round();
        for (const n of nodes) {
          const s = n.status();
          if (s.role !== Role.Leader) continue;
          const prev = leaders.get(s.term);
          assert.ok(prev === undefined || prev === s.id, `seed ${seed}: ${prev} and ${s.id} both lead term ${s.term}`);
          leaders.set(s.term, s.id);
        }
      }
      assert.ok(leaders.size > 0, `seed ${seed}: somebody was elected`);
    }
  }
});

// ---- persistence (Figure 2: "updated on stable storage before responding to RPCs") ----

test('persistence: a vote response leaves only after the vote is durable (persistedMessages, with the hard state)', () => {
  const n = founder('b', ABC);
  drainAll(n);
  n.step(msg(MessageType.Vote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  const rd = drain(n);
  assert.deepEqual(rd.hardState, { term: 2, vote: 'a', commit: 3 });
  assert.deepEqual(
    rd.persistedMessages.map((m) => [m.type, m.to, !m.reject]),
    [[MessageType.VoteResp, 'a', true]],
  );
  assert.equal(rd.messages.length, 0);
});

test('persistence: an AppResp leaves only after the appended entries are durable', () => {
  const n = founder('b', ABC);
  drainAll(n);
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: entriesWithTerms(4, [2, 2]), commit: 3 }));
  const rd = drain(n);
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [4, 5],
  );
  assert.deepEqual(rd.hardState, { term: 2, vote: '', commit: 3 });
  assert.deepEqual(
    rd.persistedMessages.map((m) => [m.type, m.index]),
    [[MessageType.AppResp, 5]],
  );
  assert.equal(rd.messages.length, 0);
});

test("persistence: a leader's App and Heartbeat may leave before its own write", () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  n.propose(bytes('x'));
  const rd = drain(n);
  assert.deepEqual(
    rd.entries.map((e) => e.index),
    [5],
  );
  assert.deepEqual(ofType(rd.messages, MessageType.App).map((m) => m.to).sort(), ['b', 'c']);
  assert.equal(rd.persistedMessages.length, 0);
  n.tick();
  const beat = drain(n);
  assert.equal(ofType(beat.messages, MessageType.Heartbeat).length, 2);
  assert.equal(beat.persistedMessages.length, 0);
});

test("persistence: a leader's own entry counts toward commit only once it is durable (after advance)", () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  n.propose(bytes('x'));
  const rd = n.ready();
  const apps = ofType(rd.messages, MessageType.App);
  n.step(accept(apps.find((m) => m.to === 'b')!));
  assert.equal(n.status().commit, 4, 'the leader and b make a majority only once the leader stored it');
  n.advance(rd);
  assert.equal(n.status().commit, 5);

  // Two followers that stored it are a majority of three without the leader's own copy.
  const m = founder('a', ABC);
  electAndCommit(m);
  m.propose(bytes('x'));
  const rd2 = m.ready();
  for (const app of ofType(rd2.messages, MessageType.App)) m.step(accept(app));
  assert.equal(m.status().commit, 5);
  m.advance(rd2);
  const next = drain(m);
  assert.deepEqual(
    next.committed.map((e) => e.index),
    [5],
    'applied only from a ready after the one that wrote it',
  );
});

test('persistence: everything a non-leader sends waits for the disk', () => {
  const sent: Message[] = [];
  const take = (n: RawNode): void => {
    const rd = drain(n);
    assert.deepEqual(rd.messages, [], `${n.id} (${n.status().role}) sent ${rd.messages.map((m) => m.type)} before persisting`);
    sent.push(...rd.persistedMessages);
  };
  // A candidate's vote requests, a pre-candidate's pre-votes.
  const cand = founder('a', ABC);
  drainAll(cand);
  cand.campaign();
  take(cand);
  const pre = founder('a', ABC, { preVote: true });
  drainAll(pre);
  pre.campaign();
  take(pre);
  // A follower's answers to votes, pre-votes, appends, heartbeats and snapshots, and its forwarded reads.
  const f = founder('b', ABC);
  drainAll(f);
  f.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  take(f);
  f.step(msg(MessageType.Vote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  take(f);
  f.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: entriesWithTerms(4, [2]), commit: 4 }));
  take(f);
  f.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 4, context: 1 }));
  take(f);
  f.readIndex(9);
  take(f);
  const data = bytes('snapshot');
  f.step(
    msg(MessageType.Snap, 'a', 'b', 2, {
      snapshot: { index: 10, term: 2, confState: { voters: ABC, learners: [], removed: [] }, size: data.byteLength },
      offset: 0,
      data,
      checksum: crc32(data),
      last: true,
    }),
  );
  take(f);
  assert.deepEqual(
    [...new Set(sent.map((m) => m.type))].sort(),
    [MessageType.AppResp, MessageType.HeartbeatResp, MessageType.PreVote, MessageType.PreVoteResp, MessageType.ReadIndex, MessageType.SnapResp, MessageType.Vote, MessageType.VoteResp].sort(),
  );
});

test('Figure 2: currentTerm, votedFor and the log survive a restart: no second vote in the same term', () => {
  const n = founder('b', ABC);
  let hard: HardState | undefined;
  const stored: Entry[] = [];
  const persist = (node: RawNode): void => {
    while (node.hasReady()) {
      const rd = node.ready();
      if (rd.hardState) hard = rd.hardState;
      for (const e of rd.entries) {
        stored.length = Math.min(stored.length, e.index - 1);
        stored.push(e);
      }
      node.advance(rd);
    }
  };
  persist(n);
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: entriesWithTerms(4, [2]), commit: 3 }));
  persist(n);
  n.step(msg(MessageType.Vote, 'c', 'b', 3, { index: 4, logTerm: 2 }));
  persist(n);
  assert.deepEqual(hard, { term: 3, vote: 'c', commit: 3 });

  const again = new RawNode(config('b'), { hardState: hard!, entries: stored, applied: 3 });
  assert.equal(again.status().term, 3);
  assert.equal(again.status().vote, 'c');
  assert.deepEqual(logTerms(again), [1, 1, 1, 2]);
  again.step(msg(MessageType.Vote, 'a', 'b', 3, { index: 4, logTerm: 2 }));
  again.step(msg(MessageType.Vote, 'c', 'b', 3, { index: 4, logTerm: 2 }));
  assert.deepEqual(
    ofType(out(drain(again)), MessageType.VoteResp).map((m) => [m.to, !m.reject]),
    [
      ['a', false],
      ['c', true],
    ],
  );
});
