// applyBatch writes behind: its rows ride with the next persist (one
// sqlite3 call, one commit for both), or go alone after APPLY_DELAY_MS, and
// whatever is called after an applyBatch sees its rows.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APPLY_DELAY_MS, SqliteStore } from '../../src/storage/sqlite-store.js';
import { entries, tempDir } from './helpers.js';

describe('applyBatch writes behind', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('an apply followed by a persist is one sqlite3 call, and both are stored', async () => {
    const d = join(dir, 'merged');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 10, 1) });
    const calls = s.sqliteCalls;
    const applied = s.applyBatch([{ key: 'a', value: '1' }], [{ client: 'c1', seq: 1, result: '{}' }], 10);
    await s.persist({ entries: entries(11, 20, 1), hardState: { term: 1, vote: 'n1', commit: 12 } });
    await applied;
    assert.equal(s.sqliteCalls - calls, 1, 'the apply rode with the persist');
    await s.close();
    const st = await (await SqliteStore.open(d)).load();
    assert.equal(st.applied, 10);
    assert.deepEqual([...st.kv], [['a', '1']]);
    assert.deepEqual(st.sessions.get('c1'), { seq: 1, result: '{}', index: 10 });
    assert.equal(st.entries.length, 20);
    assert.equal(st.hardState.commit, 12);
  });

  it('applies called one after the other merge in call order: last write of a key wins, a session expired then written again lives', async () => {
    const s = await SqliteStore.open(join(dir, 'order'));
    await s.persist({ entries: entries(1, 30, 1) });
    const calls = s.sqliteCalls;
    const done = Promise.all([
      s.applyBatch([{ key: 'a', value: '1' }, { key: 'b', value: '1' }], [{ client: 'old', seq: 1, result: '{}' }, { client: 'c', seq: 1, result: '"one"' }], 10),
      s.applyBatch([{ key: 'a', value: null }, { key: 'c', value: '2' }], [], 20, ['old', 'c']),
      s.applyBatch([{ key: 'b', value: '3' }], [{ client: 'c', seq: 2, result: '"two"' }], 30),
    ]);
    await s.persist({ entries: entries(31, 31, 1) });
    await done;
    assert.equal(s.sqliteCalls - calls, 1);
    const st = await s.load();
    assert.equal(st.applied, 30);
    assert.deepEqual([...st.kv].sort(), [['b', '3'], ['c', '2']]);
    assert.deepEqual([...st.sessions], [['c', { seq: 2, result: '"two"', index: 30 }]]);
    await s.close();
  });

  it('an apply with nothing after it is written alone within a few milliseconds', async () => {
    const s = await SqliteStore.open(join(dir, 'alone'));
    await s.persist({ entries: entries(1, 5, 1) });
    const calls = s.sqliteCalls;
    const t0 = performance.now();
    await s.applyBatch([{ key: 'k', value: 'v' }], [], 5);
    assert.ok(performance.now() - t0 >= APPLY_DELAY_MS - 1, 'it waited for a persist first');
    assert.equal(s.sqliteCalls - calls, 1);
    assert.equal((await s.load()).kv.get('k'), 'v');
    await s.close();
  });

  it('a merged apply whose index goes back is refused alone; the persist and the other applies land', async () => {
    const s = await SqliteStore.open(join(dir, 'refused'));
    await s.persist({ entries: entries(1, 10, 1) });
    const good = s.applyBatch([{ key: 'a', value: '1' }], [], 8);
    const back = s.applyBatch([{ key: 'a', value: 'stale' }], [], 7);
    const past = s.applyBatch([{ key: 'a', value: 'future' }], [], 99);
    const persisted = s.persist({ entries: entries(11, 12, 1) });
    await assert.rejects(back, { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    await assert.rejects(past, { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    await good;
    await persisted;
    const st = await s.load();
    assert.equal(st.applied, 8);
    assert.deepEqual([...st.kv], [['a', '1']]);
    assert.equal(st.entries.length, 12);
    await s.close();
  });

  it('a persist that refuses its entries still lets the applies before it land', async () => {
    const s = await SqliteStore.open(join(dir, 'persist-refused'));
    await s.persist({ entries: entries(1, 10, 1) });
    const applied = s.applyBatch([{ key: 'a', value: '1' }], [], 10);
    await assert.rejects(s.persist({ entries: entries(20, 21, 1) }), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    await applied;
    const st = await s.load();
    assert.equal(st.applied, 10);
    assert.equal(st.entries.length, 10);
    await s.close();
  });

  it('a capture called after an apply includes it', async () => {
    const s = await SqliteStore.open(join(dir, 'capture'));
    await s.persist({ entries: entries(1, 10, 1) });
    void s.applyBatch([{ key: 'a', value: '1' }], [], 9);
    const snap = await s.captureSnapshot();
    assert.equal(snap.index, 9);
    await s.close();
  });

  it('close() drops the applies no operation took yet (a restart replays them from the log)', async () => {
    const d = join(dir, 'close');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 10, 1) });
    await s.applyBatch([{ key: 'a', value: '1' }], [], 5);
    const dropped = s.applyBatch([{ key: 'a', value: '2' }], [], 10);
    await s.close();
    await assert.rejects(dropped, { code: 'RAFTKV_ERR_STORAGE_CLOSED' });
    const s2 = await SqliteStore.open(d);
    const st = await s2.load();
    assert.equal(st.applied, 5);
    assert.equal(st.kv.get('a'), '1');
    assert.equal(st.entries.length, 10, 'the log still holds what the dropped apply covered');
    await s2.close();
  });
});
