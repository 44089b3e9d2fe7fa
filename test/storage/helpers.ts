// Shared helpers of the storage tests: temp dirs and made-up log entries.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, type Entry, type SnapshotMeta } from '../../src/raft/types.js';
import type { SqliteStore } from '../../src/storage/sqlite-store.js';

/** A fresh directory under os.tmpdir(), removed by the returned cleanup. */
export async function tempDir(prefix = 'raftkv-storage-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function entry(index: number, term: number, text = `cmd-${index}-${term}`): Entry {
  return { index, term, kind: EntryKind.Normal, data: new TextEncoder().encode(text) };
}

/** Entries [from, to] all at `term`. */
export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

/** Plain copies, so deepEqual does not trip over Buffer vs Uint8Array. */
export function plain(es: readonly Entry[]): Entry[] {
  return es.map((e) => ({ index: e.index, term: e.term, kind: e.kind, data: new Uint8Array(e.data) }));
}

export const CONF = { voters: ['n1', 'n2', 'n3'], learners: [], removed: [] };

export function meta(index: number, term: number, size: number): SnapshotMeta {
  return { index, term, confState: CONF, size };
}

/** Send the snapshot at `index` from `from` to `to` in chunks of `chunk` bytes, as the core would. */
export async function shipSnapshot(from: SqliteStore, to: SqliteStore, m: SnapshotMeta, chunk: number, opts: { keepLog?: boolean; entries?: Entry[] } = {}): Promise<void> {
  for (let offset = 0; ; ) {
    const data = await from.readSnapshotChunk(m.index, offset, chunk);
    const last = offset + data.byteLength >= m.size;
    if (!last) {
      await to.persist({ entries: [], snapshotChunk: { meta: m, offset, data, last } });
      offset += data.byteLength;
      continue;
    }
    await to.persist({ entries: opts.entries ?? [], snapshotChunk: { meta: m, offset, data, last }, snapshot: m, snapshotKeepsLog: opts.keepLog ?? false });
    return;
  }
}
