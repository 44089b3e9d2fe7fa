// Raft paper §5.1 (terms) and §5.2 (leader election), plus the thesis'
// PreVote (§9.6), CheckQuorum and the leader lease (§6.2, §4.2.3).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MessageType,
  Role,
  drain,
  drainAll,
  elect,
  electAndCommit,
  founder,
  msg,
  ofType,
  out,
  restored,
  type Opts,
} from './paper-helpers.js';
import type { RawNode } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];
const IDS = ['a', 'b', 'c', 'd', 'e'];

/** Ticks until the node leaves the follower (or, for a candidate, its term) state; drains as it goes. */
function ticksUntil(n: RawNode, done: () => boolean, max = 1000): number {
  for (let t = 1; t <= max; t++) {
    n.tick();
    drainAll(n);
    if (done()) return t;
  }
  throw new Error('never happened');
}

test('§5.1 a node that receives a message with a higher term becomes follower and adopts it', () => {
  const setups: [string, (n: RawNode) => void, Opts][] = [
    ['follower', () => {}, {}],
    ['pre-candidate', (n) => n.campaign(), { preVote: true }],
    ['candidate', (n) => n.campaign(), {}],
    ['leader', (n) => elect(n), {}],
  ];
  for (const [role, setup, opts] of setups) {
    // An App (from a leader): follow its sender.
    const n = founder('a', ABC, opts);
    setup(n);
    drainAll(n);
    const term = n.status().term + 3;
    n.step(msg(MessageType.App, 'b', 'a', term, { index: 3, logTerm: 1, commit: 3 }));
    assert.equal(n.status().term, term, role);
    assert.equal(n.status().role, Role.Follower, role);
    assert.equal(n.status().leader, 'b', role);
    assert.equal(n.status().vote, '', `${role}: a new term starts with no vote`);

    // Any other message: adopt the term, no leader known yet.
    const m = founder('a', ABC, opts);
    setup(m);
    drainAll(m);
    const term2 = m.status().term + 2;
    m.step(msg(MessageType.HeartbeatResp, 'c', 'a', term2));
    assert.equal(m.status().term, term2, role);
    assert.equal(m.status().role, Role.Follower, role);
    assert.equal(m.status().leader, '', role);
  }
});

test('§5.1 a request with a stale term is rejected and the reply carries the current term', () => {
  const n = restored('a', { peers: ABC, term: 3 }, { preVote: true });
  drainAll(n);
  n.step(msg(MessageType.App, 'b', 'a', 2, { index: 3, logTerm: 1, commit: 4, entries: [{ index: 4, term: 2, kind: 0, data: new Uint8Array(1) }] }));
  const rd = drainAll(n);
  assert.equal(n.status().lastIndex, 3, 'the stale append is not taken');
  assert.equal(n.status().commit, 3);
  assert.equal(n.status().term, 3);
  const resp = ofType(rd.all, MessageType.AppResp, 'b');
  assert.equal(resp.length, 1);
  assert.equal(resp[0]!.term, 3, 'the stale leader learns the current term');
  assert.ok(!(resp[0]!.index >= 4), 'and is not told its entry was accepted');

  // A stale vote request is never granted.
  n.step(msg(MessageType.Vote, 'c', 'a', 2, { index: 100, logTerm: 2 }));
  const rd2 = drainAll(n);
  assert.equal(ofType(rd2.all, MessageType.VoteResp).filter((m) => !m.reject).length, 0);
  assert.equal(n.status().vote, '');
});

test('§5.1 a stale leader that learns a higher term from a response steps down', () => {
  const n = founder('a', ABC);
  elect(n);
  assert.equal(n.status().role, Role.Leader);
  n.step(msg(MessageType.AppResp, 'b', 'a', 7, { reject: true }));
  assert.equal(n.status().role, Role.Follower);
  assert.equal(n.status().term, 7);
  assert.throws(() => n.propose(new Uint8Array(1)), { code: 'RAFTKV_ERR_NOT_LEADER' });
});

test('§5.2 servers start as followers', () => {
  const n = founder('a', ABC);
  const s = n.status();
  assert.equal(s.role, Role.Follower);
  assert.equal(s.leader, '');
  assert.equal(s.term, 1);
  assert.deepEqual(s.confState.voters, ABC);
  const rd = drain(n);
  assert.deepEqual(rd.hardState, { term: 1, vote: '', commit: 3 }, 'the founding term and commit are persisted first');
  assert.equal(rd.entries.length, 3);
  assert.equal(out(rd).length, 0, 'a follower starts silent');
});

test('§5.2 a follower that hears nothing for an election timeout becomes candidate: term+1, votes for itself, asks every peer', () => {
  const n = founder('a', ABC);
  drainAll(n);
  let t = 0;
  while (n.status().role === Role.Follower) {
    n.tick();
    assert.ok(++t < 20, 'times out within the maximum election timeout');
  }
  assert.equal(n.status().role, Role.Candidate);
  assert.equal(n.status().term, 2);
  assert.equal(n.status().vote, 'a');
  const rd = drain(n);
  assert.deepEqual(rd.hardState, { term: 2, vote: 'a', commit: 3 });
  const votes = ofType(rd.persistedMessages, MessageType.Vote);
  assert.deepEqual(votes.map((m) => m.to).sort(), ['b', 'c']);
  for (const v of votes) {
    assert.equal(v.term, 2);
    assert.equal(v.index, 3, "the candidate's last index");
    assert.equal(v.logTerm, 1, "the candidate's last term");
  }
  assert.equal(ofType(rd.messages, MessageType.Vote).length, 0, 'vote requests wait for the self-vote to be durable');
});

test('§5.2 a candidate that times out starts a new election with a higher term', () => {
  const n = founder('a', ABC);
  n.campaign();
  drainAll(n);
  assert.equal(n.status().term, 2);
  const ticks = ticksUntil(n, () => n.status().term === 3, 40);
  assert.ok(ticks >= 10 && ticks < 20, `re-campaigns after an election timeout (${ticks})`);
  assert.equal(n.status().role, Role.Candidate);
  assert.equal(n.status().vote, 'a');
});

test('§5.2 a candidate wins with a majority of votes, loses with a majority of refusals, and otherwise keeps waiting', () => {
  const cases: [number, Record<string, boolean>, Role][] = [
    [1, {}, Role.Leader],
    [3, { b: true, c: true }, Role.Leader],
    [3, { b: true }, Role.Leader],
    [5, { b: true, c: true, d: true, e: true }, Role.Leader],
    [5, { b: true, c: true, d: true }, Role.Leader],
    [5, { b: true, c: true }, Role.Leader],
    [3, { b: false, c: false }, Role.Follower],
    [5, { b: false, c: false, d: false, e: false }, Role.Follower],
    [5, { b: true, c: false, d: false, e: false }, Role.Follower],
    [5, { b: false, c: false, d: false }, Role.Follower],
    [3, {}, Role.Candidate],
    [3, { b: false }, Role.Candidate],
    [5, { b: true }, Role.Candidate],
    [5, { b: false, c: false }, Role.Candidate],
    [5, { b: true, c: false, d: false }, Role.Candidate],
    [5, {}, Role.Candidate],
  ];
  for (const [size, votes, want] of cases) {
    const n = founder('a', IDS.slice(0, size));
    n.campaign();
    drainAll(n);
    for (const [from, granted] of Object.entries(votes)) n.step(msg(MessageType.VoteResp, from, 'a', 2, { reject: !granted }));
    assert.equal(n.status().role, want, `size ${size} votes ${JSON.stringify(votes)}`);
    assert.equal(n.status().term, 2);
  }
});

test('§5.2 a candidate counts each voter once', () => {
  const n = founder('a', IDS);
  n.campaign();
  drainAll(n);
  n.step(msg(MessageType.VoteResp, 'b', 'a', 2));
  n.step(msg(MessageType.VoteResp, 'b', 'a', 2));
  n.step(msg(MessageType.VoteResp, 'b', 'a', 2));
  assert.equal(n.status().role, Role.Candidate, 'three copies of one vote are one vote');
  n.step(msg(MessageType.VoteResp, 'c', 'a', 2));
  assert.equal(n.status().role, Role.Leader);
});

test('§5.2 a follower grants at most one vote per term, first come first served', () => {
  const cases: [string, string, boolean][] = [
    ['', 'b', true],
    ['', 'c', true],
    ['b', 'b', true],
    ['c', 'c', true],
    ['b', 'c', false],
    ['c', 'b', false],
  ];
  for (const [voted, candidate, granted] of cases) {
    const n = restored('a', { peers: ABC, term: 2, vote: voted });
    drainAll(n);
    n.step(msg(MessageType.Vote, candidate, 'a', 2, { index: 3, logTerm: 1 }));
    const resp = ofType(drainAll(n).all, MessageType.VoteResp);
    assert.equal(resp.length, 1);
    assert.equal(resp[0]!.to, candidate);
    assert.equal(!resp[0]!.reject, granted, `voted for '${voted}', asked by ${candidate}`);
    assert.equal(n.status().vote, voted || candidate, 'the vote never moves within a term');
  }
  // In sequence: the first candidate of the term gets the vote, the second does not.
  const n = founder('a', ABC);
  drainAll(n);
  n.step(msg(MessageType.Vote, 'b', 'a', 2, { index: 3, logTerm: 1 }));
  n.step(msg(MessageType.Vote, 'c', 'a', 2, { index: 3, logTerm: 1 }));
  const resps = ofType(drainAll(n).all, MessageType.VoteResp);
  assert.deepEqual(
    resps.map((m) => [m.to, !m.reject]),
    [
      ['b', true],
      ['c', false],
    ],
  );
});

test('§5.2 a candidate that receives an App from a leader of its term or later becomes follower', () => {
  for (const term of [2, 3]) {
    const n = founder('a', ABC);
    n.campaign();
    drainAll(n);
    assert.equal(n.status().role, Role.Candidate);
    n.step(msg(MessageType.App, 'b', 'a', term, { index: 3, logTerm: 1, commit: 3 }));
    assert.equal(n.status().role, Role.Follower);
    assert.equal(n.status().term, term);
    assert.equal(n.status().leader, 'b');
    const resp = ofType(drainAll(n).all, MessageType.AppResp, 'b');
    assert.equal(resp.length, 1, 'and answers the App');
    assert.ok(!resp[0]!.reject);
  }
});

test('§5.2 election timeouts are randomized within [min, max)', () => {
  for (const range of [
    [10, 20],
    [5, 8],
  ] as [number, number][]) {
    const followerTimeouts = new Set<number>();
    const candidateTimeouts = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const n = founder('a', ABC, { seed, electionTicks: range });
      drainAll(n);
      followerTimeouts.add(ticksUntil(n, () => n.status().role !== Role.Follower));
      candidateTimeouts.add(ticksUntil(n, () => n.status().term === 3));
    }
    for (const timeouts of [followerTimeouts, candidateTimeouts]) {
      for (const t of timeouts) assert.ok(t >= range[0] && t < range[1], `timeout ${t} outside [${range}]`);
      for (let t = range[0]; t < range[1]; t++) assert.ok(timeouts.has(t), `timeout ${t} never drawn in [${range}]`);
    }
  }
});

test('§5.2 in most rounds only one of five servers times out first (randomized timeouts avoid split votes)', () => {
  let conflicts = 0;
  const rounds = 200;
  for (let round = 0; round < rounds; round++) {
    const nodes = IDS.map((id, i) => founder(id, IDS, { seed: round * 10 + i + 1 }));
    for (const n of nodes) drainAll(n);
    let first = 0;
    while (first === 0) {
      for (const n of nodes) {
        n.tick();
        if (n.status().role !== Role.Follower) first++;
      }
    }
    if (first > 1) conflicts++;
  }
  assert.ok(conflicts / rounds <= 0.3, `${conflicts} of ${rounds} rounds had several servers time out together`);
});

test('§5.2 a heartbeat from the leader resets the election timer', () => {
  const twin = founder('a', ABC, { seed: 42 });
  drainAll(twin);
  const T = ticksUntil(twin, () => twin.status().role !== Role.Follower);

  const n = founder('a', ABC, { seed: 42 });
  drainAll(n);
  for (let i = 0; i < T - 1; i++) n.tick();
  n.step(msg(MessageType.Heartbeat, 'b', 'a', 1, { commit: 3 }));
  for (let i = 0; i < T - 1; i++) n.tick();
  assert.equal(n.status().role, Role.Follower, 'the timer restarted at the heartbeat');
  n.tick();
  assert.equal(n.status().role, Role.Candidate, 'a full timeout after the heartbeat it campaigns');
});

test('§5.2 granting a vote resets the election timer; refusing one does not', () => {
  const disk = { peers: ABC, term: 2 };
  const twin = restored('a', disk, { seed: 7 });
  drainAll(twin);
  const T = ticksUntil(twin, () => twin.status().role !== Role.Follower);

  const granted = restored('a', disk, { seed: 7 });
  drainAll(granted);
  for (let i = 0; i < T - 1; i++) granted.tick();
  granted.step(msg(MessageType.Vote, 'c', 'a', 2, { index: 3, logTerm: 1 }));
  assert.equal(ofType(drainAll(granted).all, MessageType.VoteResp)[0]!.reject, undefined);
  for (let i = 0; i < T - 1; i++) granted.tick();
  assert.equal(granted.status().role, Role.Follower);

  const refused = restored('a', disk, { seed: 7 });
  drainAll(refused);
  for (let i = 0; i < T - 1; i++) refused.tick();
  refused.step(msg(MessageType.Vote, 'c', 'a', 2, { index: 0, logTerm: 0 })); // a log behind ours
  assert.equal(ofType(drainAll(refused).all, MessageType.VoteResp)[0]!.reject, true);
  refused.tick();
  assert.equal(refused.status().role, Role.Candidate, 'a refused candidate does not hold back our timeout');
});

// ---- PreVote (thesis §9.6) ----

test('§9.6 PreVote: a node cut off from the others does not bump its term', () => {
  const n = founder('a', ABC, { preVote: true });
  drainAll(n);
  const sent = [];
  for (let i = 0; i < 200; i++) {
    n.tick();
    sent.push(...drainAll(n).all);
  }
  assert.equal(n.status().term, 1, 'ten election timeouts later the term is unchanged');
  assert.equal(n.status().role, Role.PreCandidate);
  assert.equal(n.status().vote, '');
  assert.ok(sent.length >= 2 * 10, 'it kept asking');
  for (const m of sent) {
    assert.equal(m.type, MessageType.PreVote);
    assert.equal(m.term, 2, 'a pre-vote asks for the next term without entering it');
  }

  // Without PreVote the same node inflates its term on every timeout.
  const plain = founder('a', ABC, { preVote: false });
  drainAll(plain);
  for (let i = 0; i < 200; i++) {
    plain.tick();
    drainAll(plain);
  }
  assert.ok(plain.status().term > 5);
});

test('§9.6 PreVote: granting a pre-vote changes neither the voter term nor its vote', () => {
  const n = founder('b', ABC, { preVote: true });
  drainAll(n);
  n.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  n.step(msg(MessageType.PreVote, 'c', 'b', 2, { index: 3, logTerm: 1 }));
  const rd = drainAll(n);
  const resps = ofType(rd.all, MessageType.PreVoteResp);
  assert.deepEqual(
    resps.map((m) => [m.to, !m.reject, m.term]),
    [
      ['a', true, 2],
      ['c', true, 2],
    ],
    'a pre-vote promises nothing, so two pre-candidates can both have one',
  );
  assert.equal(n.status().term, 1);
  assert.equal(n.status().vote, '');
  assert.equal(rd.hardStates.length, 0, 'nothing to persist');
});

test('§9.6 PreVote: a pre-candidate with a majority of pre-votes starts the real election; with a majority of refusals it gives up', () => {
  const n = founder('a', IDS, { preVote: true });
  n.campaign();
  const pre = drainAll(n);
  assert.equal(n.status().role, Role.PreCandidate);
  assert.equal(ofType(pre.all, MessageType.PreVote).length, 4);
  n.step(msg(MessageType.PreVoteResp, 'b', 'a', 2));
  assert.equal(n.status().role, Role.PreCandidate, 'two of five is not enough');
  n.step(msg(MessageType.PreVoteResp, 'c', 'a', 2));
  assert.equal(n.status().role, Role.Candidate);
  assert.equal(n.status().term, 2);
  assert.equal(ofType(drainAll(n).all, MessageType.Vote).length, 4);

  const m = founder('a', IDS, { preVote: true });
  m.campaign();
  drainAll(m);
  for (const p of ['b', 'c', 'd']) m.step(msg(MessageType.PreVoteResp, p, 'a', 1, { reject: true }));
  assert.equal(m.status().role, Role.Follower);
  assert.equal(m.status().term, 1);
});

test('§9.6 PreVote: followers that hear from a leader refuse a rejoining node, so it cannot disrupt the cluster', () => {
  const b = founder('b', ABC, { preVote: true, checkQuorum: false });
  drainAll(b);
  b.step(msg(MessageType.Heartbeat, 'c', 'b', 1, { commit: 3 }));
  drainAll(b);
  b.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  const resp = ofType(drainAll(b).all, MessageType.PreVoteResp, 'a');
  assert.equal(resp.length, 1);
  assert.equal(resp[0]!.reject, true);
  assert.equal(b.status().term, 1);
  assert.equal(b.status().leader, 'c', 'the leader is still followed');

  // Once the leader has been silent for an election timeout, the same pre-vote is granted.
  for (let i = 0; i < 10; i++) b.tick();
  drainAll(b);
  b.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  const later = ofType(drainAll(b).all, MessageType.PreVoteResp, 'a');
  assert.equal(later.length, 1);
  assert.ok(!later[0]!.reject);
});

// ---- CheckQuorum and the leader lease (thesis §6.2, §4.2.3) ----

test('§6.2 CheckQuorum: a leader that hears from no majority for an election timeout steps down', () => {
  const n = founder('a', ABC, { checkQuorum: true });
  elect(n);
  for (let i = 0; i < 9; i++) {
    n.tick();
    drainAll(n);
  }
  assert.equal(n.status().role, Role.Leader, 'not before an election timeout');
  n.tick();
  assert.equal(n.status().role, Role.Follower);
  assert.equal(n.status().term, 2, 'stepping down does not change the term');
  assert.throws(() => n.propose(new Uint8Array(1)), { code: 'RAFTKV_ERR_NOT_LEADER' });

  // Hearing from a minority (b of a five-node cluster) is not enough either.
  const five = founder('a', IDS, { checkQuorum: true });
  elect(five);
  for (let i = 0; i < 10; i++) {
    five.tick();
    five.step(msg(MessageType.HeartbeatResp, 'b', 'a', 2));
    drainAll(five);
  }
  assert.equal(five.status().role, Role.Follower);
});

test('§6.2 CheckQuorum: a leader that hears from a majority stays leader', () => {
  const n = founder('a', ABC, { checkQuorum: true });
  elect(n);
  for (let i = 0; i < 100; i++) {
    n.tick();
    n.step(msg(MessageType.HeartbeatResp, 'b', 'a', 2));
    drainAll(n);
  }
  assert.equal(n.status().role, Role.Leader);
  assert.equal(n.status().term, 2);
});

test('§4.2.3 leader lease: a follower that heard from a leader within the minimum election timeout ignores a higher-term vote request, unless forced by a transfer', () => {
  const mk = (checkQuorum: boolean): RawNode => {
    const b = founder('b', ABC, { checkQuorum });
    drainAll(b);
    b.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 0 }));
    drainAll(b);
    return b;
  };
  const b = mk(true);
  b.step(msg(MessageType.Vote, 'c', 'b', 3, { index: 3, logTerm: 1 }));
  assert.equal(drainAll(b).all.length, 0, 'ignored');
  assert.equal(b.status().term, 2);
  assert.equal(b.status().leader, 'a');

  b.step(msg(MessageType.Vote, 'c', 'b', 3, { index: 3, logTerm: 1, force: true }));
  const resp = ofType(drainAll(b).all, MessageType.VoteResp, 'c');
  assert.equal(resp.length, 1);
  assert.ok(!resp[0]!.reject, 'a transfer campaign is not held back by the lease');
  assert.equal(b.status().term, 3);

  // Without CheckQuorum there is no lease: the plain §5.1 rule applies.
  const plain = mk(false);
  plain.step(msg(MessageType.Vote, 'c', 'b', 3, { index: 3, logTerm: 1 }));
  assert.equal(plain.status().term, 3);
  assert.ok(!ofType(drainAll(plain).all, MessageType.VoteResp, 'c')[0]!.reject);
});

test('§5.2 a leader of a single-voter cluster is elected at once', () => {
  const n = founder('a', ['a']);
  drainAll(n);
  n.campaign();
  assert.equal(n.status().role, Role.Leader);
  assert.equal(n.status().commit, 1, 'its no-op is not committed before it is durable');
  drainAll(n);
  assert.equal(n.status().commit, 2, 'its no-op commits once it is durable');
});

test('§5.2 once elected, a leader keeps its term until it hears a higher one', () => {
  const n = founder('a', ABC);
  const term = electAndCommit(n);
  for (let i = 0; i < 100; i++) {
    n.tick();
    drainAll(n);
  }
  assert.equal(n.status().role, Role.Leader, 'without CheckQuorum a leader never times itself out');
  assert.equal(n.status().term, term);
});

test('§5.2 only followers and candidates start elections: campaign() on the leader changes nothing', () => {
  for (const preVote of [false, true]) {
    const n = founder('a', ABC, { preVote });
    const term = electAndCommit(n);
    n.campaign();
    assert.equal(n.status().role, Role.Leader);
    assert.equal(n.status().term, term);
    assert.equal(ofType(drainAll(n).all, preVote ? MessageType.PreVote : MessageType.Vote).length, 0);
  }
});

// ---- A lost connection to the leader (raftkv's fast failover) ----

test('leader connection lost: the follower drops the lease and campaigns within half an election timeout', () => {
  const opts: Opts = { preVote: true, checkQuorum: true, electionTicks: [20, 40] };
  const b = founder('b', ABC, opts);
  drainAll(b);
  b.step(msg(MessageType.Heartbeat, 'c', 'b', 1, { commit: 3 }));
  drainAll(b);
  // Still in the lease: a pre-vote is refused.
  b.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  assert.equal(ofType(drainAll(b).all, MessageType.PreVoteResp, 'a')[0]!.reject, true);

  b.peerUnreachable('c');
  // The lease is gone at once: the same pre-vote is granted now.
  b.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  assert.ok(!ofType(drainAll(b).all, MessageType.PreVoteResp, 'a')[0]!.reject);
  // And it campaigns itself well before a full election timeout (20 ticks).
  const ticks = ticksUntil(b, () => b.status().role !== Role.Follower);
  assert.ok(ticks <= 10, `campaigned after ${ticks} ticks`);
  assert.equal(b.status().role, Role.PreCandidate);
  assert.equal(b.status().term, 1, 'a pre-election does not bump the term');
});

test('leader connection lost: only the leader counts; another peer, or a node that is not a follower, changes nothing', () => {
  const opts: Opts = { preVote: true, checkQuorum: true, electionTicks: [20, 40] };
  const b = founder('b', ABC, opts);
  drainAll(b);
  b.step(msg(MessageType.Heartbeat, 'c', 'b', 1, { commit: 3 }));
  drainAll(b);
  b.peerUnreachable('a');
  b.step(msg(MessageType.PreVote, 'a', 'b', 2, { index: 3, logTerm: 1 }));
  assert.equal(ofType(drainAll(b).all, MessageType.PreVoteResp, 'a')[0]!.reject, true, 'the lease of leader c still holds');
  assert.ok(ticksUntil(b, () => b.status().role !== Role.Follower) >= 20, 'no early campaign');

  const leader = founder('a', ABC, opts);
  elect(leader);
  leader.peerUnreachable('b');
  assert.equal(leader.status().role, Role.Leader);
});

test('leader connection lost while the leader is alive: the others refuse the pre-vote and the term never moves', () => {
  // Pre-vote is what makes the early campaign harmless: a lone follower with a broken link cannot depose a live leader.
  const opts: Opts = { preVote: true, checkQuorum: true, electionTicks: [20, 40] };
  const b = founder('b', ABC, opts);
  const c = founder('c', ABC, opts);
  drainAll(b);
  drainAll(c);
  for (const n of [b, c]) {
    n.step(msg(MessageType.Heartbeat, 'a', n.status().id, 1, { commit: 3 }));
    drainAll(n);
  }
  b.peerUnreachable('a');
  let preVote: ReturnType<typeof msg> | undefined;
  for (let t = 0; t < 20 && !preVote; t++) {
    b.tick();
    preVote = ofType(drainAll(b).all, MessageType.PreVote, 'c')[0];
  }
  assert.ok(preVote, 'b campaigns early');
  c.step(preVote);
  assert.equal(ofType(drainAll(c).all, MessageType.PreVoteResp, 'b')[0]!.reject, true);
  assert.equal(c.status().term, 1);
  assert.equal(c.status().leader, 'a');
});
