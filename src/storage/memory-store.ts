// A store that keeps everything in memory: the in-memory version beside
// SqliteStore, with the same calls RaftNode makes (NodeStore in
// src/node/deps.ts) and the same checks on them, for running the production
// node without a disk (unit tests; later the simulator). What it "persists"
// survives a node's stop and a new RaftNode.create over the same object, as a
// disk would; it does not survive the process. Every call takes effect when it
// is made, so calls complete in the order they were made, as SqliteStore's do.
//
// Its snapshots are JSON (kv, sessions, applied), readable only by another
// MemoryStore: nodes of one cluster must all use the same kind of store.

import type { Entry, HardState, SnapshotMeta } from '../raft/types.js';
import { StorageError, brokenInvariant, storeClosed } from './errors.js';
import type { CapturedSnapshot, LoadedState, PersistRequest, SessionRow } from './types.js';
import type { KvWrite } from '../common/kv-write.js';

/** A session as the in-memory stores keep it (the simulator's disk uses the same shapes). */
export interface StoredSession {
  seq: number;
  result: string;
  index: number;
}

/** A snapshot's bytes, decoded: what an in-memory store captures and installs. */
export interface SnapshotBody {
  applied: number;
  kv: [string, string][];
  /** Keys' revisions (absent in bodies from before revisions). */
  revs?: [string, number][];
  sessions: [string, StoredSession][];
}

export class MemoryStore {
  #hard: HardState = { term: 0, vote: '', commit: 0 };
  /** Contiguous; may start before the snapshot (the trailing window kept at compaction). */
  #entries: Entry[] = [];
  #snapshot: SnapshotMeta | undefined;
  #applied = 0;
  readonly #kv = new Map<string, string>();
  readonly #revs = new Map<string, number>();
  readonly #sessions = new Map<string, StoredSession>();
  /** Snapshot bytes by index: captured ones and the installed one. */
  readonly #snapshots = new Map<number, Uint8Array>();
  /** A snapshot being received, chunk by chunk. */
  #incoming: { index: number; term: number; parts: Uint8Array[]; size: number } | undefined;
  #closed = false;

  /** Open again after close (a restart over the same "disk"). */
  reopen(): this {
    this.#closed = false;
    return this;
  }

  load(): Promise<LoadedState> {
    return this.#run(() => ({
      hardState: { ...this.#hard },
      snapshot: this.#snapshot && structuredClone(this.#snapshot),
      entries: this.#entries.map(copyEntry),
      applied: this.#applied,
      kv: new Map(this.#kv),
      revs: new Map(this.#revs),
      sessions: new Map([...this.#sessions].map(([c, s]) => [c, { ...s }])),
    }));
  }

  persist(rd: PersistRequest): Promise<void> {
    return this.#run(() => {
      if (rd.snapshotChunk) {
        const c = rd.snapshotChunk;
        let inc = this.#incoming;
        if (c.offset === 0 || !inc || inc.index !== c.meta.index || inc.term !== c.meta.term) {
          inc = this.#incoming = { index: c.meta.index, term: c.meta.term, parts: [], size: 0 };
        }
        if (c.offset !== inc.size) throw brokenInvariant(`persist: snapshot chunk at offset ${c.offset}, but ${inc.size} bytes are stored`);
        inc.parts.push(c.data.slice());
        inc.size += c.data.byteLength;
      }
      const entries = rd.entries ?? [];
      for (let i = 1; i < entries.length; i++) {
        if (entries[i]!.index !== entries[i - 1]!.index + 1) throw brokenInvariant(`persist: entries are not contiguous after ${entries[i - 1]!.index}`);
      }
      if (rd.snapshot) this.#install(rd.snapshot, rd.snapshotKeepsLog === true);
      if (entries.length > 0) {
        const first = entries[0]!.index;
        const tip = this.#tip();
        if (first > tip + 1) throw brokenInvariant(`persist: entries start at ${first}, after a gap from the stored log's end ${tip}`);
        this.#entries = this.#entries.filter((e) => e.index < first).concat(entries.map(copyEntry));
      }
      if (rd.hardState) this.#hard = { ...rd.hardState };
    });
  }

  /** Within a batch the last write of a key wins; expiry goes first, so a session written in the batch is live. */
  applyBatch(writes: readonly KvWrite[], sessions: readonly SessionRow[], appliedIndex: number, expiredSessions: readonly string[] = []): Promise<void> {
    return this.#run(() => {
      if (appliedIndex < this.#applied) throw brokenInvariant(`applyBatch: applied index would go back from ${this.#applied} to ${appliedIndex}`);
      if (appliedIndex > this.#tip()) throw brokenInvariant(`applyBatch: applied index ${appliedIndex} is beyond the stored log (it ends at ${this.#tip()})`);
      for (const w of writes) {
        if (w.value === null) this.#kv.delete(w.key);
        else this.#kv.set(w.key, w.value);
        if (w.value === null || !w.rev) this.#revs.delete(w.key);
        else this.#revs.set(w.key, w.rev);
      }
      for (const c of expiredSessions) this.#sessions.delete(c);
      for (const s of sessions) this.#sessions.set(s.client, { seq: s.seq, result: s.result, index: s.index ?? appliedIndex });
      this.#applied = appliedIndex;
    });
  }

  captureSnapshot(): Promise<CapturedSnapshot> {
    return this.#run(() => {
      const body: SnapshotBody = { applied: this.#applied, kv: [...this.#kv], revs: [...this.#revs], sessions: [...this.#sessions] };
      const bytes = new TextEncoder().encode(JSON.stringify(body));
      this.#snapshots.set(this.#applied, bytes);
      const term = this.#applied === this.#snapshot?.index ? this.#snapshot.term : this.#entries.find((e) => e.index === this.#applied)?.term;
      return { index: this.#applied, term, size: bytes.byteLength, path: `memory:snapshot-${this.#applied}` };
    });
  }

  readSnapshotChunk(index: number, offset: number, length: number): Promise<Uint8Array> {
    return this.#run(() => {
      const bytes = this.#snapshots.get(index);
      if (!bytes) throw new StorageError('RAFTKV_ERR_SNAPSHOT_UNAVAILABLE', `no snapshot at ${index}`);
      return bytes.slice(offset, offset + length);
    });
  }

  recordSnapshot(meta: SnapshotMeta): Promise<void> {
    return this.#run(() => {
      if (meta.index < (this.#snapshot?.index ?? 0)) return;
      if (meta.index > this.#applied) throw brokenInvariant(`recordSnapshot: snapshot at ${meta.index} is beyond applied ${this.#applied}`);
      this.#snapshot = structuredClone(meta);
      for (const i of this.#snapshots.keys()) if (i < meta.index) this.#snapshots.delete(i);
    });
  }

  /** Never past the recorded snapshot: the entries after it are the only copy of that history. */
  compactLog(upTo: number): Promise<void> {
    return this.#run(() => {
      const limit = Math.min(upTo, this.#snapshot?.index ?? 0);
      if (limit > 0) this.#entries = this.#entries.filter((e) => e.index > limit);
    });
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #install(meta: SnapshotMeta, keepLog: boolean): void {
    const inc = this.#incoming;
    if (!inc || inc.index !== meta.index || inc.term !== meta.term || inc.size !== meta.size) {
      throw brokenInvariant(`persist: the incoming snapshot holds ${inc?.size ?? 'no'} bytes of ${inc?.index ?? 'no snapshot'}, its meta says ${meta.size} bytes at ${meta.index}`);
    }
    const bytes = new Uint8Array(inc.size);
    let at = 0;
    for (const p of inc.parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    const body = JSON.parse(new TextDecoder().decode(bytes)) as SnapshotBody;
    if (body.applied !== meta.index) throw brokenInvariant(`the incoming snapshot says applied ${body.applied}, its meta says index ${meta.index}`);
    this.#kv.clear();
    for (const [k, v] of body.kv) this.#kv.set(k, v);
    this.#revs.clear();
    for (const [k, r] of body.revs ?? []) this.#revs.set(k, r);
    this.#sessions.clear();
    for (const [c, s] of body.sessions) this.#sessions.set(c, s);
    this.#applied = meta.index;
    this.#snapshot = structuredClone(meta);
    this.#entries = keepLog ? this.#entries.filter((e) => e.index > meta.index) : [];
    this.#snapshots.clear();
    this.#snapshots.set(meta.index, bytes);
    this.#incoming = undefined;
  }

  /** The last index the store holds, in its log or its snapshot. */
  #tip(): number {
    return Math.max(this.#entries.at(-1)?.index ?? 0, this.#snapshot?.index ?? 0);
  }

  #run<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

function copyEntry(e: Entry): Entry {
  return { ...e, data: e.data.slice() };
}
