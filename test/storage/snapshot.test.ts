// Snapshots: capture with VACUUM INTO, read back in chunks, ship to another
// store, install there (keeping or discarding the log), and the files kept.

import assert from 'node:assert/strict';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Db } from '../../src/storage/db.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { entries, meta, plain, shipSnapshot, tempDir } from './helpers.js';

/** A leader-ish store: log 1..30 (term 1 to 20, term 2 after), applied 25 with kv and sessions. */
async function source(dir: string, opts: { inMemory?: boolean } = {}): Promise<SqliteStore> {
  const s = await SqliteStore.open(dir, opts);
  await s.persist({ entries: [...entries(1, 20, 1), ...entries(21, 30, 2)], hardState: { term: 2, vote: 'n1', commit: 30 } });
  const writes = Array.from({ length: 500 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-`.repeat(10) }));
  await s.applyBatch(writes, [{ client: 'c1', seq: 3, result: '{"ok":true}' }], 20);
  await s.applyBatch([{ key: 'key-0', value: null }, { key: '\u0000member/n2', value: '{"http":"x"}' }], [{ client: 'c2', seq: 1, result: '{"ok":true,"number":1}', index: 24 }], 25);
  return s;
}

describe('snapshots', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('capture gives a SQLite file of kv + sessions + applied only, readable in chunks', async () => {
    const a = await source(join(dir, 'cap-a'));
    const snap = await a.captureSnapshot();
    assert.equal(snap.index, 25);
    assert.equal(snap.term, 2);
    const bytes = await readFile(snap.path);
    assert.equal(bytes.byteLength, snap.size);
    assert.equal(snap.path, join(dir, 'cap-a', 'snapshots', 'snapshot-25.db'));
    // Chunks cut at odd sizes put back together are the file.
    const parts: Uint8Array[] = [];
    for (let off = 0; off < snap.size; off += 3000) parts.push(await a.readSnapshotChunk(25, off, 3000));
    assert.deepEqual(Buffer.concat(parts), bytes);
    assert.equal((await a.readSnapshotChunk(25, snap.size, 100)).byteLength, 0);

    const f = await Db.open(snap.path, { readonly: true });
    assert.deepEqual(await f.get('SELECT applied FROM meta'), { applied: 25 });
    assert.deepEqual(await f.get('SELECT COUNT(*) AS n FROM kv'), { n: 500 });
    assert.deepEqual(await f.get('SELECT v FROM kv WHERE k = ?', ['\u0000member/n2']), { v: '{"http":"x"}' });
    assert.deepEqual(await f.get('SELECT COUNT(*) AS n FROM log'), { n: 0 });
    assert.deepEqual(await f.get('SELECT COUNT(*) AS n FROM hard_state'), { n: 0 });
    assert.deepEqual(await f.all('SELECT client, seq, idx FROM sessions ORDER BY client'), [
      { client: 'c1', seq: 3, idx: 20 },
      { client: 'c2', seq: 1, idx: 24 },
    ]);
    assert.deepEqual(await f.get('PRAGMA journal_mode'), { journal_mode: 'delete' });
    await f.close();
    await a.close();
  });

  it('a shipped snapshot restores kv, sessions and applied on another store and discards its log', async () => {
    const a = await source(join(dir, 'ship-a'));
    const snap = await a.captureSnapshot();
    const m = meta(snap.index, snap.term!, snap.size);
    await a.recordSnapshot(m);
    const expected = await a.load();

    const bDir = join(dir, 'ship-b');
    const b = await SqliteStore.open(bDir);
    // B is behind and diverged: its log must go entirely (the core found no match at 25).
    await b.persist({ entries: entries(1, 12, 1), hardState: { term: 1, vote: '', commit: 5 } });
    await b.applyBatch([{ key: 'stale', value: 'x' }], [{ client: 'old', seq: 1, result: '{}' }], 5);
    await shipSnapshot(a, b, m, 4096, { keepLog: false });
    assert.deepEqual(await readdir(join(bDir, 'snapshots')), ['snapshot-25.db']);
    await b.close();

    const b2 = await SqliteStore.open(bDir);
    const st = await b2.load();
    assert.deepEqual(st.kv, expected.kv);
    assert.equal(st.kv.has('stale'), false);
    assert.deepEqual(st.sessions, expected.sessions);
    assert.equal(st.applied, 25);
    assert.deepEqual(st.snapshot, m);
    assert.deepEqual(st.entries, []);
    assert.deepEqual(st.hardState, { term: 1, vote: '', commit: 5 });
    // The installed snapshot is this node's to serve now, byte for byte.
    assert.deepEqual(await b2.readSnapshotChunk(25, 0, snap.size), new Uint8Array(await readFile(snap.path)));
    await b2.close();
    await a.close();
  });

  it('with snapshotKeepsLog the entries after the snapshot stay; entries in the same ready are written after the install', async () => {
    const a = await source(join(dir, 'keep-a'));
    const snap = await a.captureSnapshot();
    const m = meta(snap.index, snap.term!, snap.size);

    const c = await SqliteStore.open(join(dir, 'keep-c'));
    await c.persist({ entries: [...entries(1, 20, 1), ...entries(21, 30, 2)] });
    await shipSnapshot(a, c, m, 10_000, { keepLog: true });
    let st = await c.load();
    assert.deepEqual(plain(st.entries), plain(entries(26, 30, 2)));
    assert.equal(st.applied, 25);
    assert.equal(st.kv.size, 500);

    const d = await SqliteStore.open(join(dir, 'keep-d'));
    await d.persist({ entries: entries(1, 28, 1) });
    await shipSnapshot(a, d, m, 1 << 20, { keepLog: false, entries: entries(26, 27, 2) });
    st = await d.load();
    assert.deepEqual(plain(st.entries), plain(entries(26, 27, 2)));
    assert.equal(st.applied, 25);
    await Promise.all([a.close(), c.close(), d.close()]);
  });

  it('an install whose file is incomplete is refused and changes nothing', async () => {
    const a = await source(join(dir, 'short-a'));
    const snap = await a.captureSnapshot();
    const m = meta(snap.index, snap.term!, snap.size);
    const b = await SqliteStore.open(join(dir, 'short-b'));
    await b.persist({ entries: entries(1, 3, 1) });
    const first = await a.readSnapshotChunk(25, 0, 1000);
    await b.persist({ entries: [], snapshotChunk: { meta: m, offset: 0, data: first, last: false } });
    await assert.rejects(b.persist({ entries: [], snapshot: m, snapshotKeepsLog: false }), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    const st = await b.load();
    assert.equal(st.entries.length, 3);
    assert.equal(st.snapshot, undefined);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps the latest captured file and the recorded one until a newer one is recorded', async () => {
    const aDir = join(dir, 'files-a');
    const a = await source(aDir);
    const s25 = await a.captureSnapshot();
    await a.recordSnapshot(meta(25, 2, s25.size));
    await a.applyBatch([{ key: 'more', value: '1' }], [], 28);
    const s28 = await a.captureSnapshot();
    assert.equal(s28.index, 28);
    assert.deepEqual((await readdir(join(aDir, 'snapshots'))).sort(), ['snapshot-25.db', 'snapshot-28.db']);
    await a.applyBatch([{ key: 'more', value: '2' }], [], 29);
    await a.captureSnapshot(); // 28 was never recorded: it goes, 25 (recorded) stays
    assert.deepEqual((await readdir(join(aDir, 'snapshots'))).sort(), ['snapshot-25.db', 'snapshot-29.db']);
    const again = await a.captureSnapshot(); // same applied index: the existing file is kept
    assert.equal(again.index, 29);
    await a.recordSnapshot(meta(29, 2, again.size));
    assert.deepEqual(await readdir(join(aDir, 'snapshots')), ['snapshot-29.db']);
    await assert.rejects(a.readSnapshotChunk(25, 0, 10), { code: 'RAFTKV_ERR_SNAPSHOT_UNAVAILABLE' });
    await a.compactLog(29 - 5);
    const st = await a.load();
    assert.equal(st.entries[0]!.index, 25); // a trailing window behind the snapshot
    assert.equal(st.snapshot?.index, 29);
    await a.close();
  });

  it('at open, finishes an install that crashed before its rename and drops partial transfers', async () => {
    const a = await source(join(dir, 'crash-a'));
    const snap = await a.captureSnapshot();
    const m = meta(snap.index, snap.term!, snap.size);
    const bDir = join(dir, 'crash-b');
    const b = await SqliteStore.open(bDir);
    await shipSnapshot(a, b, m, 5000);
    await b.close();
    const snaps = join(bDir, 'snapshots');
    // The state after COMMIT but before the rename, plus leftovers of other transfers.
    await rename(join(snaps, 'snapshot-25.db'), join(snaps, 'incoming-25-2.db'));
    await writeFile(join(snaps, 'incoming-40-3.db'), 'partial');
    await writeFile(join(snaps, 'capture-abc.tmp.db'), 'partial');
    await writeFile(join(snaps, 'snapshot-7.db'), 'orphan');
    const b2 = await SqliteStore.open(bDir);
    assert.deepEqual(await readdir(snaps), ['snapshot-25.db']);
    assert.equal((await b2.readSnapshotChunk(25, 0, snap.size)).byteLength, snap.size);
    await Promise.all([a.close(), b2.close()]);
  });

  it('a capture runs while writes go on (second connection)', async () => {
    const a = await source(join(dir, 'concurrent-a'));
    await a.persist({ entries: entries(31, 2000, 2) });
    const capture = a.captureSnapshot();
    const writes = (async () => {
      for (let i = 0; i < 20; i++) await a.applyBatch([{ key: `w${i}`, value: 'v' }], [], 26 + i);
    })();
    const [snap] = await Promise.all([capture, writes]);
    assert.ok(snap.index >= 25 && snap.index <= 45);
    const f = await Db.open(snap.path, { readonly: true });
    const n = (await f.get<{ n: number }>("SELECT COUNT(*) AS n FROM kv WHERE k LIKE 'w%'"))!.n;
    await f.close();
    assert.equal(n, snap.index - 25, 'the copy holds exactly the writes up to its applied index');
    await a.close();
  });

  it('works the same with an in-memory database', async () => {
    const a = await source(join(dir, 'mem-a'), { inMemory: true });
    const snap = await a.captureSnapshot();
    const m = meta(snap.index, snap.term!, snap.size);
    const b = await SqliteStore.open(join(dir, 'mem-b'), { inMemory: true });
    await shipSnapshot(a, b, m, 2048);
    const st = await b.load();
    assert.equal(st.applied, 25);
    assert.equal(st.kv.size, 500);
    await Promise.all([a.close(), b.close()]);
  });
});
