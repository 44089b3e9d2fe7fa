// Opening with each durability, in memory, and closing with work in flight.

import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Db } from '../../src/storage/db.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { entries, tempDir } from './helpers.js';

describe('store lifecycle', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  for (const [durability, synchronous] of [
    ['fsync', 'FULL'],
    ['os', 'NORMAL'],
  ] as const) {
    it(`durability ${durability}: WAL with synchronous=${synchronous}, data survives a reopen`, async () => {
      const d = join(dir, `dur-${durability}`);
      const s = await SqliteStore.open(d, { durability });
      assert.deepEqual(await s.settings(), { journalMode: 'wal', synchronous });
      await s.persist({ entries: entries(1, 100, 1), hardState: { term: 1, vote: 'a', commit: 100 } });
      await s.applyBatch([{ key: 'k', value: durability }], [], 100);
      await s.close();
      const s2 = await SqliteStore.open(d, { durability });
      const st = await s2.load();
      assert.equal(st.entries.length, 100);
      assert.equal(st.kv.get('k'), durability);
      await s2.close();
    });
  }

  it('rejects an unknown durability', async () => {
    await assert.rejects(SqliteStore.open(join(dir, 'bad'), { durability: 'never' as never }), TypeError);
  });

  it('in memory: same API, nothing written but the snapshots folder', async () => {
    const d = join(dir, 'inmem');
    const s = await SqliteStore.open(d, { inMemory: true });
    assert.equal((await s.settings()).journalMode, 'memory');
    await s.persist({ entries: entries(1, 10, 1), hardState: { term: 1, vote: '', commit: 10 } });
    await s.applyBatch([{ key: 'a', value: '1' }], [], 10);
    const st = await s.load();
    assert.equal(st.entries.length, 10);
    assert.equal(st.kv.get('a'), '1');
    await s.close();
    assert.deepEqual(await readdir(d), ['snapshots']);
    const again = await SqliteStore.open(d, { inMemory: true });
    assert.equal((await again.load()).entries.length, 0);
    await again.close();
  });

  it('close() with persists, applies and a capture in flight settles every promise, and the data reopens consistent', async () => {
    const d = join(dir, 'inflight');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 5000, 1) });
    await s.applyBatch([{ key: 'applied', value: '0' }], [], 0);
    const inflight: Promise<unknown>[] = [];
    for (let i = 1; i <= 40; i++) {
      inflight.push(s.persist({ entries: entries(5000 + (i - 1) * 64 + 1, 5000 + i * 64, 1), hardState: { term: 1, vote: '', commit: i } }));
      inflight.push(s.applyBatch([{ key: 'applied', value: String(i * 10) }, { key: `k${i}`, value: 'x'.repeat(1000) }], [], i * 10));
      // Writes queued together run as one group; a read between them starts a new group, so
      // close finds a queue of several transactions (and slow reads) to cut off.
      if (i % 4 === 0) inflight.push(s.load());
    }
    inflight.push(s.captureSnapshot());
    await new Promise((r) => setTimeout(r, 5));
    const closing = s.close();
    assert.equal(s.close(), closing, 'close is idempotent');
    await closing;
    const results = await Promise.allSettled(inflight);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'RAFTKV_ERR_STORAGE_CLOSED', String(r.reason));
    }
    assert.ok(results.some((r) => r.status === 'rejected'), 'some operations were cut off by close');
    await assert.rejects(s.persist({ entries: [] , hardState: { term: 2, vote: '', commit: 0 } }), { code: 'RAFTKV_ERR_STORAGE_CLOSED' });
    await assert.rejects(s.load(), { code: 'RAFTKV_ERR_STORAGE_CLOSED' });
    await assert.rejects(s.readSnapshotChunk(1, 0, 1), { code: 'RAFTKV_ERR_STORAGE_CLOSED' });
    // The interrupt did not leak into the closing checkpoint: the WAL was folded in and removed.
    assert.deepEqual((await readdir(d)).sort(), ['raftkv.db', 'snapshots']);

    const s2 = await SqliteStore.open(d);
    const st = await s2.load();
    assert.equal(st.kv.get('applied'), String(st.applied));
    assert.equal(st.entries.length, st.entries.at(-1)!.index);
    assert.deepEqual(await readdir(join(d, 'snapshots')).then((f) => f.filter((n) => n.includes('tmp'))), []);
    await s2.close();
  });

  it('close() right after open, twice, and with nothing in flight leaves no WAL behind', async () => {
    const d = join(dir, 'clean');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 3, 1) });
    await Promise.all([s.close(), s.close()]);
    assert.deepEqual((await readdir(d)).sort(), ['raftkv.db', 'snapshots']);
  });

  it('interrupting a connection that is closing is a no-op (sqlite3 throws there, which aborts a stopping worker)', async () => {
    const db = await Db.open(join(dir, 'interrupt.db'));
    await db.run('CREATE TABLE t (x)');
    const closing = db.close();
    assert.doesNotThrow(() => db.interrupt());
    await closing;
    assert.doesNotThrow(() => db.interrupt());
  });
});
