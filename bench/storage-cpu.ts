// CPU and wall time per replicated write in the storage layer, one process:
//   node dist/bench/storage-cpu.js [seconds-per-case=1] [statements=script|bound] [stores=1] [rows=changed|same]
// For persist() (n entries of 40 bytes + hard state) and applyBatch() (n kv rows
// of 16-byte values + 1 session + applied index), n in 1, 8, 64, 256, with
// durability fsync and os. Prints, per entry / per row:
//   cpu  = process CPU (all threads: main + libuv pool, where SQLite parses and runs),
//   main = CPU of the main JS thread alone (from /proc, 10 ms ticks),
//   wall = elapsed time,
// and the sqlite3 calls (thread-pool trips) per transaction. With stores > 1,
// that many stores write at once (each its own database, all sharing the
// pool), as the nodes of a one-process cluster do; the numbers are then per
// entry over all stores. Every loop stops after its time.
// Each kv row carries its revision, as the node writes it, so every upsert
// changes its row. rows=same writes the same value without a revision: SQLite
// then leaves a page it would overwrite with identical bytes clean, and the
// apply costs about half (what the benchmark's fixed values measured before
// revisions existed; bench/results/2026-12-07-identical-rewrites.md).

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, type Entry } from '../src/raft/types.js';
import { SqliteStore, type Durability } from '../src/storage/sqlite-store.js';
import type { KvWrite } from '../src/common/kv-write.js';

const SIZES = [1, 8, 64, 256];

function mainThreadCpuMs(): number {
  // Fields after the ")": state is [0]; utime is field 14 → index 11, stime 15 → 12 (clock ticks, 100 Hz).
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Result {
  items: number;
  txs: number;
  cpuMs: number;
  mainMs: number;
  wallMs: number;
  calls: number;
}

async function timed(stores: SqliteStore[], seconds: number, step: (s: SqliteStore, k: number) => Promise<number>): Promise<Result> {
  const calls0 = stores.reduce((a, s) => a + s.sqliteCalls, 0);
  const c0 = cpuMs();
  const m0 = mainThreadCpuMs();
  const t0 = performance.now();
  let items = 0;
  let txs = 0;
  await Promise.all(
    stores.map(async (s, k) => {
      while (performance.now() - t0 < seconds * 1000) {
        const n = await step(s, k);
        if (n === 0) break;
        items += n;
        txs++;
      }
    }),
  );
  return {
    items,
    txs,
    wallMs: performance.now() - t0,
    cpuMs: cpuMs() - c0,
    mainMs: mainThreadCpuMs() - m0,
    calls: stores.reduce((a, s) => a + s.sqliteCalls, 0) - calls0,
  };
}

function line(label: string, r: Result): string {
  const us = (ms: number): string => ((ms * 1000) / r.items).toFixed(1).padStart(7);
  return `${label.padEnd(24)} cpu ${us(r.cpuMs)} µs  main ${us(r.mainMs)} µs  wall ${us(r.wallMs)} µs  ${Math.round(r.items / (r.wallMs / 1000))
    .toLocaleString('en-US')
    .padStart(9)}/s  ${(r.calls / r.txs).toFixed(1)} calls/tx`;
}

async function run(durability: Durability, seconds: number, statements: string, nStores: number, rows: string): Promise<void> {
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  for (let k = 0; k < nStores; k++) {
    const dir = await mkdtemp(join(tmpdir(), `raftkv-storage-cpu-${durability}-`));
    dirs.push(dir);
    stores.push(await SqliteStore.open(dir, { durability, statements: statements === 'bound' ? 'bound' : 'script' }));
  }
  try {
    const index = new Array<number>(nStores).fill(0);
    const applied = new Array<number>(nStores).fill(0);
    const data = new Uint8Array(40);
    for (let i = 0; i < data.length; i++) data[i] = 0x20 + ((i * 7) % 90);
    for (const n of SIZES) {
      const r = await timed(stores, seconds, async (s, k) => {
        const entries: Entry[] = [];
        for (let i = 0; i < n; i++) entries.push({ index: ++index[k]!, term: 3, kind: EntryKind.Normal, data });
        await s.persist({ entries, hardState: { term: 3, vote: 'n1', commit: index[k]! } });
        return n;
      });
      console.log(line(`${durability} persist ×${n}`, r));
    }
    const value = '0123456789abcdef';
    let seq = 0;
    for (const n of SIZES) {
      const r = await timed(stores, seconds, async (s, k) => {
        if (applied[k]! >= index[k]!) return 0;
        const writes: KvWrite[] = [];
        for (let i = 0; i < n; i++) {
          const key = `key:${(seq * 131 + i * 7919) % 50_000}`;
          writes.push(rows === 'same' ? { key, value } : { key, value, rev: applied[k]! + 1 });
        }
        seq++;
        await s.applyBatch(writes, [{ client: `c${seq % 16}`, seq, result: '"OK"' }], ++applied[k]!);
        return n;
      });
      console.log(line(`${durability} apply ×${n}`, r));
    }
  } finally {
    for (const s of stores) await s.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
}

const seconds = Number(process.argv[2] ?? 1);
const statements = process.argv[3] ?? 'script';
const nStores = Number(process.argv[4] ?? 1);
const rows = process.argv[5] ?? 'changed';
console.log(`statements=${statements} stores=${nStores} rows=${rows} seconds/case=${seconds} node ${process.version}`);
for (const d of ['fsync', 'os'] as const) await run(d, seconds, statements, nStores, rows);
