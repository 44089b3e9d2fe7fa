// The durable state of one Raft node in one SQLite database (`<dir>/raftkv.db`):
// the Raft log, hard state, latest snapshot meta, and the key-value state
// machine's effects (kv, client sessions, applied index).
//
// Invariants of what is stored, at every commit (so after any crash):
//   - log indices are contiguous;
//   - the log starts at or before snapIndex + 1 (a trailing window may be kept
//     behind the snapshot): compactLog never deletes past the recorded snapshot;
//   - snapIndex <= applied <= max(lastIndex, snapIndex): applied moves in the
//     same transaction as the kv/session rows it describes, and only over
//     entries already stored;
//   - an installed snapshot replaces kv, sessions, applied, snapshot meta and
//     the log it covers in one transaction.
// Every write is one `BEGIN IMMEDIATE … COMMIT` (or one autocommit statement),
// and all of them go through one queue, so transactions never interleave on
// the connection.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
// Node's crc32 (zlib's): the same CRC-32 as the core's, 1.3x faster on a 43-byte entry, 8x on 200 bytes.
import { crc32 } from 'node:zlib';
import type { ConfState, Entry, EntryKind, HardState, SnapshotMeta } from '../raft/types.js';
import { Db, type Param } from './db.js';
import { brokenInvariant, corrupt, StorageError, storeClosed } from './errors.js';
import { checkHeader, quickCheck } from './integrity.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import { list, placeholders, writeRows } from './multi-row.js';
import { BlobLiterals, int, SqlScript, text } from './sql-script.js';
import { SnapshotCapture } from './snapshot-capture.js';
import { SnapshotFiles } from './snapshot-files.js';
import type { CapturedSnapshot, Durability, LoadedState, LogRow, OpenOptions, PersistRequest, SessionRow } from './types.js';
import type { KvWrite } from '../common/kv-write.js';

export type { CapturedSnapshot, Durability, LoadedState, LogRow, OpenOptions, PersistRequest, SessionRow } from './types.js';

export const DB_FILE = 'raftkv.db';
const NO_HARD_STATE: HardState = { term: 0, vote: '', commit: 0 };

interface LogDbRow {
  idx: number;
  term: number;
  kind: number;
  data: Uint8Array | null;
  checksum: number;
}

interface SnapDbRow {
  idx: number;
  term: number;
  conf_state: string;
  size: number;
}

export class SqliteStore {
  readonly dir: string;
  readonly durability: Durability;
  readonly inMemory: boolean;
  readonly #bound: boolean;
  readonly #db: Db;
  readonly #files: SnapshotFiles;
  readonly #capture: SnapshotCapture;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  /** Operations of the queue running now (0 or 1). */
  #busy = 0;
  #closing: Promise<void> | undefined;

  // Mirrors of committed rows, updated only after COMMIT.
  /** Highest stored log index, 0 when the log table is empty. */
  #lastIndex = 0;
  /** The write group still open to new parts (queued, not started). */
  #group: WriteGroup | undefined;
  #groups = 0;
  #groupedCalls = 0;
  #snapshot: SnapshotMeta | undefined;
  #applied = 0;
  #applyDelayMs = 0;
  #applyMaxRows = DEFAULT_APPLY_MAX_ROWS;
  /** Apply batches held for one write (applyDelayMs), merged: the last write of a key or session wins. */
  #held: HeldApply | undefined;

  private constructor(dir: string, durability: Durability, inMemory: boolean, db: Db, files: SnapshotFiles, bound: boolean) {
    this.dir = dir;
    this.#bound = bound;
    this.durability = durability;
    this.inMemory = inMemory;
    this.#db = db;
    this.#files = files;
    this.#capture = new SnapshotCapture(files, db.path, (path, reader) =>
      // In memory there is no second connection: copy on the main one, between transactions.
      inMemory ? this.#exclusive(() => db.run('VACUUM INTO ?', [path])) : reader().then((r) => r.run('VACUUM INTO ?', [path])),
    );
  }

  /**
   * Open (creating if needed) the node's database. Refuses, leaving the file
   * untouched, a file that is not a SQLite database or fails quick_check, a
   * SQLite database that is not raftkv's, and a newer schema version.
   */
  static async open(dir: string, opts: OpenOptions = {}): Promise<SqliteStore> {
    const durability = opts.durability ?? 'fsync';
    if (durability !== 'fsync' && durability !== 'os') throw new TypeError(`durability must be "fsync" or "os", not ${JSON.stringify(durability)}`);
    const inMemory = opts.inMemory === true;
    await mkdir(dir, { recursive: true });
    const files = new SnapshotFiles(join(dir, 'snapshots'), durability === 'fsync');
    await files.init();
    const path = inMemory ? ':memory:' : join(dir, DB_FILE);
    const label = inMemory ? 'the in-memory database' : path;
    if (!inMemory) await checkHeader(path);
    let db: Db;
    try {
      db = await Db.open(path);
    } catch (e) {
      throw new Error(`cannot open ${label}: ${(e as Error).message}`, { cause: e });
    }
    try {
      await quickCheck(db, label);
      if (!inMemory) {
        const mode = await db.get<{ journal_mode: string }>('PRAGMA journal_mode = WAL');
        if (mode?.journal_mode !== 'wal') throw new Error(`${label}: could not switch to WAL mode (journal_mode is ${mode?.journal_mode})`);
      }
      await db.exec(`PRAGMA synchronous = ${durability === 'fsync' ? 'FULL' : 'NORMAL'}; PRAGMA busy_timeout = 5000;`);
      await migrate(db, label);
      const store = new SqliteStore(dir, durability, inMemory, db, files, opts.statements === 'bound');
      store.#applyDelayMs = Math.max(0, opts.applyDelayMs ?? 0);
      store.#applyMaxRows = Math.max(1, opts.applyMaxRows ?? DEFAULT_APPLY_MAX_ROWS);
      await store.#init();
      return store;
    } catch (e) {
      await db.close().catch(() => undefined);
      throw e;
    }
  }

  async #init(): Promise<void> {
    const db = this.#db;
    const meta = await db.get<{ applied: number; last: number | null }>('SELECT applied, (SELECT MAX(idx) FROM log) AS last FROM meta WHERE id = 0');
    if (!meta) throw corrupt(`${db.path}: the meta row is missing`);
    this.#applied = meta.applied;
    this.#lastIndex = meta.last ?? 0;
    const snap = await db.get<SnapDbRow>('SELECT idx, term, conf_state, size FROM snapshot_meta WHERE id = 0');
    this.#snapshot = snap ? toSnapshotMeta(snap) : undefined;
    // An in-memory database starts empty: no snapshot file on disk belongs to it.
    await this.#files.reconcile(this.inMemory ? undefined : this.#snapshot);
  }

  /** sqlite3 calls made on the main connection so far (each is one thread-pool trip). */
  get sqliteCalls(): number {
    return this.#db.calls;
  }

  /** The connection's journal mode and synchronous level, as SQLite reports them (for status views). */
  settings(): Promise<{ journalMode: string; synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' }> {
    return this.#exclusive(async () => {
      const jm = await this.#db.get<{ journal_mode: string }>('PRAGMA journal_mode');
      const sy = await this.#db.get<{ synchronous: number }>('PRAGMA synchronous');
      const levels = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
      return { journalMode: jm?.journal_mode ?? '?', synchronous: levels[sy?.synchronous ?? 0] ?? 'OFF' };
    });
  }

  /** Everything the node needs at start-up, read in one read transaction and checked. */
  load(): Promise<LoadedState> {
    return this.#exclusiveAfterHeld(async () => {
      const db = this.#db;
      await db.run('BEGIN');
      let hs, meta, snap, logRows, kvRows, sessionRows;
      try {
        hs = await db.get<{ term: number; vote: string; commit_index: number }>('SELECT term, vote, commit_index FROM hard_state WHERE id = 0');
        meta = await db.get<{ applied: number }>('SELECT applied FROM meta WHERE id = 0');
        snap = await db.get<SnapDbRow>('SELECT idx, term, conf_state, size FROM snapshot_meta WHERE id = 0');
        logRows = await db.all<LogDbRow>('SELECT idx, term, kind, data, checksum FROM log ORDER BY idx');
        kvRows = await db.all<{ k: string; v: string; rev: number }>('SELECT k, v, rev FROM kv');
        sessionRows = await db.all<{ client: string; seq: number; result: string; idx: number }>('SELECT client, seq, result, idx FROM sessions');
      } finally {
        await db.run('COMMIT').catch(() => undefined);
      }
      const label = this.inMemory ? 'the in-memory database' : db.path;
      const snapshot = snap ? toSnapshotMeta(snap) : undefined;
      const snapIndex = snapshot?.index ?? 0;
      const entries: Entry[] = [];
      for (const r of logRows) {
        const e = toLogRow(r);
        if (!e.valid) throw corrupt(`${label}: log entry ${e.index} fails its checksum (stored ${e.checksum}, data has ${crc32(e.data)})`);
        const prev = entries[entries.length - 1];
        if (prev && e.index !== prev.index + 1) throw corrupt(`${label}: the stored log has a gap after ${prev.index}`);
        entries.push({ index: e.index, term: e.term, kind: e.kind, data: e.data });
      }
      if (entries.length > 0 && entries[0]!.index > snapIndex + 1) {
        throw corrupt(`${label}: the stored log starts at ${entries[0]!.index}, after a gap from the snapshot at ${snapIndex}`);
      }
      const applied = meta?.applied ?? 0;
      const tip = Math.max(entries[entries.length - 1]?.index ?? 0, snapIndex);
      if (applied < snapIndex || applied > tip) throw corrupt(`${label}: applied index ${applied} is outside [${snapIndex}, ${tip}]`);
      return {
        hardState: hs ? { term: hs.term, vote: hs.vote, commit: hs.commit_index } : { ...NO_HARD_STATE },
        snapshot,
        entries,
        applied,
        kv: new Map(kvRows.map((r) => [r.k, r.v])),
        revs: new Map(kvRows.filter((r) => r.rev > 0).map((r) => [r.k, r.rev])),
        sessions: new Map(sessionRows.map((r) => [r.client, { seq: r.seq, result: r.result, index: r.idx }])),
      };
    });
  }

  /**
   * Make one Ready durable. The snapshot chunk goes to its file first (fsync'ed
   * with durability "fsync"); then, in ONE transaction: install the snapshot
   * (kv, sessions, applied, snapshot meta, covered log), replace the log from
   * entries[0].index on, upsert the hard state.
   */
  persist(rd: PersistRequest): Promise<void> {
    if (!this.#bound && !rd.snapshot && !rd.snapshotChunk) return this.#joinGroup({ persist: rd });
    return this.#exclusiveAfterHeld(async () => {
      const db = this.#db;
      if (rd.snapshotChunk) await this.#files.writeChunk(rd.snapshotChunk);
      const entries = rd.entries ?? [];
      const snap = rd.snapshot;
      if (entries.length === 0 && !rd.hardState && !snap) return;
      checkContiguous(entries);

      let lastIndex = this.#lastIndex;
      let snapIndex = this.#snapshot?.index ?? 0;
      let applied = this.#applied;
      let incoming: string | undefined;
      if (snap) {
        incoming = this.#files.incomingPath(snap.index, snap.term);
        const size = await this.#files.size(incoming);
        if (size !== snap.size) {
          throw brokenInvariant(`persist: the incoming snapshot ${incoming} holds ${size ?? 'no'} bytes, its meta says ${snap.size}`);
        }
        // ATTACH before BEGIN: DETACH is refused inside a transaction, so keep the pair outside it.
        await db.run('ATTACH DATABASE ? AS incoming', [incoming]);
      }
      if (!snap && this.#bound) {
        const first = entries[0]?.index;
        if (first !== undefined) checkNoGap(first, Math.max(lastIndex, snapIndex));
        await this.#boundTransaction('BEGIN IMMEDIATE', 'COMMIT', async () => {
          if (first !== undefined && first <= lastIndex) await (await db.prepared('DELETE FROM log WHERE idx >= ?')).run([first]);
          await writeRows(db, insertLogSql, entries, bindEntry);
          const hs = rd.hardState;
          if (hs) await (await db.prepared(upsertHardStateSql)).run([hs.term, hs.vote, hs.commit]);
        });
        if (entries.length > 0) this.#lastIndex = entries[entries.length - 1]!.index;
        return;
      }
      try {
        await this.#transaction(async () => {
          if (snap) {
            await this.#restoreFromIncoming(snap, rd.snapshotKeepsLog === true);
            if (rd.snapshotKeepsLog !== true || lastIndex <= snap.index) lastIndex = 0;
            snapIndex = snap.index;
            applied = snap.index;
          }
          if (entries.length > 0) {
            const first = entries[0]!.index;
            checkNoGap(first, Math.max(lastIndex, snapIndex));
            if (first <= lastIndex) await db.run('DELETE FROM log WHERE idx >= ?', [first]);
            await writeRows(db, insertLogSql, entries, bindEntry);
            lastIndex = entries[entries.length - 1]!.index;
          }
          if (rd.hardState) {
            const hs = rd.hardState;
            await db.run(upsertHardStateSql, [hs.term, hs.vote, hs.commit]);
          }
        });
      } finally {
        if (incoming) await db.run('DETACH DATABASE incoming').catch(() => undefined);
      }
      this.#lastIndex = lastIndex;
      this.#applied = applied;
      if (snap && incoming) {
        this.#snapshot = snap;
        // Committed: the received file becomes this node's snapshot to serve. A crash
        // before this rename is finished by SnapshotFiles.reconcile at the next open.
        await this.#files.publish(incoming, this.#files.snapshotPath(snap.index));
        await this.#files.prune(new Set([snap.index]));
      }
    });
  }

  async #restoreFromIncoming(snap: SnapshotMeta, keepLog: boolean): Promise<void> {
    const db = this.#db;
    let head;
    try {
      head = await db.get<{ version: number | null; applied: number | null }>(
        'SELECT (SELECT version FROM incoming.schema_version) AS version, (SELECT applied FROM incoming.meta WHERE id = 0) AS applied',
      );
    } catch (e) {
      throw corrupt(`the incoming snapshot at ${snap.index} is not a raftkv snapshot: ${(e as Error).message}`, e);
    }
    if (head?.version !== SCHEMA_VERSION) {
      throw new StorageError('RAFTKV_ERR_STORAGE_SCHEMA', `the incoming snapshot at ${snap.index} has schema version ${head?.version}, this raftkv uses ${SCHEMA_VERSION}`);
    }
    if (head.applied !== snap.index) throw corrupt(`the incoming snapshot says applied ${head.applied}, its meta says index ${snap.index}`);
    await db.exec(`
      DELETE FROM main.kv;
      INSERT INTO main.kv (k, v, rev) SELECT k, v, rev FROM incoming.kv;
      DELETE FROM main.sessions;
      INSERT INTO main.sessions (client, seq, result, idx) SELECT client, seq, result, idx FROM incoming.sessions;
    `);
    await db.run('UPDATE main.meta SET applied = ? WHERE id = 0', [snap.index]);
    await this.#writeSnapshotMeta(snap);
    if (keepLog) await db.run('DELETE FROM main.log WHERE idx <= ?', [snap.index]);
    else await db.run('DELETE FROM main.log');
  }

  #writeSnapshotMeta(meta: SnapshotMeta): Promise<unknown> {
    return this.#db.run(
      `INSERT INTO main.snapshot_meta (id, idx, term, conf_state, size) VALUES (0, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET idx = excluded.idx, term = excluded.term, conf_state = excluded.conf_state, size = excluded.size`,
      [meta.index, meta.term, JSON.stringify(meta.confState), meta.size],
    );
  }

  /**
   * Store the effects of applying entries up to `appliedIndex`: kv upserts and
   * deletes, session upserts, expired sessions removed, and the applied index,
   * all in ONE transaction, so state and applied index never disagree.
   * Within a batch the last write of a key wins.
   */
  applyBatch(writes: readonly KvWrite[], sessions: readonly SessionRow[], appliedIndex: number, expiredSessions: readonly string[] = []): Promise<void> {
    if (this.#applyDelayMs === 0) return this.#applyNow(writes, sessions, appliedIndex, expiredSessions);
    if (this.#closed) return Promise.reject(storeClosed());
    try {
      checkApplied(appliedIndex, this.#held?.appliedIndex ?? this.#applied, Number.MAX_SAFE_INTEGER);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const held = (this.#held ??= newHeldApply(appliedIndex));
    for (const c of expiredSessions) held.sessions.set(c, null);
    for (const w of sessions) held.sessions.set(w.client, { ...w, index: w.index ?? appliedIndex });
    for (const w of writes) held.kv.set(w.key, w);
    held.appliedIndex = appliedIndex;
    if (held.kv.size + held.sessions.size >= this.#applyMaxRows) void this.#release();
    else held.timer ??= setTimeout(() => void this.#release(), this.#applyDelayMs);
    return held.done;
  }

  /** Write what is held now (a no-op when nothing is); settles the promises of the batches it holds. */
  #release(): Promise<void> {
    const held = this.#held;
    if (!held) return Promise.resolve();
    this.#held = undefined;
    clearTimeout(held.timer);
    const sessions: SessionRow[] = [];
    const expired: string[] = [];
    for (const [client, w] of held.sessions) {
      if (w) sessions.push(w);
      else expired.push(client);
    }
    const written = this.#applyNow([...held.kv.values()], sessions, held.appliedIndex, expired);
    written.then(held.resolve, held.reject);
    return written;
  }

  /** #exclusive, after what is held is queued: what reads or replaces the state tables, or relies on the applied index, sees every batch applied so far. */
  #exclusiveAfterHeld<T>(fn: () => Promise<T>): Promise<T> {
    void this.#release().catch(() => undefined);
    return this.#exclusive(fn);
  }

  #applyNow(writes: readonly KvWrite[], sessions: readonly SessionRow[], appliedIndex: number, expiredSessions: readonly string[]): Promise<void> {
    if (!this.#bound) return this.#joinGroup({ apply: { writes, sessions, appliedIndex, expiredSessions } });
    return this.#exclusive(async () => {
      const db = this.#db;
      checkApplied(appliedIndex, this.#applied, Math.max(this.#lastIndex, this.#snapshot?.index ?? 0));
      const { upserts, deletes } = lastWriteWins(writes);
      const relaxed = this.durability === 'fsync' && !this.inMemory;
      await this.#boundTransaction(
        relaxed ? 'PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE' : 'BEGIN IMMEDIATE',
        relaxed ? 'COMMIT; PRAGMA synchronous = FULL' : 'COMMIT',
        async () => {
          await writeRows(db, upsertKvSql, upserts, (r, out) => out.push(r[0], r[1], r[2]));
          await writeRows(db, deleteKvSql, deletes, (k, out) => out.push(k));
          await writeRows(db, deleteSessionsSql, expiredSessions, (c, out) => out.push(c));
          await writeRows(db, upsertSessionsSql, lastSessionWins(sessions), (s, out) => out.push(s.client, s.seq, s.result, s.index ?? appliedIndex));
          if (appliedIndex !== this.#applied) await (await db.prepared('UPDATE meta SET applied = ? WHERE id = 0')).run([appliedIndex]);
        },
        relaxed,
      );
      this.#applied = appliedIndex;
    });
  }

  /**
   * A consistent copy of kv + sessions + applied index, taken with VACUUM INTO
   * on a second, read-only connection (WAL: writers go on meanwhile), then
   * stripped of the log and hard state. The file is published as
   * `snapshots/snapshot-<applied>.db`; older files go, except the one the
   * recorded snapshot meta names (a transfer of it may be under way until
   * recordSnapshot moves on).
   */
  captureSnapshot(): Promise<CapturedSnapshot> {
    if (this.#closed) return Promise.reject(storeClosed());
    const keep = (): number => this.#snapshot?.index ?? 0;
    if (!this.#held) return this.#capture.capture(keep);
    // The copy holds every batch applied so far: a held one is written first. The promise is marked handled here (the
    // caller still gets its rejection), as the capture's own is: a close cutting it off is no unhandled rejection.
    const captured = this.#release().then(() => this.#capture.capture(keep));
    captured.catch(() => undefined);
    return captured;
  }

  /** Bytes of the captured (or installed) snapshot at `index`, for sending chunks. */
  readSnapshotChunk(index: number, offset: number, length: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(storeClosed());
    return this.#files.read(index, offset, length);
  }

  /**
   * Delete log entries <= upTo, but never past the recorded snapshot: the
   * entries after it are the only copy of that part of the history.
   */
  compactLog(upTo: number): Promise<void> {
    return this.#exclusiveAfterHeld(async () => {
      const limit = Math.min(upTo, this.#snapshot?.index ?? 0);
      if (limit <= 0) return;
      await this.#db.run('DELETE FROM log WHERE idx <= ?', [limit]);
      if (this.#lastIndex <= limit) this.#lastIndex = 0;
    });
  }

  /** Remember the latest snapshot (load() returns it); older snapshot files are deleted. */
  recordSnapshot(meta: SnapshotMeta): Promise<void> {
    return this.#exclusiveAfterHeld(async () => {
      const current = this.#snapshot?.index ?? 0;
      if (meta.index < current) return;
      if (meta.index > this.#applied) throw brokenInvariant(`recordSnapshot: snapshot at ${meta.index} is beyond applied ${this.#applied}`);
      const at = await this.#db.get<{ term: number }>('SELECT term FROM log WHERE idx = ?', [meta.index]);
      if (at && at.term !== meta.term) throw brokenInvariant(`recordSnapshot: the entry at ${meta.index} has term ${at.term}, the snapshot says ${meta.term}`);
      await this.#writeSnapshotMeta(meta);
      this.#snapshot = meta;
      if ((await this.#files.size(this.#files.snapshotPath(meta.index))) !== undefined) await this.#files.prune(new Set([meta.index]));
    });
  }

  /** Stored entries with from <= index <= to, with their checksums (for `raftkv log DIR`). */
  readLog(from = 0, to = Number.MAX_SAFE_INTEGER): Promise<LogRow[]> {
    return this.#exclusive(async () => {
      const rows = await this.#db.all<LogDbRow>('SELECT idx, term, kind, data, checksum FROM log WHERE idx >= ? AND idx <= ? ORDER BY idx', [from, to]);
      return rows.map(toLogRow);
    });
  }

  /**
   * Safe with statements in flight: interrupt the running statement (as a
   * crash would; SQLite rolls its transaction back), let the queue drain (every
   * operation not yet started fails with RAFTKV_ERR_STORAGE_CLOSED), then
   * close both connections. Idempotent.
   */
  close(): Promise<void> {
    // What is held is dropped, not failed: it is in the log, and the next start applies it again, as after a crash.
    const held = this.#held;
    this.#held = undefined;
    clearTimeout(held?.timer);
    held?.resolve();
    this.#closed = true;
    this.#closing ??= (async () => {
      // Interrupt only when something runs: an interrupt with nothing running
      // stays pending and would abort the checkpoint that a clean close does.
      const interrupted = this.#busy > 0;
      if (interrupted) this.#db.interrupt();
      const captureClosed = this.#capture.close().catch(() => undefined);
      await this.#queue;
      // A statement started with none running clears a pending interrupt.
      if (interrupted) await this.#db.run('SELECT 1').catch(() => undefined);
      await captureClosed;
      await this.#db.close().catch(() => undefined);
    })();
    return this.#closing;
  }

  /**
   * Group commit: a log write or apply batch joins the group queued last, if
   * it has not started, and the whole group runs as ONE transaction (one
   * sqlite3 call, one fsync) when its turn comes. While one write is on the
   * disk, everything the node hands over meanwhile (several pipelined readies,
   * the applies between them) waits in one group: many clients share one
   * fsync, as with Redis's appendfsync always, and a lone write still goes
   * at once. Calls still take effect in the order they were made: any other
   * call closes the group (see #exclusive).
   */
  #joinGroup(part: GroupPart): Promise<void> {
    const open = this.#group;
    if (open) {
      open.parts.push(part);
      return open.done;
    }
    const group: WriteGroup = { parts: [part], done: Promise.resolve() };
    group.done = this.#exclusive(() => {
      if (this.#group === group) this.#group = undefined;
      return this.#writeGroup(group.parts);
    });
    this.#group = group;
    return group.done;
  }

  /**
   * The group's parts in call order, in one transaction. The applied state can
   * always be rebuilt from the durable log, so a group of apply batches alone
   * skips the fsync under durability "fsync" (synchronous=NORMAL keeps it
   * atomic); the next log write's fsync makes it durable too.
   */
  async #writeGroup(parts: readonly GroupPart[]): Promise<void> {
    let lastIndex = this.#lastIndex;
    let applied = this.#applied;
    const snapIndex = this.#snapshot?.index ?? 0;
    const logWrite = parts.some((p) => p.persist !== undefined);
    const relaxed = !logWrite && this.durability === 'fsync' && !this.inMemory;
    const script = new SqlScript();
    if (relaxed) script.add('PRAGMA synchronous = NORMAL');
    script.add('BEGIN IMMEDIATE');
    let statements = 0;
    for (const part of parts) {
      if (part.persist) {
        const rd = part.persist;
        const entries = rd.entries;
        checkContiguous(entries);
        if (entries.length > 0) {
          const first = entries[0]!.index;
          checkNoGap(first, Math.max(lastIndex, snapIndex));
          if (first <= lastIndex) script.add(`DELETE FROM log WHERE idx >= ${int(first)}`);
          const blobs = new BlobLiterals(entries.map((e) => e.data));
          script.rows('INSERT INTO log (idx, term, kind, data, checksum)', entries.length, (i) => {
            const e = entries[i]!;
            return `${int(e.index)},${int(e.term)},${int(e.kind)},${blobs.literal(i)},${crc32(e.data)}`;
          });
          lastIndex = entries[entries.length - 1]!.index;
          statements++;
        }
        if (rd.hardState) {
          const hs = rd.hardState;
          script.add(
            `INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0,${int(hs.term)},${text(hs.vote)},${int(hs.commit)}) ON CONFLICT (id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index`,
          );
          statements++;
        }
      } else if (part.apply) {
        const { writes, sessions, appliedIndex, expiredSessions } = part.apply;
        checkApplied(appliedIndex, applied, Math.max(lastIndex, snapIndex));
        const { upserts, deletes } = lastWriteWins(writes);
        script.rows(
          'INSERT INTO kv (k, v, rev)',
          upserts.length,
          (i) => `${text(upserts[i]![0])},${text(upserts[i]![1])},${int(upserts[i]![2])}`,
          'ON CONFLICT (k) DO UPDATE SET v = excluded.v, rev = excluded.rev',
        );
        script.inList('DELETE FROM kv WHERE k IN', deletes);
        // Expiry first: a session written in this batch is live at its end.
        script.inList('DELETE FROM sessions WHERE client IN', expiredSessions);
        const sessionList = lastSessionWins(sessions);
        script.rows(
          'INSERT INTO sessions (client, seq, result, idx)',
          sessionList.length,
          (i) => {
            const s = sessionList[i]!;
            return `${text(s.client)},${int(s.seq)},${text(s.result)},${int(s.index ?? appliedIndex)}`;
          },
          'ON CONFLICT (client) DO UPDATE SET seq = excluded.seq, result = excluded.result, idx = excluded.idx',
        );
        if (appliedIndex !== applied) script.add(`UPDATE meta SET applied = ${int(appliedIndex)} WHERE id = 0`);
        applied = appliedIndex;
        statements++;
      }
    }
    if (statements === 0) return;
    this.#groups++;
    this.#groupedCalls += parts.length;
    script.add('COMMIT');
    if (relaxed) script.add('PRAGMA synchronous = FULL');
    await this.#execTransaction(script, relaxed);
    this.#lastIndex = lastIndex;
    this.#applied = applied;
  }

  /** Write groups run so far, and the log writes and apply batches they held: calls per transaction. */
  get groupStats(): { groups: number; calls: number } {
    return { groups: this.#groups, calls: this.#groupedCalls };
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    // Whatever runs next comes after the group queued so far: later writes start a new one.
    this.#group = undefined;
    const run = this.#queue.then(async () => {
      if (this.#closed) throw storeClosed();
      this.#busy++;
      try {
        return await fn();
      } catch (e) {
        if (this.#closed && !(e instanceof StorageError)) {
          throw new StorageError('RAFTKV_ERR_STORAGE_CLOSED', `the store was closed during the operation: ${(e as Error).message}`, { cause: e });
        }
        throw e;
      } finally {
        this.#busy--;
      }
    });
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Run a BEGIN … COMMIT script; on failure roll back and restore the synchronous level. */
  async #execTransaction(script: SqlScript, restoreFull = false): Promise<void> {
    try {
      await this.#db.exec(script.toString());
    } catch (e) {
      await this.#db.exec(`ROLLBACK${restoreFull ? '; PRAGMA synchronous = FULL' : ''}`).catch(() => undefined);
      throw e;
    }
  }

  /** `begin` (one exec), fn's bound statements, `commit` (one exec); on failure roll back. */
  async #boundTransaction(begin: string, commit: string, fn: () => Promise<void>, restoreFull = false): Promise<void> {
    const db = this.#db;
    try {
      await db.exec(begin);
      await fn();
      await db.exec(commit);
    } catch (e) {
      await db.exec('ROLLBACK').catch(() => undefined);
      if (restoreFull) await db.exec('PRAGMA synchronous = FULL').catch(() => undefined);
      throw e;
    }
  }

  async #transaction(fn: () => Promise<void>): Promise<void> {
    const db = this.#db;
    await db.run('BEGIN IMMEDIATE');
    try {
      await fn();
      await db.run('COMMIT');
    } catch (e) {
      await db.run('ROLLBACK').catch(() => undefined);
      throw e;
    }
  }
}

const insertLogSql = (n: number): string => `INSERT INTO log (idx, term, kind, data, checksum) VALUES ${placeholders(n, 5)}`;
const upsertKvSql = (n: number): string => `INSERT INTO kv (k, v, rev) VALUES ${placeholders(n, 3)} ON CONFLICT (k) DO UPDATE SET v = excluded.v, rev = excluded.rev`;
const deleteKvSql = (n: number): string => `DELETE FROM kv WHERE k IN (${list(n)})`;
const deleteSessionsSql = (n: number): string => `DELETE FROM sessions WHERE client IN (${list(n)})`;
const upsertSessionsSql = (n: number): string =>
  `INSERT INTO sessions (client, seq, result, idx) VALUES ${placeholders(n, 4)}
   ON CONFLICT (client) DO UPDATE SET seq = excluded.seq, result = excluded.result, idx = excluded.idx`;

const upsertHardStateSql = `INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0, ?, ?, ?)
   ON CONFLICT (id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index`;

function bindEntry(e: Entry, out: Param[]): void {
  out.push(e.index, e.term, e.kind, e.data, crc32(e.data));
}

function toLogRow(r: LogDbRow): LogRow {
  const data = r.data ? new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength) : new Uint8Array(0);
  return { index: r.idx, term: r.term, kind: r.kind as EntryKind, data, checksum: r.checksum, valid: crc32(data) === r.checksum };
}

function toSnapshotMeta(r: SnapDbRow): SnapshotMeta {
  return { index: r.idx, term: r.term, confState: JSON.parse(r.conf_state) as ConfState, size: r.size };
}

/** Rows held at most by default before they are written (etcd's backend batch limit is 10,000). */
const DEFAULT_APPLY_MAX_ROWS = 10_000;

interface HeldApply {
  kv: Map<string, KvWrite>;
  /** A client's session row, or null: expired. */
  sessions: Map<string, SessionRow | null>;
  appliedIndex: number;
  timer: NodeJS.Timeout | undefined;
  done: Promise<void>;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function newHeldApply(appliedIndex: number): HeldApply {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A caller that drops the promise must not make the rejection unhandled: the next caller's sees it.
  done.catch(() => undefined);
  return { kv: new Map(), sessions: new Map(), appliedIndex, timer: undefined, done, resolve, reject };
}

/** One call of a write group: a plain log write (no snapshot), or an apply batch. */
interface GroupPart {
  persist?: PersistRequest;
  apply?: { writes: readonly KvWrite[]; sessions: readonly SessionRow[]; appliedIndex: number; expiredSessions: readonly string[] };
}

interface WriteGroup {
  parts: GroupPart[];
  done: Promise<void>;
}

/** A persist's entries have consecutive indexes. */
function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) throw brokenInvariant(`persist: entries are not contiguous after ${entries[i - 1]!.index}`);
  }
}

/** Entries starting at `first` continue, or overwrite the tail of, a stored log ending at `tip`. */
function checkNoGap(first: number, tip: number): void {
  if (first > tip + 1) throw brokenInvariant(`persist: entries start at ${first}, after a gap from the stored log's end ${tip}`);
}

/** An apply batch up to `appliedIndex` after `applied`, over a stored log ending at `tip`. */
function checkApplied(appliedIndex: number, applied: number, tip: number): void {
  if (appliedIndex < applied) throw brokenInvariant(`applyBatch: applied index would go back from ${applied} to ${appliedIndex}`);
  if (appliedIndex > tip) throw brokenInvariant(`applyBatch: applied index ${appliedIndex} is beyond the stored log (it ends at ${tip})`);
}

/** Within a batch the last write of a key wins: one upsert or delete per key. */
function lastWriteWins(writes: readonly KvWrite[]): { upserts: [string, string, number][]; deletes: string[] } {
  const last = new Map<string, KvWrite>();
  for (const w of writes) last.set(w.key, w);
  const upserts: [string, string, number][] = [];
  const deletes: string[] = [];
  for (const [k, w] of last) {
    if (w.value === null) deletes.push(k);
    else upserts.push([k, w.value, w.rev ?? 0]);
  }
  return { upserts, deletes };
}

function lastSessionWins(sessions: readonly SessionRow[]): SessionRow[] {
  const rows = new Map<string, SessionRow>();
  for (const s of sessions) rows.set(s.client, s);
  return [...rows.values()];
}
