// Capturing a snapshot: a consistent copy of kv + sessions + applied index,
// taken with VACUUM INTO on a second, read-only connection (in WAL mode a
// reader does not hold up the writer), then stripped of the log and hard
// state and published as `snapshots/snapshot-<applied>.db`.

import { rm } from 'node:fs/promises';
import { Db } from './db.js';
import { corrupt, StorageError, storeClosed } from './errors.js';
import type { SnapshotFiles } from './snapshot-files.js';
import type { CapturedSnapshot } from './types.js';

export class SnapshotCapture {
  readonly #files: SnapshotFiles;
  /** Copies the source database into a path: VACUUM INTO on some connection. */
  readonly #vacuumInto: (path: string, reader: () => Promise<Db>) => Promise<unknown>;
  readonly #dbPath: string;
  #reader: Promise<Db> | undefined;
  /** The connection to a copy while it is being stripped. */
  #copy: Db | undefined;
  #running = false;
  #chain: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * `vacuumInto` runs the VACUUM INTO: on the lazily opened read-only
   * connection to `dbPath` it is handed, or (in memory, where there is no
   * second connection) on the main one.
   */
  constructor(files: SnapshotFiles, dbPath: string, vacuumInto: (path: string, reader: () => Promise<Db>) => Promise<unknown>) {
    this.#files = files;
    this.#dbPath = dbPath;
    this.#vacuumInto = vacuumInto;
  }

  /**
   * One capture at a time. Afterwards the snapshot files kept are the new one
   * and the one at `keepIndex()` (the recorded snapshot, which a peer may be
   * receiving until a newer one is recorded).
   */
  capture(keepIndex: () => number): Promise<CapturedSnapshot> {
    if (this.#closed) return Promise.reject(storeClosed());
    const run = this.#chain.then(() => this.#capture(keepIndex));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #capture(keepIndex: () => number): Promise<CapturedSnapshot> {
    if (this.#closed) throw storeClosed();
    const tmp = this.#files.capturePath();
    this.#running = true;
    try {
      await this.#vacuumInto(tmp, () => this.#readerDb());
      const { index, term } = await this.#strip(tmp);
      const path = this.#files.snapshotPath(index);
      const existing = await this.#files.size(path);
      if (existing !== undefined) {
        // Same applied index, same state: keep the file peers may be reading chunks of.
        await rm(tmp, { force: true });
        return term === undefined ? { index, size: existing, path } : { index, term, size: existing, path };
      }
      await this.#files.publish(tmp, path);
      const size = (await this.#files.size(path))!;
      await this.#files.prune(new Set([index, keepIndex()]));
      return term === undefined ? { index, size, path } : { index, term, size, path };
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (this.#closed && !(e instanceof StorageError)) {
        throw new StorageError('RAFTKV_ERR_STORAGE_CLOSED', `the store was closed during a snapshot capture: ${(e as Error).message}`, { cause: e });
      }
      throw e;
    } finally {
      this.#running = false;
      this.#copy = undefined;
    }
  }

  #readerDb(): Promise<Db> {
    this.#reader ??= (async () => {
      const reader = await Db.open(this.#dbPath, { readonly: true });
      await reader.run('PRAGMA busy_timeout = 5000');
      return reader;
    })();
    return this.#reader;
  }

  /** In a fresh copy: read its applied index and that entry's term, drop the log and hard state, shrink it. */
  async #strip(path: string): Promise<{ index: number; term: number | undefined }> {
    const copy = await Db.open(path);
    this.#copy = copy;
    try {
      await copy.get('PRAGMA journal_mode = DELETE'); // a self-contained file, whatever the source's mode
      const row = await copy.get<{ applied: number; term: number | null }>(
        `SELECT m.applied AS applied,
                COALESCE((SELECT term FROM log WHERE idx = m.applied), (SELECT term FROM snapshot_meta WHERE idx = m.applied)) AS term
         FROM meta m WHERE m.id = 0`,
      );
      if (!row) throw corrupt(`snapshot copy ${path} has no meta row`);
      await copy.exec('DELETE FROM log; DELETE FROM hard_state; DELETE FROM snapshot_meta;');
      await copy.run('VACUUM');
      return { index: row.applied, term: row.term ?? undefined };
    } finally {
      await copy.close();
    }
  }

  /** Interrupt a capture under way, wait for it to end, close the connections. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const reader = this.#reader ? await this.#reader.catch(() => undefined) : undefined;
    if (this.#running) {
      reader?.interrupt();
      this.#copy?.interrupt();
    }
    await this.#chain;
    await reader?.close().catch(() => undefined);
  }
}
