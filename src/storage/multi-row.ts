// Batches of rows are written as multi-row statements (`VALUES (?,?),(?,?)…`),
// one sqlite3 call per statement instead of one per row. Each statement is
// prepared once per fixed row count, and a batch is split into those counts,
// biggest first: 10,000 rows take 39×256 + 2×8, that is 41 calls.

import type { Db, Param } from './db.js';

export const BATCH_SIZES: readonly number[] = [256, 64, 8, 1];

/** Split `rows` into consecutive runs whose lengths are all in BATCH_SIZES. */
export function splitBatches<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of BATCH_SIZES) {
    while (rows.length - i >= size) {
      out.push(rows.slice(i, i + size));
      i += size;
    }
  }
  return out;
}

/** `(?,?,?),(?,?,?)`: `rows` groups of `width` placeholders. */
export function placeholders(rows: number, width: number): string {
  const one = `(${new Array<string>(width).fill('?').join(',')})`;
  return new Array<string>(rows).fill(one).join(',');
}

/** `?,?,?`: for `IN (…)` lists. */
export function list(n: number): string {
  return new Array<string>(n).fill('?').join(',');
}

/**
 * Run `sqlFor(n)` once per run of rows, binding each row with `bind`. The runs
 * are awaited one by one: sqlite3 may reorder statements issued in parallel,
 * and callers rely on order (a DELETE before the INSERT that replaces it).
 */
export async function writeRows<T>(db: Db, sqlFor: (n: number) => string, rows: readonly T[], bind: (row: T, out: Param[]) => void): Promise<void> {
  for (const run of splitBatches(rows)) {
    const stmt = await db.prepared(sqlFor(run.length));
    const params: Param[] = [];
    for (const row of run) bind(row, params);
    await stmt.run(params);
  }
}
