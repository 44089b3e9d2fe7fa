// Not a test: `node dist/test/storage/throughput.js [seconds]` prints
//   persist():    entries/s for batches of 64 entries (one Ready each),
//   applyBatch(): writes/s for batches of 64 kv writes,
// with durability fsync and os, on a fresh database under os.tmpdir().

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, type Entry } from '../../src/raft/types.js';
import { SqliteStore, type Durability } from '../../src/storage/sqlite-store.js';

const BATCH = 64;

async function measure(durability: Durability, seconds: number): Promise<{ entries: number; writes: number; callsPerPersist: number; callsPerApply: number }> {
  const dir = await mkdtemp(join(tmpdir(), `raftkv-throughput-${durability}-`));
  const store = await SqliteStore.open(dir, { durability });
  try {
    const payload = new Uint8Array(100).fill(7);
    let index = 0;
    let t0 = performance.now();
    let calls0 = store.sqliteCalls;
    let persists = 0;
    while (performance.now() - t0 < seconds * 1000) {
      const entries: Entry[] = [];
      for (let i = 0; i < BATCH; i++) entries.push({ index: ++index, term: 1, kind: EntryKind.Normal, data: payload });
      await store.persist({ entries, hardState: { term: 1, vote: 'n1', commit: index } });
      persists++;
    }
    const entriesPerSec = (persists * BATCH) / ((performance.now() - t0) / 1000);
    const callsPerPersist = (store.sqliteCalls - calls0) / persists;

    const value = 'v'.repeat(100);
    let applied = 0;
    let applies = 0;
    t0 = performance.now();
    calls0 = store.sqliteCalls;
    while (performance.now() - t0 < seconds * 1000 && applied + 1 <= index) {
      const writes = [];
      for (let i = 0; i < BATCH; i++) writes.push({ key: `key-${(applies * BATCH + i) % 100_000}`, value });
      applied++;
      await store.applyBatch(writes, [{ client: 'bench', seq: applied, result: '{"ok":true}' }], applied);
      applies++;
    }
    const writesPerSec = (applies * BATCH) / ((performance.now() - t0) / 1000);
    const callsPerApply = (store.sqliteCalls - calls0) / applies;
    return { entries: entriesPerSec, writes: writesPerSec, callsPerPersist, callsPerApply };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// `node --test dist/test/` also runs every file under test/: do nothing there.
if (!process.env.NODE_TEST_CONTEXT) {
  const seconds = Number(process.argv[2] ?? 3);
  for (const durability of ['fsync', 'os'] as const) {
    const r = await measure(durability, seconds);
    console.log(
      `${durability.padEnd(5)}  persist(${BATCH} entries): ${Math.round(r.entries).toLocaleString('en-US')} entries/s (${r.callsPerPersist.toFixed(1)} sqlite3 calls each)` +
        `   applyBatch(${BATCH} writes): ${Math.round(r.writes).toLocaleString('en-US')} writes/s (${r.callsPerApply.toFixed(1)} calls each)`,
    );
  }
}
