// The snapshot files of one node, under `<dir>/snapshots/`:
//   snapshot-<index>.db          a captured or installed snapshot, served in chunks
//   incoming-<index>-<term>.db   a snapshot being received, chunk by chunk
//   capture-<n>.tmp.db           a capture in progress (VACUUM INTO target)
// A snapshot file is a SQLite database with the kv, sessions and meta tables.

import { randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotChunk } from '../raft/types.js';
import { brokenInvariant, StorageError } from './errors.js';

const SNAPSHOT_RE = /^snapshot-(\d+)\.db$/;
const INCOMING_RE = /^incoming-(\d+)-(\d+)\.db$/;

export class SnapshotFiles {
  readonly dir: string;
  /** fsync files and the directory (durability "fsync"). */
  readonly #sync: boolean;

  constructor(dir: string, sync: boolean) {
    this.dir = dir;
    this.#sync = sync;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  snapshotPath(index: number): string {
    return join(this.dir, `snapshot-${index}.db`);
  }

  incomingPath(index: number, term: number): string {
    return join(this.dir, `incoming-${index}-${term}.db`);
  }

  capturePath(): string {
    return join(this.dir, `capture-${randomBytes(6).toString('hex')}.tmp.db`);
  }

  /** Write one received chunk at its offset, durably when fsync is on. Offset 0 starts the file over. */
  async writeChunk(chunk: SnapshotChunk): Promise<void> {
    const { meta, offset, data } = chunk;
    const path = this.incomingPath(meta.index, meta.term);
    if (offset === 0) await this.#removeMatching(INCOMING_RE, (name) => join(this.dir, name) !== path);
    const fh = await open(path, offset === 0 ? fsc.O_RDWR | fsc.O_CREAT | fsc.O_TRUNC : fsc.O_RDWR);
    try {
      if (offset > 0) {
        const { size } = await fh.stat();
        if (size < offset) throw brokenInvariant(`snapshot chunk at offset ${offset} of ${path}, which holds only ${size} bytes`);
      }
      await fh.write(data, 0, data.byteLength, offset);
      await fh.truncate(offset + data.byteLength);
      if (this.#sync) await fh.sync();
    } finally {
      await fh.close();
    }
    if (offset === 0 && this.#sync) await this.syncDir();
  }

  /** Bytes [offset, offset+length) of the snapshot at `index` (fewer at its end). */
  async read(index: number, offset: number, length: number): Promise<Uint8Array> {
    let fh;
    try {
      fh = await open(this.snapshotPath(index), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw unavailable(index);
      throw e;
    }
    try {
      const buf = new Uint8Array(Math.max(0, length));
      let n = 0;
      while (n < buf.byteLength) {
        const { bytesRead } = await fh.read(buf, n, buf.byteLength - n, offset + n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  async size(path: string): Promise<number | undefined> {
    try {
      return (await stat(path)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Make a finished file durable and give it its final name (atomic replace). */
  async publish(from: string, to: string): Promise<void> {
    if (this.#sync) {
      const fh = await open(from, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rename(from, to);
    if (this.#sync) await this.syncDir();
  }

  /** Indices of the snapshot files present. */
  async snapshotIndices(): Promise<number[]> {
    const out: number[] = [];
    for (const name of await readdir(this.dir)) {
      const m = SNAPSHOT_RE.exec(name);
      if (m) out.push(Number(m[1]));
    }
    return out;
  }

  /** Delete every snapshot file whose index is not in `keep`. */
  async prune(keep: ReadonlySet<number>): Promise<void> {
    await this.#removeMatching(SNAPSHOT_RE, (_name, m) => !keep.has(Number(m[1])));
  }

  /**
   * At open: finish an install that committed but crashed before its rename,
   * then drop partial transfers (the core restarts them at offset 0), capture
   * leftovers and snapshot files the database does not reference.
   */
  async reconcile(recorded: { index: number; term: number } | undefined): Promise<void> {
    if (recorded) {
      const final = this.snapshotPath(recorded.index);
      const incoming = this.incomingPath(recorded.index, recorded.term);
      if ((await this.size(final)) === undefined && (await this.size(incoming)) !== undefined) await this.publish(incoming, final);
    }
    await this.#removeMatching(INCOMING_RE, () => true);
    await this.#removeMatching(/^capture-.*\.tmp\.db(-journal|-wal|-shm)?$/, () => true);
    await this.prune(new Set(recorded ? [recorded.index] : []));
  }

  async syncDir(): Promise<void> {
    const fh = await open(this.dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async #removeMatching(re: RegExp, pick: (name: string, m: RegExpExecArray) => boolean): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const m = re.exec(name);
      if (m && pick(name, m)) await rm(join(this.dir, name), { force: true });
    }
  }
}

export const unavailable = (index: number): StorageError =>
  new StorageError('RAFTKV_ERR_SNAPSHOT_UNAVAILABLE', `no snapshot file at index ${index} (a newer snapshot replaced it, or it was never captured here)`);
