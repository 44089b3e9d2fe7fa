// A simulated node's disk: the NodeStore the production node runs on in the
// simulator. What it holds survives crashes; its calls behave as SqliteStore's
// do (src/storage/sqlite-store.ts, with MemoryStore's checks): each takes
// effect whole, at the moment it completes, some time after it was made (a
// delay drawn from the seed), so several writes can be in flight at once, and
// a crash loses every one not yet completed. As in SqliteStore, the calls that
// go through its one connection's queue (load, persist, applyBatch,
// recordSnapshot, compactLog) complete in the order they were made, while a
// snapshot capture (VACUUM INTO on a second connection) and chunk reads (the
// snapshot files) do not wait for them. The nemesis can make the next write
// fail (the node then stops with `failed`) or stall.
//
// Snapshots are JSON of the applied state (kv rows, sessions, applied index),
// as MemoryStore's are.

import type { Entry, HardState, SnapshotChunk, SnapshotMeta } from '../../src/raft/index.js';
import type { NodeStore } from '../../src/node/deps.js';
import { StorageError, brokenInvariant, storeClosed } from '../../src/storage/errors.js';
import type { CapturedSnapshot, LoadedState, PersistRequest, SessionRow } from '../../src/storage/types.js';
import type { KvWrite } from '../../src/common/kv-write.js';
import type { EventQueue } from './event-queue.js';
import type { LogVersion } from './invariants.js';
import type { Life } from './sim-clock.js';
import type { SnapshotBody, StoredSession } from '../../src/storage/memory-store.js';

export interface DiskHost {
  readonly queue: EventQueue;
  /** How long the next disk call takes, in time units: one that syncs (a log write) or not. */
  diskDelay(sync: boolean): number;
  trace(text: string): void;
  readonly stats: { persists: number };
}


/**
 * How a call is scheduled: through the connection's queue (a log write, which
 * syncs; a write that does not: SqliteStore's applyBatch skips the fsync; any
 * other), or beside it. Writes can be made to fail.
 */
type CallKind = 'sync' | 'write' | 'queued' | 'capture' | 'read';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SimDisk {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  /** Contiguous; may start before the snapshot (the trailing window kept at compaction). */
  entries: Entry[] = [];
  snapshot: SnapshotMeta | undefined;
  applied = 0;
  readonly #kv = new Map<string, string>();
  readonly #revs = new Map<string, number>();
  readonly #sessions = new Map<string, StoredSession>();
  /** Snapshot bytes by index: captured ones and the installed one. */
  readonly #snapshots = new Map<number, Uint8Array>();
  /** A snapshot being received, chunk by chunk. */
  #incoming: { index: number; term: number; parts: Uint8Array[]; size: number } | undefined;
  readonly #owner: string;
  readonly #host: DiskHost;
  /** The life whose calls are served; calls of any other go nowhere. */
  #life: Life | undefined;
  /** Bumped at a crash: completions of calls made before it are lost. */
  #epoch = 0;
  /** When the last queued call made completes: later ones complete after it. */
  #lastDue = 0;
  #lastCapture = 0;
  #inFlight = 0;
  /** A write failed in this life: nothing after it completes (the node fails and is restarted). */
  #broken = false;
  #failNext = false;
  #delayNext = 0;

  constructor(owner: string, host: DiskHost) {
    this.#owner = owner;
    this.#host = host;
  }

  get empty(): boolean {
    return this.hardState.term === 0 && this.entries.length === 0 && this.snapshot === undefined;
  }

  /** Calls made and not completed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The store handed to the node of `life`; it serves no other life. */
  open(life: Life): NodeStore {
    this.#life = life;
    this.#broken = false;
    let closed = false;
    const call = <T>(kind: CallKind, exec: () => T): Promise<T> => (closed ? Promise.reject(storeClosed()) : this.#call(life, kind, exec));
    return {
      load: () => call('queued', () => this.#load()),
      persist: (rd) => call('sync', () => this.#persist(rd)),
      applyBatch: (writes, sessions, appliedIndex, expired) => call('write', () => this.#applyBatch(writes, sessions, appliedIndex, expired ?? [])),
      captureSnapshot: () => call('capture', () => this.#capture()),
      readSnapshotChunk: (index, offset, length) => call('read', () => this.#readChunk(index, offset, length)),
      recordSnapshot: (meta) => call('queued', () => this.#record(meta)),
      compactLog: (upTo) => call('queued', () => this.#compact(upTo)),
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    };
  }

  /** The process died: every call not completed is lost. Returns how many were. */
  crash(): number {
    const lost = this.#inFlight;
    this.#epoch++;
    this.#inFlight = 0;
    this.#lastDue = 0;
    this.#lastCapture = 0;
    this.#life = undefined;
    return lost;
  }

  /** The next write (persist or applyBatch) fails: its promise rejects and nothing of it is stored. */
  failNextWrite(): void {
    this.#failNext = true;
  }

  /** The next call takes `ms` longer (and every call after it waits for it). */
  delayNext(ms: number): void {
    this.#delayNext += ms;
  }

  clearFaults(): void {
    this.#failNext = false;
    this.#delayNext = 0;
  }

  /** An injected write failure struck in this life. */
  get broken(): boolean {
    return this.#broken;
  }

  #call<T>(life: Life, kind: CallKind, exec: () => T): Promise<T> {
    const q = this.#host.queue;
    q.activity++;
    // A call of a dead process (its last microtasks) reaches no disk.
    if (life !== this.#life || life.dead) return new Promise<T>(() => {});
    const fails = (kind === 'sync' || kind === 'write') && this.#failNext;
    if (fails) this.#failNext = false;
    const delay = q.now + this.#host.diskDelay(kind === 'sync');
    let due: number;
    if (kind === 'capture') {
      // One capture at a time (SnapshotCapture chains them).
      due = this.#lastCapture = Math.max(delay, this.#lastCapture);
    } else if (kind === 'read') {
      due = delay;
    } else {
      due = Math.max(delay + this.#delayNext, this.#lastDue);
      this.#delayNext = 0;
      this.#lastDue = due;
    }
    const epoch = this.#epoch;
    this.#inFlight++;
    return new Promise<T>((resolve, reject) => {
      q.at(due, () => {
        if (epoch !== this.#epoch) return;
        this.#inFlight--;
        if (this.#broken) return;
        if (fails) {
          this.#broken = true;
          this.#host.trace(`${this.#owner} disk write fails (injected)`);
          life.run(() => reject(new StorageError('RAFTKV_ERR_STORAGE_CORRUPT', 'simulated disk failure (injected by the nemesis)')));
          return;
        }
        let value: T;
        try {
          value = exec();
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          life.run(() => reject(err));
          return;
        }
        life.run(() => resolve(value));
      });
    });
  }

  // ---- the calls' effects, at the moment each completes ----

  #load(): LoadedState {
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot && structuredClone(this.snapshot),
      entries: this.entries.slice(),
      applied: this.applied,
      kv: new Map(this.#kv),
      revs: new Map(this.#revs),
      sessions: new Map([...this.#sessions].map(([c, s]) => [c, { ...s }])),
    };
  }

  #persist(rd: PersistRequest): void {
    const notes: string[] = [];
    if (rd.snapshotChunk) notes.push(this.#storeChunk(rd.snapshotChunk));
    const entries = rd.entries ?? [];
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.index !== entries[i - 1]!.index + 1) throw brokenInvariant(`persist: entries are not contiguous after ${entries[i - 1]!.index}`);
    }
    if (rd.snapshot) notes.push(this.#install(rd.snapshot, rd.snapshotKeepsLog === true));
    if (entries.length > 0) {
      const first = entries[0]!.index;
      const tip = this.#tip();
      if (first > tip + 1) throw brokenInvariant(`persist: entries start at ${first}, after a gap from the stored log's end ${tip}`);
      const base = this.entries[0]?.index;
      if (base === undefined || first <= base) {
        this.entries = entries.slice();
      } else {
        this.entries.length = Math.min(this.entries.length, first - base);
        for (const e of entries) this.entries.push(e);
      }
      notes.push(`entries ${first}..${entries.at(-1)!.index}/t${entries.at(-1)!.term}`);
    }
    if (rd.hardState) {
      const hs = rd.hardState;
      this.hardState = { ...hs };
      notes.push(`hs term=${hs.term} vote=${hs.vote || '-'} commit=${hs.commit}`);
    }
    if (notes.length > 0) {
      this.#host.stats.persists++;
      this.#host.trace(`${this.#owner} persisted ${notes.join(', ')}`);
    }
  }

  #storeChunk(c: SnapshotChunk): string {
    let inc = this.#incoming;
    if (c.offset === 0 || !inc || inc.index !== c.meta.index || inc.term !== c.meta.term) {
      inc = this.#incoming = { index: c.meta.index, term: c.meta.term, parts: [], size: 0 };
    }
    if (c.offset !== inc.size) throw brokenInvariant(`persist: snapshot chunk at offset ${c.offset}, but ${inc.size} bytes are stored`);
    inc.parts.push(c.data);
    inc.size += c.data.byteLength;
    return `snapshot chunk ${c.meta.index}@${c.offset}+${c.data.byteLength}${c.last ? ' last' : ''}`;
  }

  #install(meta: SnapshotMeta, keepLog: boolean): string {
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
    const body = JSON.parse(decoder.decode(bytes)) as SnapshotBody;
    if (body.applied !== meta.index) throw brokenInvariant(`the incoming snapshot says applied ${body.applied}, its meta says index ${meta.index}`);
    this.#kv.clear();
    for (const [k, v] of body.kv) this.#kv.set(k, v);
    this.#revs.clear();
    for (const [k, r] of body.revs ?? []) this.#revs.set(k, r);
    this.#sessions.clear();
    for (const [c, s] of body.sessions) this.#sessions.set(c, s);
    this.applied = meta.index;
    this.snapshot = structuredClone(meta);
    this.entries = keepLog ? this.entries.filter((e) => e.index > meta.index) : [];
    this.#snapshots.clear();
    this.#snapshots.set(meta.index, bytes);
    this.#incoming = undefined;
    return `snapshot ${meta.index}/t${meta.term} installed (${keepLog ? 'log kept' : 'log dropped'})`;
  }

  /** Within a batch the last write of a key wins; expiry goes first, so a session written in the batch is live. */
  #applyBatch(writes: readonly KvWrite[], sessions: readonly SessionRow[], appliedIndex: number, expired: readonly string[]): void {
    if (appliedIndex < this.applied) throw brokenInvariant(`applyBatch: applied index would go back from ${this.applied} to ${appliedIndex}`);
    if (appliedIndex > this.#tip()) throw brokenInvariant(`applyBatch: applied index ${appliedIndex} is beyond the stored log (it ends at ${this.#tip()})`);
    for (const w of writes) {
      if (w.value === null) this.#kv.delete(w.key);
      else this.#kv.set(w.key, w.value);
      if (w.value === null || !w.rev) this.#revs.delete(w.key);
      else this.#revs.set(w.key, w.rev);
    }
    for (const c of expired) this.#sessions.delete(c);
    for (const s of sessions) this.#sessions.set(s.client, { seq: s.seq, result: s.result, index: s.index ?? appliedIndex });
    this.applied = appliedIndex;
  }

  #capture(): CapturedSnapshot {
    const body: SnapshotBody = { applied: this.applied, kv: [...this.#kv], revs: [...this.#revs], sessions: [...this.#sessions] };
    const bytes = encoder.encode(JSON.stringify(body));
    this.#snapshots.set(this.applied, bytes);
    const term = this.applied === this.snapshot?.index ? this.snapshot.term : this.#entry(this.applied)?.term;
    this.#host.trace(`${this.#owner} captured its state at ${this.applied} (${bytes.byteLength} bytes)`);
    return { index: this.applied, term, size: bytes.byteLength, path: `sim:${this.#owner}/snapshot-${this.applied}` };
  }

  #readChunk(index: number, offset: number, length: number): Uint8Array {
    const bytes = this.#snapshots.get(index);
    if (!bytes) throw new StorageError('RAFTKV_ERR_SNAPSHOT_UNAVAILABLE', `no snapshot at ${index}`);
    return bytes.slice(offset, offset + length);
  }

  #record(meta: SnapshotMeta): void {
    if (meta.index < (this.snapshot?.index ?? 0)) return;
    if (meta.index > this.applied) throw brokenInvariant(`recordSnapshot: snapshot at ${meta.index} is beyond applied ${this.applied}`);
    const at = this.#entry(meta.index);
    if (at && at.term !== meta.term) throw brokenInvariant(`recordSnapshot: the entry at ${meta.index} has term ${at.term}, the snapshot says ${meta.term}`);
    this.snapshot = structuredClone(meta);
    for (const i of this.#snapshots.keys()) if (i < meta.index) this.#snapshots.delete(i);
  }

  /** Never past the recorded snapshot: the entries after it are the only copy of that history. */
  #compact(upTo: number): void {
    const limit = Math.min(upTo, this.snapshot?.index ?? 0);
    const first = this.entries[0]?.index;
    if (limit <= 0 || first === undefined || first > limit) return;
    this.entries = this.entries.slice(limit - first + 1);
    this.#host.trace(`${this.#owner} compacted its log through ${limit}`);
  }

  #entry(index: number): Entry | undefined {
    const first = this.entries[0]?.index;
    return first === undefined ? undefined : this.entries[index - first];
  }

  /** The last index the disk holds, in its log or its snapshot. */
  #tip(): number {
    return Math.max(this.entries.at(-1)?.index ?? 0, this.snapshot?.index ?? 0);
  }

  describe(): string {
    const h = this.hardState;
    return `term=${h.term} vote=${h.vote || '-'} commit=${h.commit} applied=${this.applied} snapshot=${this.snapshot?.index ?? 0} log=${this.entries[0]?.index ?? '-'}..${this.entries.at(-1)?.index ?? '-'}`;
  }

  /** The log a restart would come back with, judged against entry (index, term). */
  version(index: number, term: number): LogVersion {
    const snap = this.snapshot;
    const last = this.entries.at(-1);
    let lastIndex = snap?.index ?? 0;
    let lastTerm = snap?.term ?? 0;
    if (last && last.index >= lastIndex) {
      lastIndex = last.index;
      lastTerm = last.term;
    }
    const holds = index <= (snap?.index ?? 0) || this.#entry(index)?.term === term;
    return { where: 'disk', lastIndex, lastTerm, holds };
  }
}
