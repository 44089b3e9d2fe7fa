// Raft paper §5.3 (log replication) and the AppendEntries rules of Figure 2.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EntryKind,
  MessageType,
  Net,
  Role,
  accept,
  bytes,
  drainAll,
  elect,
  electAndCommit,
  entriesWithTerms,
  founder,
  logTerms,
  msg,
  ofType,
  replicate,
  restored,
  run,
} from './paper-helpers.js';
import type { Entry, Message, RawNode } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];
const IDS = ['a', 'b', 'c', 'd', 'e'];

const indexes = (es: Entry[]): number[] => es.map((e) => e.index);

test('Figure 2: a leader appends a no-op at the start of its term and sends it to every follower', () => {
  const n = founder('a', ABC);
  drainAll(n);
  const d = elect(n);
  assert.equal(n.status().term, 2);
  assert.equal(d.entries.length, 1);
  const noop = d.entries[0]!;
  assert.deepEqual([noop.index, noop.term, noop.kind, noop.data.byteLength], [4, 2, EntryKind.Noop, 0]);
  const apps = ofType(d.messages, MessageType.App);
  assert.deepEqual(apps.map((m) => m.to).sort(), ['b', 'c']);
  for (const m of apps) {
    assert.equal(m.index, 3, 'nextIndex starts just after the leader log as it was when elected');
    assert.equal(m.logTerm, 1);
    assert.deepEqual(m.entries, [noop]);
    assert.equal(m.commit, 3);
  }
});

test('§5.2 a leader sends heartbeats to every follower each heartbeat interval', () => {
  const n = founder('a', ABC, { heartbeatTicks: 3 });
  electAndCommit(n);
  for (let round = 0; round < 3; round++) {
    n.tick();
    n.tick();
    assert.equal(ofType(drainAll(n).all, MessageType.Heartbeat).length, 0, 'not before the interval');
    n.tick();
    const d = drainAll(n);
    const beats = ofType(d.messages, MessageType.Heartbeat);
    assert.deepEqual(beats.map((m) => m.to).sort(), ['b', 'c']);
    for (const m of beats) {
      assert.equal(m.term, 2);
      assert.equal(m.commit, 4, 'a heartbeat carries the commit index (bounded by what the follower matches)');
      assert.equal(m.entries, undefined);
    }
  }
});

test('§5.3 a leader appends a proposal to its log and replicates it with the index and term of the preceding entry', () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  const ref = n.propose(bytes('x'));
  assert.deepEqual(ref, { index: 5, term: 2 });
  const d = drainAll(n);
  assert.deepEqual(
    d.entries.map((e) => [e.index, e.term]),
    [[5, 2]],
    'the leader writes the new entry',
  );
  const apps = ofType(d.messages, MessageType.App);
  assert.deepEqual(apps.map((m) => m.to).sort(), ['b', 'c']);
  for (const m of apps) {
    assert.equal(m.index, 4);
    assert.equal(m.logTerm, 2);
    assert.deepEqual(indexes(m.entries!), [5]);
    assert.equal(m.commit, 4);
  }
  assert.equal(n.status().commit, 4, 'not committed before a majority stores it');
});

test('§5.3 an entry is committed once a majority of the servers stores it, and not before', () => {
  const cases: [number, string[], boolean][] = [
    [1, [], true],
    [3, [], false],
    [3, ['b'], true],
    [3, ['b', 'c'], true],
    [5, [], false],
    [5, ['b'], false],
    [5, ['b', 'c'], true],
    [5, ['b', 'c', 'd'], true],
    [5, ['b', 'c', 'd', 'e'], true],
  ];
  for (const [size, acceptors, committed] of cases) {
    const n = founder('a', IDS.slice(0, size));
    electAndCommit(n);
    const li = n.status().lastIndex;
    n.propose(bytes('x'));
    const d = drainAll(n);
    for (const m of ofType(d.all, MessageType.App)) if (acceptors.includes(m.to)) n.step(accept(m));
    const after = drainAll(n);
    assert.equal(n.status().commit > li, committed, `size ${size}, stored on a and ${acceptors}`);
    assert.equal([...d.committed, ...after.committed].filter((e) => e.index === li + 1).length, committed ? 1 : 0, 'handed out to apply exactly when committed');
    if (committed && size > 1) {
      const apps = ofType(after.all, MessageType.App);
      assert.ok(apps.length >= size - 1, 'the new commit index goes out to every follower');
      for (const m of apps) assert.equal(m.commit, li + 1);
    }
  }
});

test('§5.3 committing an entry also commits the entries of earlier leaders before it, applied in log order, each once', () => {
  const n = restored('a', { peers: ABC, term: 2, log: entriesWithTerms(4, [2, 2]) });
  drainAll(n);
  const d = elect(n);
  n.propose(bytes('x'));
  const rest = replicate(n, ['b', 'c'], d.all);
  const applied = [...d.committed, ...rest.committed];
  assert.deepEqual(
    applied.map((e) => [e.index, e.term]),
    [
      [4, 2],
      [5, 2],
      [6, 3],
      [7, 3],
    ],
  );
  assert.equal(n.status().commit, 7);
});

test('§5.3 a follower applies entries once it learns they are committed, in log order', () => {
  const cases: { ents: Entry[]; commit: number }[] = [
    { ents: entriesWithTerms(4, [2]), commit: 4 },
    { ents: entriesWithTerms(4, [2, 2]), commit: 5 },
    { ents: entriesWithTerms(4, [2, 2]), commit: 4 },
    { ents: entriesWithTerms(4, [2, 2]), commit: 3 },
  ];
  for (const { ents, commit } of cases) {
    const n = founder('b', ABC);
    drainAll(n);
    n.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: ents, commit }));
    const d = drainAll(n);
    assert.equal(n.status().commit, commit);
    assert.deepEqual(indexes(d.committed), indexes(ents.filter((e) => e.index <= commit)));
  }
  // The commit index may also come later, with an empty App or a heartbeat.
  const n = founder('b', ABC);
  drainAll(n);
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: entriesWithTerms(4, [2, 2, 2]), commit: 3 }));
  assert.deepEqual(drainAll(n).committed, []);
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 6, logTerm: 2, commit: 5 }));
  assert.deepEqual(indexes(drainAll(n).committed), [4, 5]);
  n.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 6 }));
  assert.deepEqual(indexes(drainAll(n).committed), [6]);
});

test('§5.3 a follower rejects an append whose previous entry does not match, and accepts one that does', () => {
  // Follower log: 1..3 at term 1 (committed), 4..5 at term 2.
  const cases: { index: number; logTerm: number; reject: boolean; respIndex: number; hint?: number; hintTerm?: number }[] = [
    { index: 3, logTerm: 1, reject: false, respIndex: 3 },
    { index: 5, logTerm: 2, reject: false, respIndex: 5 },
    { index: 4, logTerm: 2, reject: false, respIndex: 4 },
    // mismatch with an existing entry
    { index: 5, logTerm: 3, reject: true, respIndex: 5, hint: 5, hintTerm: 2 },
    { index: 4, logTerm: 1, reject: true, respIndex: 4, hint: 3, hintTerm: 1 },
    // the previous entry does not exist
    { index: 7, logTerm: 3, reject: true, respIndex: 7, hint: 5, hintTerm: 2 },
  ];
  for (const c of cases) {
    const n = restored('b', { peers: ABC, term: 3, log: entriesWithTerms(4, [2, 2]) });
    drainAll(n);
    n.step(msg(MessageType.App, 'a', 'b', 3, { index: c.index, logTerm: c.logTerm, commit: 3 }));
    const resp = ofType(drainAll(n).all, MessageType.AppResp, 'a');
    assert.equal(resp.length, 1);
    const r = resp[0]!;
    const what = `App(index ${c.index}, logTerm ${c.logTerm})`;
    assert.equal(r.reject === true, c.reject, what);
    assert.equal(r.index, c.respIndex, what);
    if (c.reject) {
      assert.equal(r.rejectHint, c.hint, `${what}: hint`);
      assert.equal(r.logTerm, c.hintTerm, `${what}: hint term`);
    }
    assert.deepEqual(logTerms(n), [1, 1, 1, 2, 2], `${what}: a rejected or empty append changes nothing`);
  }
});

test('§5.3 conflicting entries and all that follow are deleted; new entries are appended; entries already present are kept', () => {
  // Follower log: 1..3 at term 1 (committed), 4..5 at term 2.
  const cases: { index: number; logTerm: number; ents: Entry[]; want: number[]; written: number[] }[] = [
    { index: 5, logTerm: 2, ents: entriesWithTerms(6, [3]), want: [1, 1, 1, 2, 2, 3], written: [6] },
    { index: 4, logTerm: 2, ents: entriesWithTerms(5, [3, 4]), want: [1, 1, 1, 2, 3, 4], written: [5, 6] },
    { index: 3, logTerm: 1, ents: entriesWithTerms(4, [2]), want: [1, 1, 1, 2, 2], written: [] },
    { index: 3, logTerm: 1, ents: entriesWithTerms(4, [3]), want: [1, 1, 1, 3], written: [4] },
    { index: 3, logTerm: 1, ents: entriesWithTerms(4, [2, 2, 4]), want: [1, 1, 1, 2, 2, 4], written: [6] },
  ];
  for (const c of cases) {
    const n = restored('b', { peers: ABC, term: 4, log: entriesWithTerms(4, [2, 2]) });
    drainAll(n);
    n.step(msg(MessageType.App, 'a', 'b', 4, { index: c.index, logTerm: c.logTerm, entries: c.ents, commit: 3 }));
    const d = drainAll(n);
    assert.deepEqual(logTerms(n), c.want);
    assert.deepEqual(indexes(d.entries), c.written, 'only what changed is written to disk');
    const resp = ofType(d.all, MessageType.AppResp, 'a')[0]!;
    assert.ok(!resp.reject);
    assert.equal(resp.index, c.index + c.ents.length, 'the answer names the last entry of the App, not of the log');
  }
});

test('Figure 2: commitIndex on a follower = min(leaderCommit, index of last new entry)', () => {
  // The follower's entries 5 and 6 came from an old leader of term 2; the new
  // leader of term 3 has (and committed) other entries there.
  const n = restored('b', { peers: ABC, term: 3, log: entriesWithTerms(4, [2, 2, 2]) });
  drainAll(n);
  n.step(msg(MessageType.App, 'a', 'b', 3, { index: 3, logTerm: 1, entries: entriesWithTerms(4, [2]), commit: 6 }));
  let d = drainAll(n);
  assert.equal(n.status().commit, 4, 'entries 5 and 6 are not known to match the leader: they must not commit');
  assert.deepEqual(indexes(d.committed), [4]);

  n.step(msg(MessageType.App, 'a', 'b', 3, { index: 4, logTerm: 2, entries: entriesWithTerms(5, [3]), commit: 6 }));
  d = drainAll(n);
  assert.deepEqual(logTerms(n), [1, 1, 1, 2, 3]);
  assert.equal(n.status().commit, 5);
  assert.deepEqual(indexes(d.committed), [5]);

  n.step(msg(MessageType.App, 'a', 'b', 3, { index: 5, logTerm: 3, entries: entriesWithTerms(6, [3, 3]), commit: 6 }));
  d = drainAll(n);
  assert.equal(n.status().commit, 6, 'leaderCommit when it is the smaller');
  assert.deepEqual(indexes(d.committed), [6]);
});

test('§5.3 a leader brings each follower log of Figure 7 in line with its own', () => {
  // Figure 7: indexes 1..3 (term 1) are the founding entries here.
  const leaderTail = [4, 4, 5, 5, 6, 6, 6];
  const followers: Record<string, number[]> = {
    a: [4, 4, 5, 5, 6, 6],
    b: [4],
    c: [4, 4, 5, 5, 6, 6, 6, 6],
    d: [4, 4, 5, 5, 6, 6, 6, 7, 7],
    e: [4, 4, 4, 4],
    f: [2, 2, 2, 3, 3, 3, 3, 3],
  };
  for (const [name, tail] of Object.entries(followers)) {
    const lead = restored('a', { peers: ABC, term: 7, log: entriesWithTerms(4, leaderTail) });
    const follower = restored('b', { peers: ABC, term: 7, log: entriesWithTerms(4, tail) });
    drainAll(lead);
    drainAll(follower);
    // c votes for the leader (b might not: its log may be more up to date).
    const d = elect(lead, ['c']);
    assert.equal(lead.status().term, 8);
    const net = new Net([lead, follower]);
    net.isolated.add('c');
    for (const m of d.all) if (m.to === 'b') follower.step(m);
    net.settle();
    const want = [1, 1, 1, ...leaderTail, 8];
    assert.deepEqual(logTerms(lead), want, `(${name}) the leader never changes its own log`);
    assert.deepEqual(logTerms(follower), want, `(${name}) the follower log equals the leader's`);
    assert.equal(follower.status().commit, 11, `(${name}) and commits with it`);
  }
});

/** Count the App round trips between a leader `a` and follower `b` until b's log equals a's. */
function catchUp(lead: RawNode, follower: RawNode, first: Message[]): { roundTrips: number; rejections: number } {
  const net = new Net([lead, follower]);
  net.isolated.add('c');
  let roundTrips = 1;
  let rejections = 0;
  for (const m of first) if (m.to === 'b') follower.step(m);
  for (let i = 0; i < 100; i++) {
    const delivered = net.round();
    rejections += delivered.filter((m) => m.type === MessageType.AppResp && m.reject).length;
    if (delivered.some((m) => m.type === MessageType.App && m.to === 'b')) roundTrips++;
    if (delivered.length === 0) break;
  }
  return { roundTrips, rejections };
}

test('§5.3 fast backtracking: a follower diverged by thousands of entries catches up in a few round trips', () => {
  const scenarios: { name: string; leader: Entry[]; leaderTerm: number; follower: Entry[] }[] = [
    {
      name: 'follower has 4000 entries of a stale term where the leader has 2000 of a newer one',
      leader: [...run(4, 1000, 2), ...run(1004, 2000, 4)],
      leaderTerm: 4,
      follower: [...run(4, 1000, 2), ...run(1004, 4000, 3)],
    },
    {
      name: 'follower is 3000 entries behind',
      leader: run(4, 3000, 2),
      leaderTerm: 2,
      follower: [],
    },
    {
      name: 'follower diverged over 2000 entries of 2000 different terms',
      leader: [...run(4, 1000, 2), ...run(1004, 2000, 2003)],
      leaderTerm: 2003,
      follower: [...run(4, 1000, 2), ...entriesWithTerms(1004, Array.from({ length: 2000 }, (_, i) => 3 + i))],
    },
    {
      name: 'leader diverged over 2000 entries of 2000 different terms, the follower holds one newer term',
      leader: [...run(4, 1000, 2), ...entriesWithTerms(1004, Array.from({ length: 2000 }, (_, i) => 3 + i))],
      leaderTerm: 2003,
      follower: [...run(4, 1000, 2), ...run(1004, 2500, 2003)],
    },
  ];
  for (const s of scenarios) {
    const lead = restored('a', { peers: ABC, term: s.leaderTerm, log: s.leader });
    const follower = restored('b', { peers: ABC, term: s.leaderTerm, log: s.follower });
    drainAll(lead);
    drainAll(follower);
    const d = elect(lead, ['c']);
    const { roundTrips, rejections } = catchUp(lead, follower, d.all);
    assert.deepEqual(logTerms(follower), logTerms(lead), s.name);
    assert.equal(follower.status().commit, lead.status().lastIndex, `${s.name}: commits`);
    assert.ok(rejections <= 2, `${s.name}: ${rejections} rejected Apps`);
    assert.ok(roundTrips <= 5, `${s.name}: ${roundTrips} App round trips`);
  }
});

test('§5.3 a leader keeps retrying a silent follower, one probe at a time', () => {
  const n = founder('a', ABC);
  const d = elect(n);
  assert.equal(ofType(d.all, MessageType.App, 'c').length, 1);
  n.propose(bytes('x'));
  n.propose(bytes('y'));
  assert.equal(ofType(drainAll(n).all, MessageType.App, 'c').length, 0, 'a probing follower gets nothing new until it answers');
  // A heartbeat answer shows it is alive: the leader probes again.
  n.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  const again = ofType(drainAll(n).all, MessageType.App, 'c');
  assert.equal(again.length, 1);
  assert.equal(again[0]!.index, 3, 'from the same nextIndex');
  assert.equal(n.status().role, Role.Leader);
});
