// Raft paper §7 (log compaction, InstallSnapshot), with the snapshot sent in
// chunks that carry their offset and a CRC-32.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MessageType,
  Net,
  Role,
  bytes,
  drain,
  drainAll,
  electAndCommit,
  founder,
  logTerms,
  msg,
  ofType,
  out,
  replicate,
  restored,
  run,
  type Opts,
} from './paper-helpers.js';
import { crc32, type ConfState, type Message, type RawNode, type SnapshotMeta } from '../../src/raft/index.js';

const ABC = ['a', 'b', 'c'];
const CONF: ConfState = { voters: ABC, learners: [], removed: [] };
const SNAP_BYTES = bytes('0123456789'); // 10 bytes: chunks of 4 are [0,4) [4,8) [8,10)

/**
 * Leader a (term 2) with b in step; c never answered. a commits and applies
 * entries up to 7 and captures a snapshot at 7. Returns the leader; c is a
 * fresh founder whose log ends at 3.
 */
function leaderWithSnapshot(opts: Opts = {}): { lead: RawNode; c: RawNode } {
  const lead = founder('a', ABC, { compactionTrailing: 0, snapshotChunkBytes: 4, ...opts });
  electAndCommit(lead, ['b']);
  for (const d of ['x', 'y', 'z']) lead.propose(bytes(d));
  replicate(lead, ['b']);
  assert.equal(lead.status().applied, 7);
  lead.snapshotCaptured(7, SNAP_BYTES.byteLength);
  const c = founder('c', ABC);
  drainAll(c);
  return { lead, c };
}

function chunk(meta: SnapshotMeta, all: Uint8Array, offset: number, size: number, from = 'a', to = 'b', term = 2): Message {
  const data = all.subarray(offset, offset + size);
  return msg(MessageType.Snap, from, to, term, { snapshot: meta, offset, data, checksum: crc32(data), last: offset + size >= all.byteLength });
}

test('§7 a leader compacts its log behind a snapshot and sends InstallSnapshot to a follower that needs compacted entries', () => {
  const { lead } = leaderWithSnapshot();
  assert.equal(lead.status().firstIndex, 8, 'entries up to the snapshot are gone');
  assert.equal(lead.status().snapshotIndex, 7);
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  const d = drainAll(lead);
  assert.equal(ofType(d.all, MessageType.App, 'c').length, 0, 'no App: the entries c needs are compacted');
  const snaps = ofType(d.messages, MessageType.Snap, 'c');
  assert.equal(snaps.length, 1, 'one chunk at a time (and it may leave before the ready is persisted)');
  const s = snaps[0]!;
  assert.deepEqual(s.snapshot, { index: 7, term: 2, confState: CONF, size: 10 });
  assert.equal(s.offset, 0);
  assert.equal(s.chunkSize, 4);
  assert.equal(s.data, undefined, 'the runtime fills the bytes in');
  assert.equal(lead.status().progress.c!.state, 'snapshot');
  // Nothing more goes to c until it answers.
  lead.propose(bytes('w'));
  const later = drainAll(lead).all.filter((m) => m.to === 'c');
  assert.deepEqual(later, []);
});

test('§7 compaction keeps a trailing window, so a follower just behind the snapshot still catches up by log', () => {
  const { lead } = leaderWithSnapshot({ compactionTrailing: 4 });
  assert.equal(lead.status().firstIndex, 4);
  assert.equal(lead.status().snapshotIndex, 7);
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  const d = drainAll(lead);
  assert.equal(ofType(d.all, MessageType.Snap, 'c').length, 0);
  const apps = ofType(d.all, MessageType.App, 'c');
  assert.equal(apps.length, 1);
  assert.equal(apps[0]!.index, 3);
  assert.deepEqual(
    apps[0]!.entries!.map((e) => e.index),
    [4, 5, 6, 7],
  );
});

test('§7 a snapshot travels in chunks with offset and checksum; the follower installs it and replication resumes by log after it', () => {
  const { lead, c } = leaderWithSnapshot();
  const net = new Net([lead, c]);
  net.isolated.add('b');
  net.snapshots.set('a', SNAP_BYTES);
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  net.settle();
  const sent = net.delivered.filter((m) => m.type === MessageType.Snap);
  assert.deepEqual(
    sent.map((m) => [m.offset, m.data!.byteLength, m.last]),
    [
      [0, 4, false],
      [4, 4, false],
      [8, 2, true],
    ],
  );
  for (const m of sent) assert.equal(m.checksum, crc32(m.data!));
  const acks = net.delivered.filter((m) => m.type === MessageType.SnapResp);
  assert.deepEqual(
    acks.map((m) => [m.offset, m.reject === true]),
    [
      [4, false],
      [8, false],
      [10, false],
    ],
    'each answer names the next byte expected; the size once installed',
  );
  // What c was told to store: the chunks in order, then the install.
  const readies = net.readies.get('c')!;
  const chunks = readies.flatMap((rd) => (rd.snapshotChunk ? [rd.snapshotChunk] : []));
  assert.deepEqual(
    chunks.map((ch) => [ch.offset, ch.last]),
    [
      [0, false],
      [4, false],
      [8, true],
    ],
  );
  assert.deepEqual(Buffer.concat(chunks.map((ch) => ch.data)), Buffer.from(SNAP_BYTES));
  const installs = readies.filter((rd) => rd.snapshot);
  assert.equal(installs.length, 1);
  assert.equal(installs[0]!.snapshot!.index, 7);
  assert.ok(installs[0]!.snapshotChunk?.last, 'installed in the same ready as its last chunk');
  // Then the log after the snapshot, by App.
  assert.equal(c.status().snapshotIndex, 7);
  assert.equal(c.status().lastIndex, lead.status().lastIndex);
  assert.deepEqual(logTerms(c), logTerms(lead));
  assert.equal(c.status().commit, lead.status().commit);
  assert.equal(lead.status().progress.c!.match, 7);
});

test('§7 a corrupted chunk is refused and resent from the same offset; it is never stored', () => {
  const { lead, c } = leaderWithSnapshot();
  const net = new Net([lead, c]);
  net.isolated.add('b');
  net.snapshots.set('a', SNAP_BYTES);
  let corrupted = false;
  net.intercept = (m) => {
    if (m.type === MessageType.Snap && m.offset === 4 && !corrupted) {
      corrupted = true;
      const bad = Uint8Array.from(m.data!);
      bad[1]! ^= 0xff;
      m.data = bad; // checksum left as computed over the good bytes
    }
    return true;
  };
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  net.settle();
  assert.ok(corrupted);
  assert.deepEqual(
    net.delivered.filter((m) => m.type === MessageType.Snap).map((m) => m.offset),
    [0, 4, 4, 8],
  );
  const refused = net.delivered.filter((m) => m.type === MessageType.SnapResp && m.reject);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.offset, 4, 'the refusal names the offset still expected');
  const chunks = net.readies.get('c')!.flatMap((rd) => (rd.snapshotChunk ? [rd.snapshotChunk] : []));
  assert.deepEqual(Buffer.concat(chunks.map((ch) => ch.data)), Buffer.from(SNAP_BYTES), 'only good bytes were stored');
  assert.equal(c.status().snapshotIndex, 7);
});

test('§7 a lost chunk is resumed from the acknowledged offset, not from the start', () => {
  const { lead, c } = leaderWithSnapshot();
  const net = new Net([lead, c]);
  net.isolated.add('b');
  net.snapshots.set('a', SNAP_BYTES);
  let dropped = false;
  net.intercept = (m) => {
    if (m.type === MessageType.Snap && m.offset === 4 && !dropped) return !(dropped = true);
    return true;
  };
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  net.settle();
  assert.ok(dropped);
  assert.equal(c.status().snapshotIndex, 0, 'stalled: the leader waits for an answer to the lost chunk');
  // Heartbeat rounds show c is alive but silent about the chunk: the leader resends what was lost.
  for (let i = 0; i < 5 && c.status().snapshotIndex === 0; i++) {
    lead.tick();
    net.settle();
  }
  const offsets = net.delivered.filter((m) => m.type === MessageType.Snap).map((m) => m.offset);
  assert.deepEqual(offsets, [0, 4, 8]);
  assert.equal(c.status().snapshotIndex, 7);
  assert.equal(c.status().lastIndex, lead.status().lastIndex);
});

test('§7 a follower refuses a chunk out of order (gap or duplicate) and names the offset it expects', () => {
  const meta: SnapshotMeta = { index: 9, term: 2, confState: CONF, size: 10 };
  const b = founder('b', ABC);
  drainAll(b);
  const answer = (m: Message): Message[] => {
    b.step(m);
    return ofType(drainAll(b).all, MessageType.SnapResp);
  };
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 4, 4)).map((m) => [m.offset, m.reject]),
    [[0, true]],
    'a snapshot must start at offset 0',
  );
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 0, 4)).map((m) => [m.offset, m.reject]),
    [[4, undefined]],
  );
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 8, 2)).map((m) => [m.offset, m.reject]),
    [[4, true]],
    'gap',
  );
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 0, 4)).map((m) => [m.offset, m.reject]),
    [[4, true]],
    'duplicate',
  );
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 4, 4)).map((m) => [m.offset, m.reject]),
    [[8, undefined]],
  );
  assert.equal(b.status().snapshotIndex, 0, 'not installed before the last chunk');
  assert.deepEqual(
    answer(chunk(meta, SNAP_BYTES, 8, 2)).map((m) => [m.offset, m.reject]),
    [[10, undefined]],
  );
  assert.equal(b.status().snapshotIndex, 9);
  assert.equal(b.status().commit, 9);
});

test("§7 install keeps the log suffix only if the entry at the snapshot index has the snapshot's term", () => {
  // b's log: founding 1..3 (committed), then 4..10 at term 2, uncommitted.
  const disk = { peers: ABC, term: 2, log: run(4, 7, 2) };
  const install = (meta: SnapshotMeta): { b: RawNode; keep: boolean; installed: SnapshotMeta | undefined; resp: Message[] } => {
    const b = restored('b', disk);
    drainAll(b);
    const data = SNAP_BYTES.subarray(0, 3);
    b.step(msg(MessageType.Snap, 'a', 'b', 3, { snapshot: meta, offset: 0, data, checksum: crc32(data), last: true }));
    const rd = drain(b);
    return { b, keep: rd.snapshotKeepsLog, installed: rd.snapshot, resp: ofType(rd.persistedMessages, MessageType.SnapResp) };
  };

  // The entry at 6 has term 2, as in the snapshot: entries 7..10 are kept.
  const kept = install({ index: 6, term: 2, confState: CONF, size: 3 });
  assert.equal(kept.installed?.index, 6);
  assert.equal(kept.keep, true);
  assert.equal(kept.b.status().firstIndex, 7);
  assert.equal(kept.b.status().lastIndex, 10);
  assert.deepEqual(logTerms(kept.b), [2, 2, 2, 2]);
  assert.equal(kept.b.status().commit, 6);
  assert.deepEqual(
    kept.resp.map((m) => [m.index, m.offset]),
    [[6, 3]],
  );

  // The entry at 6 has term 2, the snapshot says 3: the whole log is discarded.
  const dropped = install({ index: 6, term: 3, confState: CONF, size: 3 });
  assert.equal(dropped.keep, false);
  assert.equal(dropped.b.status().firstIndex, 7);
  assert.equal(dropped.b.status().lastIndex, 6);
  assert.equal(dropped.b.status().lastTerm, 3);
  assert.equal(dropped.b.status().commit, 6);

  // The snapshot reaches beyond the log: nothing to keep.
  const beyond = install({ index: 12, term: 2, confState: CONF, size: 3 });
  assert.equal(beyond.keep, false);
  assert.equal(beyond.b.status().lastIndex, 12);
  assert.equal(beyond.b.status().commit, 12);
});

test('§7 a snapshot the follower already covers with its commit index is acknowledged, not installed', () => {
  const b = restored('b', { peers: ABC, term: 2, log: run(4, 5, 2), commit: 8 });
  drainAll(b);
  const data = SNAP_BYTES.subarray(0, 4);
  b.step(msg(MessageType.Snap, 'a', 'b', 2, { snapshot: { index: 6, term: 2, confState: CONF, size: 10 }, offset: 0, data, checksum: crc32(data), last: false }));
  const rd = drain(b);
  assert.equal(rd.snapshot, undefined);
  assert.equal(rd.snapshotChunk, undefined, 'nothing to store');
  assert.deepEqual(
    ofType(rd.persistedMessages, MessageType.SnapResp).map((m) => [m.index, m.offset, m.reject]),
    [[6, 10, undefined]],
    'done: the follower holds all of it',
  );
  assert.equal(b.status().lastIndex, 8);
  assert.equal(b.status().snapshotIndex, 0);
});

test("§7 the snapshot's configuration becomes the follower's; it does not campaign before the install is persisted", () => {
  const b = founder('b', ABC);
  drainAll(b);
  const confState: ConfState = { voters: ['a', 'b', 'd'], learners: ['e'], removed: ['c'] };
  const data = SNAP_BYTES.subarray(0, 2);
  b.step(msg(MessageType.Snap, 'a', 'b', 2, { snapshot: { index: 20, term: 2, confState, size: 2 }, offset: 0, data, checksum: crc32(data), last: true }));
  assert.deepEqual(b.status().confState, confState);
  for (let i = 0; i < 50; i++) b.tick();
  assert.equal(b.status().role, Role.Follower, 'the snapshot is not durable yet');
  const rd = drain(b);
  assert.equal(rd.snapshot?.index, 20);
  for (let i = 0; i < 20 && b.status().role === Role.Follower; i++) b.tick();
  assert.equal(b.status().role, Role.Candidate, 'after the install it may campaign again');
  assert.deepEqual(ofType(out(drain(b)), MessageType.Vote).map((m) => m.to).sort(), ['a', 'd'], 'asking the voters of the snapshot configuration');
});

test('§7 after the install the leader streams new entries to the follower at once, without waiting for a heartbeat', () => {
  const { lead, c } = leaderWithSnapshot();
  const net = new Net([lead, c]);
  net.isolated.add('b');
  net.snapshots.set('a', SNAP_BYTES);
  lead.step(msg(MessageType.HeartbeatResp, 'c', 'a', 2));
  net.settle();
  assert.equal(c.status().snapshotIndex, 7);
  lead.propose(bytes('w'));
  const delivered = net.round();
  assert.deepEqual(
    ofType(delivered, MessageType.App, 'c').map((m) => m.entries!.map((e) => e.index)),
    [[8]],
    'the new entry goes to c with the proposal',
  );
  assert.equal(lead.status().progress.c!.state, 'replicate');
});
