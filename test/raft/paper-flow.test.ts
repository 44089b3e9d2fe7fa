// Raft paper §8 (client interaction: where proposals go, how a client tells
// its command's fate) and the leader's flow control.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MessageType,
  accept,
  bytes,
  drain,
  drainAll,
  elect,
  electAndCommit,
  entry,
  founder,
  logTerms,
  msg,
  ofType,
  replicate,
  restored,
  run,
} from './paper-helpers.js';
import { RaftError, type Entry } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];

test('§8 proposals on a follower fail with RAFTKV_ERR_NOT_LEADER carrying the leader hint', () => {
  const n = founder('b', ABC);
  drainAll(n);
  assert.throws(
    () => n.propose(bytes('x')),
    (e: unknown) => e instanceof RaftError && e.code === 'RAFTKV_ERR_NOT_LEADER' && e.leader === '',
    'no leader known yet',
  );
  n.step(msg(MessageType.Heartbeat, 'a', 'b', 2, { commit: 0 }));
  assert.throws(
    () => n.propose(bytes('x')),
    (e: unknown) => e instanceof RaftError && e.code === 'RAFTKV_ERR_NOT_LEADER' && e.leader === 'a',
    'the client is pointed at the leader',
  );
  assert.throws(() => n.proposeBatch([bytes('x'), bytes('y')]), { code: 'RAFTKV_ERR_NOT_LEADER', leader: 'a' });
  n.campaign();
  assert.throws(() => n.propose(bytes('x')), { code: 'RAFTKV_ERR_NOT_LEADER', leader: '' }, 'a candidate knows no leader');
  assert.equal(n.status().lastIndex, 3, 'nothing was appended anywhere');
});

test('§8 a proposal is identified by (index, term): a client can tell when another leader overwrote it', () => {
  const n = founder('a', ABC);
  electAndCommit(n);
  const ref = n.propose(bytes('x'));
  assert.deepEqual(ref, { index: 5, term: 2 });
  drainAll(n);
  // Deposed before x reached anyone; the leader of term 3 puts something else at 5.
  n.step(msg(MessageType.App, 'b', 'a', 3, { index: 4, logTerm: 2, entries: [entry(5, 3, 'y')], commit: 5 }));
  const d = drainAll(n);
  assert.deepEqual(
    d.committed.map((e) => [e.index, e.term]),
    [[5, 3]],
  );
  assert.notEqual(n.raft.log.term(ref.index), ref.term, 'the entry at the ref index is not the proposal: it failed');
});

test('flow control: the in-flight window bounds messages per follower', () => {
  const n = founder('a', ABC, { maxInflightMsgs: 2 });
  electAndCommit(n);
  const apps = [];
  for (let i = 0; i < 5; i++) {
    n.propose(bytes(`p${i}`));
    apps.push(...ofType(drainAll(n).all, MessageType.App, 'b'));
  }
  assert.equal(apps.length, 2, 'two Apps in flight to b, the other proposals wait');
  assert.equal(n.status().progress.b!.inflight, 2);
  n.step(accept(apps[0]!));
  const more = ofType(drainAll(n).all, MessageType.App, 'b');
  assert.equal(more.length, 1, 'one acknowledged, one more may go');
  assert.deepEqual(
    more[0]!.entries!.map((e) => e.index),
    [7, 8, 9],
    'the waiting entries go together',
  );
  // Everything gets through as acknowledgements come back.
  replicate(n, ['b', 'c'], [apps[1]!, more[0]!]);
  assert.equal(n.status().commit, 9);
});

test('flow control: the in-flight bytes to a follower are bounded too', () => {
  const n = founder('a', ABC, { maxInflightBytes: 10 });
  electAndCommit(n);
  let apps = 0;
  for (let i = 0; i < 6; i++) {
    n.propose(bytes('1234'));
    apps += ofType(drainAll(n).all, MessageType.App, 'b').length;
  }
  assert.equal(apps, 3, '4 + 4 + 4 bytes reach the 10-byte window');
});

test('flow control: an App carries at most maxMsgEntries entries and maxMsgBytes bytes, but always one entry', () => {
  const log: Entry[] = [...run(4, 10, 2).map((e) => entry(e.index, 2, 'dddd')), entry(14, 2, 'x'.repeat(100))];
  for (const [opts, want] of [
    [{ maxMsgEntries: 3 }, [3, 3, 3, 3]],
    [{ maxMsgBytes: 10 }, [2, 2, 2, 2, 2, 1, 1]],
  ] as const) {
    const n = restored('a', { peers: ABC, term: 2, log }, opts);
    drainAll(n);
    const d = elect(n);
    // b has only the founding entries: it refuses, and the leader starts after 3.
    n.step(msg(MessageType.AppResp, 'b', 'a', 3, { index: ofType(d.all, MessageType.App, 'b')[0]!.index, reject: true, rejectHint: 3, logTerm: 1 }));
    const first = ofType(drainAll(n).all, MessageType.App, 'b');
    assert.equal(first.length, 1, 'one probe');
    const sizes = [first[0]!.entries!.length];
    n.step(accept(first[0]!));
    for (const m of ofType(drainAll(n).all, MessageType.App, 'b')) sizes.push(m.entries!.length);
    assert.deepEqual(sizes.filter((s) => s > 0), want, JSON.stringify(opts));
  }
});

test('flow control: uncommitted bytes are capped: proposals fail with RAFTKV_ERR_BUSY', () => {
  const n = founder('a', ABC, { maxUncommittedBytes: 10 });
  electAndCommit(n);
  n.propose(bytes('123456'));
  assert.throws(() => n.propose(bytes('123456')), { code: 'RAFTKV_ERR_BUSY' });
  n.propose(bytes('1234')); // exactly at the cap
  assert.throws(() => n.propose(bytes('1')), { code: 'RAFTKV_ERR_BUSY' });
  assert.throws(() => n.proposeBatch([bytes('1'), bytes('2')]), { code: 'RAFTKV_ERR_BUSY' });
  assert.equal(n.status().lastIndex, 6, 'refused proposals are not appended');
  replicate(n, ['b', 'c'], drainAll(n).all);
  assert.equal(n.status().commit, 6);
  assert.doesNotThrow(() => n.propose(bytes('123456')), 'committing frees the budget');

  // A proposal bigger than the cap is taken when nothing else is waiting, so it cannot be stuck forever.
  const m = founder('a', ABC, { maxUncommittedBytes: 10 });
  electAndCommit(m);
  assert.doesNotThrow(() => m.propose(bytes('x'.repeat(50))));
  assert.throws(() => m.propose(bytes('1')), { code: 'RAFTKV_ERR_BUSY' });
});

test('flow control: a follower in probe state gets one App at a time', () => {
  const n = founder('a', ABC);
  const d = elect(n);
  assert.equal(ofType(d.all, MessageType.App, 'b').length, 1);
  for (let i = 0; i < 5; i++) n.propose(bytes(`p${i}`));
  assert.equal(ofType(drainAll(n).all, MessageType.App, 'b').length, 0);
  n.step(accept(ofType(d.all, MessageType.App, 'b')[0]!));
  const next = ofType(drainAll(n).all, MessageType.App, 'b');
  assert.equal(next.length, 1, 'found the match: now in replicate state, the rest is streamed');
  assert.deepEqual(
    next[0]!.entries!.map((e) => e.index),
    [5, 6, 7, 8, 9],
  );
  assert.equal(n.status().progress.b!.state, 'replicate');
});

test('flow control: a heartbeat answer frees a slot, so a lost acknowledgement cannot stall replication', () => {
  const n = founder('a', ABC, { maxInflightMsgs: 1 });
  electAndCommit(n);
  n.propose(bytes('x'));
  assert.equal(ofType(drainAll(n).all, MessageType.App, 'b').length, 1);
  n.propose(bytes('y'));
  assert.equal(ofType(drainAll(n).all, MessageType.App, 'b').length, 0, 'the window is full');
  // The answer to x is lost; b answers a heartbeat.
  n.step(msg(MessageType.HeartbeatResp, 'b', 'a', 2));
  const apps = ofType(drainAll(n).all, MessageType.App, 'b');
  assert.equal(apps.length, 1);
  assert.deepEqual(
    apps[0]!.entries!.map((e) => e.index),
    [6],
  );
});

test('flow control: committed entries handed out to apply are bounded by maxApplyBytes per ready', () => {
  const n = founder('b', ABC, { maxApplyBytes: 10 });
  drainAll(n);
  const ents = run(4, 9, 2).map((e) => entry(e.index, 2, 'dddd'));
  n.step(msg(MessageType.App, 'a', 'b', 2, { index: 3, logTerm: 1, entries: ents, commit: 12 }));
  const batches: number[][] = [];
  for (let i = 0; i < 20 && n.hasReady(); i++) {
    const rd = drain(n);
    if (rd.committed.length > 0) batches.push(rd.committed.map((e) => e.index));
  }
  assert.deepEqual(batches, [
    [4, 5],
    [6, 7],
    [8, 9],
    [10, 11],
    [12],
  ]);
  assert.equal(n.status().applied, 12);
  assert.deepEqual(logTerms(n).length, 12);
});
