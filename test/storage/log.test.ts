// The Raft log and hard state: round trip, conflicting suffixes, compaction,
// checksums, and multi-row writes.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32 } from '../../src/raft/snapshot.js';
import { EntryKind } from '../../src/raft/types.js';
import { StorageError } from '../../src/storage/errors.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { Db } from '../../src/storage/db.js';
import { join } from 'node:path';
import { entries, entry, plain, tempDir } from './helpers.js';

describe('log and hard state', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it("the store's checksums (Node's zlib crc32) are the core's CRC-32, so logs written before still check", () => {
    for (const n of [0, 1, 3, 43, 255, 4096, 70_000]) {
      const data = new Uint8Array(randomBytes(n));
      assert.equal(zlibCrc32(data), crc32(data), `${n} bytes`);
    }
  });

  it('a fresh store loads an empty state', async () => {
    const s = await SqliteStore.open(join(dir, 'fresh'));
    const st = await s.load();
    assert.deepEqual(st.hardState, { term: 0, vote: '', commit: 0 });
    assert.equal(st.snapshot, undefined);
    assert.deepEqual(st.entries, []);
    assert.equal(st.applied, 0);
    assert.equal(st.kv.size, 0);
    assert.equal(st.sessions.size, 0);
    await s.close();
  });

  it('persist then load round-trips entries (all kinds, empty data) and hard state, across a reopen', async () => {
    const d = join(dir, 'roundtrip');
    const s = await SqliteStore.open(d);
    const es = [
      { index: 1, term: 1, kind: EntryKind.ConfChange, data: new TextEncoder().encode('{"type":"add-voter","node":"n1"}') },
      { index: 2, term: 1, kind: EntryKind.Noop, data: new Uint8Array(0) },
      ...entries(3, 70, 1),
    ];
    await s.persist({ entries: es.slice(0, 2), hardState: { term: 1, vote: 'n1', commit: 0 } });
    await s.persist({ entries: es.slice(2), hardState: { term: 1, vote: 'n1', commit: 50 } });
    await s.close();

    const s2 = await SqliteStore.open(d);
    const st = await s2.load();
    assert.deepEqual(plain(st.entries), plain(es));
    assert.deepEqual(st.hardState, { term: 1, vote: 'n1', commit: 50 });
    await s2.persist({ entries: [], hardState: { term: 2, vote: '', commit: 60 } });
    assert.deepEqual((await s2.load()).hardState, { term: 2, vote: '', commit: 60 });
    await s2.close();
  });

  it('entries at an index already stored replace it and everything after it', async () => {
    const s = await SqliteStore.open(join(dir, 'truncate'));
    await s.persist({ entries: entries(1, 10, 1) });
    await s.persist({ entries: entries(6, 7, 2) }); // conflict at 6: 8..10 of term 1 must go
    let st = await s.load();
    assert.deepEqual(plain(st.entries), plain([...entries(1, 5, 1), ...entries(6, 7, 2)]));
    await s.persist({ entries: entries(8, 9, 2) }); // plain append
    await s.persist({ entries: [entry(3, 3)] }); // conflict deep in the log
    st = await s.load();
    assert.deepEqual(plain(st.entries), plain([...entries(1, 2, 1), entry(3, 3)]));
    await s.close();
  });

  it('refuses entries that would leave a gap, and non-contiguous entries, without writing anything', async () => {
    const s = await SqliteStore.open(join(dir, 'gap'));
    await s.persist({ entries: entries(1, 3, 1) });
    await assert.rejects(s.persist({ entries: entries(5, 6, 1), hardState: { term: 9, vote: 'x', commit: 0 } }), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    await assert.rejects(s.persist({ entries: [entry(4, 1), entry(6, 1)] }), { code: 'RAFTKV_ERR_STORAGE_INVARIANT' });
    const st = await s.load();
    assert.deepEqual(plain(st.entries), plain(entries(1, 3, 1)));
    assert.deepEqual(st.hardState, { term: 0, vote: '', commit: 0 }); // the failed transaction wrote nothing
    await s.close();
  });

  it('a persist is one sqlite3 call, however many entries it holds', async () => {
    const s = await SqliteStore.open(join(dir, 'bulk'));
    const es = entries(1, 10_000, 1);
    const before = s.sqliteCalls;
    await s.persist({ entries: es, hardState: { term: 1, vote: 'n1', commit: 0 } });
    const calls = s.sqliteCalls - before;
    // One script: BEGIN, 40 multi-row INSERTs of up to 256 rows, the hard state, COMMIT.
    assert.equal(calls, 1, `persist of 10,000 entries made ${calls} sqlite3 calls`);
    const st = await s.load();
    assert.equal(st.entries.length, 10_000);
    assert.deepEqual(plain(st.entries.slice(-3)), plain(es.slice(-3)));
    // A 64-entry batch too.
    await s.persist({ entries: entries(10_001, 10_064, 1) });
    const before2 = s.sqliteCalls;
    await s.persist({ entries: entries(10_065, 10_128, 1) });
    assert.equal(s.sqliteCalls - before2, 1, 'one script: BEGIN, one 64-row INSERT, COMMIT');
    await s.close();
  });

  it('readLog returns a range with checksums; load refuses a log whose checksum does not match', async () => {
    const d = join(dir, 'checksum');
    const s = await SqliteStore.open(d);
    await s.persist({ entries: entries(1, 5, 1) });
    const rows = await s.readLog(2, 4);
    assert.deepEqual(rows.map((r) => r.index), [2, 3, 4]);
    assert.ok(rows.every((r) => r.valid));
    await s.close();

    const raw = await Db.open(join(d, 'raftkv.db'));
    await raw.run("UPDATE log SET data = X'00' WHERE idx = 3");
    await raw.close();
    const s2 = await SqliteStore.open(d);
    assert.equal((await s2.readLog(3, 3))[0]!.valid, false);
    await assert.rejects(s2.load(), (e: unknown) => e instanceof StorageError && e.code === 'RAFTKV_ERR_STORAGE_CORRUPT' && /entry 3 fails its checksum/.test(e.message));
    await s2.close();
  });

  it('compactLog deletes up to the recorded snapshot, never past it', async () => {
    const s = await SqliteStore.open(join(dir, 'compact'));
    await s.persist({ entries: entries(1, 20, 1) });
    await s.compactLog(10); // no snapshot recorded: nothing may go
    assert.equal((await s.load()).entries[0]!.index, 1);
    await s.applyBatch([{ key: 'a', value: '1' }], [], 15);
    await s.recordSnapshot({ index: 12, term: 1, confState: { voters: ['n1'], learners: [], removed: [] }, size: 0 });
    await s.compactLog(18); // clamped to 12
    const st = await s.load();
    assert.equal(st.entries[0]!.index, 13);
    assert.equal(st.snapshot?.index, 12);
    assert.equal(st.applied, 15);
    await s.close();
  });
});
