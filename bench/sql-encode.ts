// Main-thread CPU of building the SQL text of a persist (n entries of 40 bytes
// + hard state) and of an apply batch (n kv rows of 16-byte values + 1
// session), with the encoder before this change ("old": row arrays,
// map/join, one Buffer + toString('hex') per blob) and now ("new":
// concatenation, one hex pass per batch). crc32 is included in both, as the
// store computes it. `node dist/bench/sql-encode.js [ms-per-case=300]`

import { crc32 } from '../src/raft/snapshot.js';
import { BlobLiterals, int, SqlScript, text } from '../src/storage/sql-script.js';

type Literal = number | string | Uint8Array | null;
function oldLiteral(v: Literal): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') {
    if (v.includes('\u0000')) return `CAST(X'${Buffer.from(v, 'utf8').toString('hex')}' AS TEXT)`;
    return `'${v.replaceAll("'", "''")}'`;
  }
  return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
}
class OldScript {
  parts: string[] = [];
  add(s: string): this {
    this.parts.push(s);
    return this;
  }
  insertRows(head: string, rows: readonly Literal[][], tail = ''): this {
    for (let i = 0; i < rows.length; i += 256) {
      const values = rows.slice(i, i + 256).map((r) => `(${r.map(oldLiteral).join(',')})`).join(',');
      this.parts.push(`${head} VALUES ${values}${tail ? ' ' + tail : ''}`);
    }
    return this;
  }
  toString(): string {
    return this.parts.join(';\n') + ';';
  }
}

interface E { index: number; term: number; kind: number; data: Uint8Array }
const HS_TAIL = 'ON CONFLICT (id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index';

function persistOld(entries: E[]): string {
  const s = new OldScript().add('BEGIN IMMEDIATE');
  s.insertRows('INSERT INTO log (idx, term, kind, data, checksum)', entries.map((e) => [e.index, e.term, e.kind, e.data, crc32(e.data)]));
  s.insertRows('INSERT INTO hard_state (id, term, vote, commit_index)', [[0, 3, 'n1', entries.at(-1)!.index]], HS_TAIL);
  return s.add('COMMIT').toString();
}
function persistNew(entries: E[]): string {
  const s = new SqlScript().add('BEGIN IMMEDIATE');
  const blobs = new BlobLiterals(entries.map((e) => e.data));
  s.rows('INSERT INTO log (idx, term, kind, data, checksum)', entries.length, (i) => {
    const e = entries[i]!;
    return `${int(e.index)},${int(e.term)},${int(e.kind)},${blobs.literal(i)},${crc32(e.data)}`;
  });
  s.add(`INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0,${int(3)},${text('n1')},${int(entries.at(-1)!.index)}) ${HS_TAIL}`);
  return s.add('COMMIT').toString();
}
function applyOld(rows: [string, string][]): string {
  const s = new OldScript().add('PRAGMA synchronous = NORMAL').add('BEGIN IMMEDIATE');
  s.insertRows('INSERT INTO kv (k, v)', rows, 'ON CONFLICT (k) DO UPDATE SET v = excluded.v');
  s.insertRows('INSERT INTO sessions (client, seq, result, idx)', [['c1', 7, '"OK"', 9]], 'ON CONFLICT (client) DO UPDATE SET seq = excluded.seq');
  return s.add('UPDATE meta SET applied = 9 WHERE id = 0').add('COMMIT').add('PRAGMA synchronous = FULL').toString();
}
function applyNew(rows: [string, string][]): string {
  const s = new SqlScript().add('PRAGMA synchronous = NORMAL').add('BEGIN IMMEDIATE');
  s.rows('INSERT INTO kv (k, v)', rows.length, (i) => `${text(rows[i]![0])},${text(rows[i]![1])}`, 'ON CONFLICT (k) DO UPDATE SET v = excluded.v');
  s.rows('INSERT INTO sessions (client, seq, result, idx)', 1, () => `${text('c1')},${int(7)},${text('"OK"')},${int(9)}`, 'ON CONFLICT (client) DO UPDATE SET seq = excluded.seq');
  return s.add(`UPDATE meta SET applied = ${int(9)} WHERE id = 0`).add('COMMIT').add('PRAGMA synchronous = FULL').toString();
}

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
function perItem(ms: number, n: number, build: () => string): number {
  let sink = 0;
  let items = 0;
  const t0 = performance.now();
  const c0 = cpuUs();
  while (performance.now() - t0 < ms) {
    for (let k = 0; k < 50; k++) {
      // Flatten the rope, as node-sqlite3's UTF-8 conversion does.
      sink += Buffer.byteLength(build());
      items += n;
    }
  }
  if (sink < 0) console.log(sink);
  return (cpuUs() - c0) / items;
}

const ms = Number(process.argv[2] ?? 300);
const data = new Uint8Array(40).map((_, i) => 0x20 + ((i * 7) % 90));
console.log('µs of CPU per entry / row to build the SQL text (old → new), 3 rounds alternating');
for (const n of [1, 8, 64, 256]) {
  const entries: E[] = Array.from({ length: n }, (_, i) => ({ index: 1000 + i, term: 3, kind: 0, data }));
  const rows: [string, string][] = Array.from({ length: n }, (_, i) => [`key:${i * 7919}`, '0123456789abcdef']);
  const r = { po: [] as number[], pn: [] as number[], ao: [] as number[], an: [] as number[] };
  for (let round = 0; round < 3; round++) {
    r.po.push(perItem(ms, n, () => persistOld(entries)));
    r.pn.push(perItem(ms, n, () => persistNew(entries)));
    r.ao.push(perItem(ms, n, () => applyOld(rows)));
    r.an.push(perItem(ms, n, () => applyNew(rows)));
  }
  const f = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join('/');
  console.log(`n=${String(n).padEnd(4)} persist old ${f(r.po)}  new ${f(r.pn)}   apply old ${f(r.ao)}  new ${f(r.an)}`);
}
