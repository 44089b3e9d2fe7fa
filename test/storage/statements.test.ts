// The store writes a persist or an apply batch as one SQL script with literal
// values ('script', the default) or, for bench/storage-cpu.ts comparisons, as
// bound prepared statements ('bound'). Both must store exactly the same thing,
// including text with quotes, NULs and emoji and entries with empty data.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EntryKind, type Entry } from '../../src/raft/types.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { plain, tempDir } from './helpers.js';

const ODD = ["it's", '\u0000', 'a\u0000b\'c', 'ünï©ødé 🚀', '', 'line\nbreak', '👨‍👩‍👧'];

function oddEntries(from: number, term: number): Entry[] {
  const enc = new TextEncoder();
  const datas = [new Uint8Array(0), enc.encode("SET k 'v'"), Uint8Array.from({ length: 256 }, (_, i) => i), new Uint8Array([0]), enc.encode('🚀'), new Uint8Array(0)];
  return datas.map((data, i) => ({ index: from + i, term, kind: i % 2 === 0 ? EntryKind.Normal : EntryKind.ConfChange, data }));
}

describe('statements: script and bound store the same rows', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  for (const statements of ['script', 'bound'] as const) {
    it(`${statements}: odd text and empty blobs round-trip exactly through persist, applyBatch and a reopen`, async () => {
      const d = join(dir, statements);
      let s = await SqliteStore.open(d, { statements });
      const first = oddEntries(1, 1);
      await s.persist({ entries: first, hardState: { term: 1, vote: "n'1\u0000🚀", commit: 3 } });
      // Replace the tail from 4 on (a DELETE before the INSERT), in a later term.
      const tail = oddEntries(4, 2);
      await s.persist({ entries: tail, hardState: { term: 2, vote: '', commit: 5 } });
      await s.applyBatch(
        ODD.map((v, i) => ({ key: ODD[(i + 1) % ODD.length]! + i, value: v })),
        ODD.map((c, i) => ({ client: c + i, seq: i + 1, result: ODD[i]! })),
        4,
      );
      await s.applyBatch([{ key: ODD[1]! + 0, value: null }], [], 5, [ODD[0]! + 0]);
      await s.close();
      s = await SqliteStore.open(d, { statements });
      const st = await s.load();
      await s.close();
      assert.deepEqual(plain(st.entries), plain([...first.slice(0, 3), ...tail]));
      assert.deepEqual(st.hardState, { term: 2, vote: '', commit: 5 });
      assert.equal(st.applied, 5);
      const kv = new Map(ODD.map((v, i) => [ODD[(i + 1) % ODD.length]! + i, v]));
      kv.delete(ODD[1]! + 0);
      assert.deepEqual(new Map([...st.kv].sort()), new Map([...kv].sort()));
      const sessions = new Map(ODD.map((c, i) => [c + i, { seq: i + 1, result: ODD[i]!, index: 4 }]));
      sessions.delete(ODD[0]! + 0);
      assert.deepEqual(new Map([...st.sessions].sort()), new Map([...sessions].sort()));
    });
  }

  it('bound: a batch that fails half-way leaves neither its writes nor its applied index behind', async () => {
    const d = join(dir, 'bound-atomic');
    const s = await SqliteStore.open(d, { statements: 'bound' });
    await s.persist({ entries: oddEntries(1, 1) });
    await s.applyBatch([{ key: 'a', value: 'before' }], [], 2);
    const bad = [{ client: 'c1', seq: 1, result: null as unknown as string }];
    await assert.rejects(s.applyBatch([{ key: 'a', value: 'after' }], bad, 3), /NOT NULL/);
    await s.applyBatch([{ key: 'b', value: 'ok' }], [], 3);
    const st = await s.load();
    await s.close();
    assert.deepEqual([...st.kv].sort(), [
      ['a', 'before'],
      ['b', 'ok'],
    ]);
    assert.equal(st.applied, 3);
  });
});
