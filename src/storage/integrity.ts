// Checks run before a database file is trusted. A file that fails them is
// refused with a message naming it, and is never written to.

import { open } from 'node:fs/promises';
import type { Db } from './db.js';
import { corrupt } from './errors.js';

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Refuse, before SQLite touches it, a non-empty file that does not start with SQLite's header. */
export async function checkHeader(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead === 0) return; // an empty file is a new database
    if (bytesRead < head.length || !head.equals(SQLITE_HEADER)) {
      throw corrupt(`${path} is not a SQLite database (its first bytes are not the SQLite header); refusing to open it, the file was left untouched`);
    }
  } finally {
    await fh.close();
  }
}

/** `PRAGMA quick_check` must answer exactly "ok". */
export async function quickCheck(db: Db, label: string): Promise<void> {
  let rows: { quick_check: string }[];
  try {
    rows = await db.all<{ quick_check: string }>('PRAGMA quick_check');
  } catch (e) {
    throw corrupt(`${label} is not a usable SQLite database (${(e as Error).message}); refusing to open it, the file was left untouched`, e);
  }
  if (rows.length !== 1 || rows[0]!.quick_check !== 'ok') {
    const problems = rows.slice(0, 5).map((r) => r.quick_check).join('; ');
    throw corrupt(`${label} fails PRAGMA quick_check (${problems}); refusing to open it, the file was left untouched`);
  }
}
