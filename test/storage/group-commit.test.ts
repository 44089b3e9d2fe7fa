// Group commit: log writes and apply batches handed to the store while it is
// busy run together as one transaction, in the order they were made, and
// stand or fall together.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { entries, plain, tempDir } from './helpers.js';

describe('group commit', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('runs writes queued together as one transaction, in call order (a later write replaces an overwritten tail)', async () => {
    const d = join(dir, 'together');
    const s = await SqliteStore.open(d);
    const before = s.groupStats;
    await Promise.all([
      s.persist({ entries: entries(1, 5, 1), hardState: { term: 1, vote: 'n1', commit: 0 } }),
      s.persist({ entries: entries(4, 6, 2), hardState: { term: 2, vote: 'n2', commit: 3 } }),
      s.applyBatch([{ key: 'a', value: '1' }], [], 3),
      s.persist({ entries: entries(7, 8, 2) }),
      s.applyBatch([{ key: 'a', value: null }, { key: 'b', value: '2' }], [{ client: 'c', seq: 1, result: '{"ok":true}' }], 5),
    ]);
    const after = s.groupStats;
    assert.deepEqual({ groups: after.groups - before.groups, calls: after.calls - before.calls }, { groups: 1, calls: 5 });
    await s.close();
    const reopened = await SqliteStore.open(d);
    const st = await reopened.load();
    assert.deepEqual(st.entries.map((e) => [e.index, e.term]), [[1, 1], [2, 1], [3, 1], [4, 2], [5, 2], [6, 2], [7, 2], [8, 2]]);
    assert.deepEqual(plain(st.entries.slice(3)), plain([...entries(4, 6, 2), ...entries(7, 8, 2)]));
    assert.deepEqual(st.hardState, { term: 2, vote: 'n2', commit: 3 });
    assert.equal(st.applied, 5);
    assert.deepEqual([...st.kv], [['b', '2']]);
    assert.deepEqual(st.sessions.get('c'), { seq: 1, result: '{"ok":true}', index: 5 });
    await reopened.close();
  });

  it('keeps call order around other calls: a load between two writes sees the first and not the second', async () => {
    const s = await SqliteStore.open(join(dir, 'order'));
    const first = s.persist({ entries: entries(1, 2, 1) });
    const loaded = s.load();
    const second = s.persist({ entries: entries(3, 4, 1) });
    await Promise.all([first, second]);
    assert.deepEqual((await loaded).entries.map((e) => e.index), [1, 2]);
    assert.deepEqual((await s.load()).entries.map((e) => e.index), [1, 2, 3, 4]);
    await s.close();
  });

  it('a bad call fails its whole group and stores none of it', async () => {
    const d = join(dir, 'atomic');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 2, 1) });
    const results = await Promise.allSettled([
      s.persist({ entries: entries(3, 4, 1) }),
      // A gap after 4: no runtime ever asks this; the whole group is refused.
      s.persist({ entries: entries(9, 9, 1) }),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /gap/);
    assert.deepEqual((await s.load()).entries.map((e) => e.index), [1, 2]);
    await s.persist({ entries: entries(3, 3, 1) });
    assert.deepEqual((await s.load()).entries.map((e) => e.index), [1, 2, 3], 'the store goes on after a refused group');
    await s.close();
  });
});
