// applyBatch: the state machine's effects and the applied index move together.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { entries, tempDir } from './helpers.js';

describe('applyBatch', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('stores upserts, deletes, sessions and the applied index; the last write of a key in a batch wins', async () => {
    const d = join(dir, 'basic');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 100, 1) });
    await s.applyBatch(
      [
        { key: 'a', value: '1' },
        { key: 'b', value: '2' },
        { key: 'a', value: null },
        { key: 'a', value: '3' },
        { key: 'c', value: 'x' },
        { key: 'c', value: null },
      ],
      [
        { client: 'c1', seq: 1, result: '{"ok":true}' },
        { client: 'c1', seq: 2, result: '{"ok":true,"count":1}', index: 9 },
        { client: 'c2', seq: 7, result: '{"ok":true}', index: 8 },
      ],
      10,
    );
    await s.close();
    const s2 = await SqliteStore.open(d);
    let st = await s2.load();
    assert.deepEqual([...st.kv].sort(), [['a', '3'], ['b', '2']]);
    assert.deepEqual(st.sessions.get('c1'), { seq: 2, result: '{"ok":true,"count":1}', index: 9 });
    assert.deepEqual(st.sessions.get('c2'), { seq: 7, result: '{"ok":true}', index: 8 });
    assert.equal(st.applied, 10);

    // Expired sessions go; a session written in the same batch stays.
    await s2.applyBatch([{ key: 'b', value: null }], [{ client: 'c2', seq: 8, result: '{}' }], 20, ['c1', 'c2']);
    st = await s2.load();
    assert.deepEqual([...st.kv], [['a', '3']]);
    assert.deepEqual([...st.sessions.keys()], ['c2']);
    assert.equal(st.sessions.get('c2')!.index, 20, 'index defaults to the applied index');
    await s2.close();
  });

  it('a large batch is a few multi-row statements', async () => {
    const s = await SqliteStore.open(join(dir, 'large'));
    await s.persist({ entries: entries(1, 2, 1) });
    const writes = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, value: i % 5 === 0 ? null : `v${i}` }));
    const sessions = Array.from({ length: 300 }, (_, i) => ({ client: `c${i}`, seq: 1, result: '{}' }));
    const before = s.sqliteCalls;
    await s.applyBatch(writes, sessions, 2);
    const calls = s.sqliteCalls - before;
    assert.equal(calls, 1, `${calls} sqlite3 calls for 5,000 writes and 300 sessions`);
    const st = await s.load();
    assert.equal(st.kv.size, 4000);
    assert.equal(st.sessions.size, 300);
    await s.close();
  });

  it('a batch that fails half-way leaves neither its writes nor its applied index behind', async () => {
    const s = await SqliteStore.open(join(dir, 'atomic'));
    await s.persist({ entries: entries(1, 10, 1) });
    await s.applyBatch([{ key: 'a', value: 'before' }], [], 3);
    // The kv rows are written first; the session row then violates NOT NULL.
    const bad = [{ client: 'c1', seq: 1, result: null as unknown as string }];
    await assert.rejects(s.applyBatch([{ key: 'a', value: 'after' }, { key: 'z', value: '1' }], bad, 5), /NOT NULL/);
    let st = await s.load();
    assert.deepEqual([...st.kv], [['a', 'before']]);
    assert.equal(st.applied, 3);
    assert.equal(st.sessions.size, 0);
    // The store is still usable.
    await s.applyBatch([{ key: 'a', value: 'after' }], [], 5);
    st = await s.load();
    assert.deepEqual([...st.kv], [['a', 'after']]);
    assert.equal(st.applied, 5);
    await s.close();
  });

  it('refuses an applied index that goes back or runs past the stored log', async () => {
    const s = await SqliteStore.open(join(dir, 'bounds'));
    await s.persist({ entries: entries(1, 10, 1) });
    await s.applyBatch([], [], 8);
    await assert.rejects(s.applyBatch([{ key: 'a', value: '1' }], [], 7), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    await assert.rejects(s.applyBatch([{ key: 'a', value: '1' }], [], 11), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    const st = await s.load();
    assert.equal(st.applied, 8);
    assert.equal(st.kv.size, 0);
    await s.close();
  });
});
