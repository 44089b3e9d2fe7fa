// Messages no correct peer can send (a forged or corrupted one, or a bug
// elsewhere) are dropped by the core, counted and logged; they never stop the
// node and leave no trace in its state, not even a new term.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMPOSSIBLE_MESSAGE_DROPPED, MessageType, Role, type Message, type RawNode } from '../../src/raft/index.js';
import { accept, drainAll, electAndCommit, entriesWithTerms, founder, logTerms, msg, ofType, restored, type Opts } from './paper-helpers.js';

const ABC = ['a', 'b', 'c'];

interface Watched {
  events: Record<string, unknown>[];
  opts: Opts;
}

/** Options whose logger keeps the core's 'impossible message dropped' events. */
function watched(): Watched {
  const events: Record<string, unknown>[] = [];
  return { events, opts: { logger: (event, fields) => (event === IMPOSSIBLE_MESSAGE_DROPPED ? events.push(fields) : undefined) } };
}

/** Everything that makes up the node's state, to prove a drop changed none of it. */
function snapshotOf(n: RawNode): unknown {
  const { droppedImpossible: _, ...status } = n.status();
  return { status, log: logTerms(n) };
}

/** Steps `m` into `n` and asserts it was dropped as impossible (with `reason` in the log) and changed nothing. */
function assertDropped(n: RawNode, w: Watched, m: Message, reason: RegExp): void {
  const before = snapshotOf(n);
  const dropped = n.status().droppedImpossible;
  assert.doesNotThrow(() => n.step(m));
  assert.equal(n.status().droppedImpossible, dropped + 1, 'counted');
  const last = w.events.at(-1);
  assert.ok(last, 'logged');
  assert.match(String(last.reason), reason);
  assert.equal(last.from, m.from);
  assert.equal(last.type, m.type);
  assert.deepEqual(snapshotOf(n), before, 'no state changed');
  assert.deepEqual(drainAll(n).all, [], 'nothing sent');
}

/** A leader of term 2 over a, b, c, with its no-op committed. */
function leader(w: Watched): RawNode {
  const n = founder('a', ABC, w.opts);
  drainAll(n);
  electAndCommit(n);
  return n;
}

/** A follower b at term 2 whose log is the founding log plus entries 4..6 of term 2, committed to 5. */
function follower(w: Watched): RawNode {
  const n = restored('b', { peers: ABC, term: 2, log: entriesWithTerms(4, [2, 2, 2]), commit: 5, applied: 5 }, w.opts);
  drainAll(n);
  return n;
}

test('a Heartbeat at the leader own term sent to the leader is dropped; the leader keeps leading', () => {
  const w = watched();
  const n = leader(w);
  assertDropped(n, w, msg(MessageType.Heartbeat, 'b', 'a', 2, { commit: 4 }), /two leaders in term 2/);
  assert.equal(n.status().role, Role.Leader);
  // Still a working leader: it replicates a proposal.
  n.propose(new TextEncoder().encode('after'));
  assert.equal(ofType(drainAll(n).messages, MessageType.App).length, 2);
});

test('an App and a Snap at the leader own term sent to the leader are dropped', () => {
  const w = watched();
  const n = leader(w);
  assertDropped(n, w, msg(MessageType.App, 'c', 'a', 2, { index: 4, logTerm: 2, entries: entriesWithTerms(5, [2]) }), /two leaders/);
  const meta = { index: 9, term: 2, size: 3, confState: { voters: ABC, learners: [], removed: [] } };
  assertDropped(n, w, msg(MessageType.Snap, 'c', 'a', 2, { snapshot: meta, offset: 0, data: new Uint8Array(3), checksum: 0, last: true }), /two leaders/);
  assert.equal(n.status().droppedImpossible, 2);
});

test('an AppResp acknowledging entries beyond the leader last index is dropped', () => {
  const w = watched();
  const n = leader(w);
  assertDropped(n, w, msg(MessageType.AppResp, 'b', 'a', 2, { index: 1000 }), /beyond the leader's last index/);
  // A true acknowledgement still counts.
  n.propose(new TextEncoder().encode('x'));
  const apps = ofType(drainAll(n).messages, MessageType.App);
  n.step(accept(apps[0]!));
  drainAll(n);
  assert.equal(n.status().commit, 5);
});

test('a Snap without snapshot metadata is dropped, even at a higher term (the term does not move)', () => {
  const w = watched();
  const n = follower(w);
  assertDropped(n, w, msg(MessageType.Snap, 'a', 'b', 2, { offset: 0, data: new Uint8Array(4), checksum: 0, last: true }), /without snapshot metadata/);
  assertDropped(n, w, msg(MessageType.Snap, 'a', 'b', 9, { offset: 0 }), /without snapshot metadata/);
  assert.equal(n.status().term, 2);
});

test('an App whose entries conflict with committed entries is dropped before the log is touched', () => {
  const w = watched();
  const n = follower(w);
  // Entries 4..6 of term 3 after (3, 1): entries 4 and 5 are committed with term 2.
  assertDropped(n, w, msg(MessageType.App, 'a', 'b', 3, { index: 3, logTerm: 1, commit: 6, entries: entriesWithTerms(4, [3, 3, 3]) }), /conflicts with committed entry 4/);
  assertDropped(n, w, msg(MessageType.App, 'a', 'b', 2, { index: 4, logTerm: 2, commit: 6, entries: entriesWithTerms(5, [1]) }), /terms go backwards/);
  assert.deepEqual(logTerms(n), [1, 1, 1, 2, 2, 2]);
  assert.equal(n.status().term, 2, 'not even the term changed');
  assert.equal(n.status().commit, 5);
});

test('a stale App (lower term) whose entries conflict with committed ones is a normal, rejected message', () => {
  const w = watched();
  const n = restored('b', { peers: ABC, term: 4, log: entriesWithTerms(4, [2, 4]), commit: 5, applied: 5 }, w.opts);
  drainAll(n);
  // A deposed leader of term 3 still sending what it had at 5: a delayed message, not an impossible one.
  n.step(msg(MessageType.App, 'a', 'b', 3, { index: 4, logTerm: 2, entries: entriesWithTerms(5, [3]) }));
  assert.equal(n.status().droppedImpossible, 0);
  assert.deepEqual(w.events, []);
  assert.deepEqual(logTerms(n), [1, 1, 1, 2, 4]);
});

test('an App whose entries have a gap is dropped', () => {
  const w = watched();
  const n = follower(w);
  const entries = [...entriesWithTerms(7, [2]), ...entriesWithTerms(9, [2])];
  assertDropped(n, w, msg(MessageType.App, 'a', 'b', 2, { index: 6, logTerm: 2, commit: 9, entries }), /not contiguous/);
  assertDropped(n, w, msg(MessageType.App, 'a', 'b', 2, { index: 6, logTerm: 2, commit: 9, entries: entriesWithTerms(8, [2]) }), /not contiguous/);
});

test('an App with an entry of a term beyond the sender term is dropped', () => {
  const w = watched();
  const n = follower(w);
  assertDropped(n, w, msg(MessageType.App, 'a', 'b', 2, { index: 6, logTerm: 2, commit: 7, entries: entriesWithTerms(7, [99]) }), /beyond the leader term/);
});

test('a commit beyond what an App or a Heartbeat carries is clamped to what the log holds, never applied past it', () => {
  const w = watched();
  const n = follower(w);
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 6, logTerm: 2, commit: 1_000_000, entries: entriesWithTerms(7, [2]) }));
  assert.equal(n.status().commit, 7, 'commit stops at the last entry the App carried');
  n.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 2 ** 52 }));
  assert.equal(n.status().commit, 7, 'a heartbeat commits at most to the last index');
  assert.equal(n.status().droppedImpossible, 0);
  assert.deepEqual(w.events, []);
  const acks = ofType(drainAll(n).all, MessageType.AppResp);
  assert.deepEqual(acks.map((m) => m.index), [7]);
});
