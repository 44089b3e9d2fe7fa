// A simulated node's disk: what survives a crash. Writes are applied whole
// (one ready at a time, atomically); the node decides when a write completes.

import type { Entry, HardState, PersistedState, SnapshotChunk, SnapshotMeta } from '../../src/raft/index.js';
import type { LogVersion } from './invariants.js';

export class SimDisk {
  hardState: HardState = { term: 0, vote: '', commit: 0 };
  /** Contiguous; may start before the snapshot (the trailing window kept at compaction). */
  entries: Entry[] = [];
  snapshot: { meta: SnapshotMeta; bytes: Uint8Array } | undefined;
  /** Chunks of a snapshot being received. */
  #incoming: { meta: SnapshotMeta; parts: Uint8Array[]; size: number } | undefined;
  readonly #owner: string;

  constructor(owner: string) {
    this.#owner = owner;
  }

  get empty(): boolean {
    return this.hardState.term === 0 && this.entries.length === 0 && this.snapshot === undefined;
  }

  /** What a restart reads back: the state machine restarts from the snapshot, so `applied` is its index. */
  persistedState(): PersistedState | undefined {
    if (this.empty) return undefined;
    const snapshot = this.snapshot?.meta;
    return { hardState: { ...this.hardState }, snapshot, entries: this.entries.slice(), applied: snapshot?.index ?? 0 };
  }

  describe(): string {
    const h = this.hardState;
    return `term=${h.term} vote=${h.vote || '-'} commit=${h.commit} snapshot=${this.snapshot?.meta.index ?? 0} log=${this.entries[0]?.index ?? '-'}..${this.entries.at(-1)?.index ?? '-'}`;
  }

  storeChunk(c: SnapshotChunk): string {
    let inc = this.#incoming;
    if (c.offset === 0 || !inc || inc.meta.index !== c.meta.index || inc.meta.term !== c.meta.term) {
      inc = this.#incoming = { meta: structuredClone(c.meta), parts: [], size: 0 };
    }
    if (c.offset !== inc.size) throw new Error(`${this.#owner}: snapshot chunk at offset ${c.offset}, but ${inc.size} bytes are stored`);
    inc.parts.push(c.data.slice());
    inc.size += c.data.byteLength;
    return `snapshot chunk ${c.meta.index}@${c.offset}+${c.data.byteLength}${c.last ? ' last' : ''}`;
  }

  /** Make the received snapshot `meta` the disk's snapshot; returns its bytes. */
  installSnapshot(meta: SnapshotMeta, keepLog: boolean): Uint8Array {
    const inc = this.#incoming;
    if (!inc || inc.meta.index !== meta.index || inc.size !== meta.size) {
      throw new Error(`${this.#owner}: installing snapshot ${meta.index} (${meta.size} bytes) but ${inc ? `${inc.size} bytes of snapshot ${inc.meta.index}` : 'nothing'} was received`);
    }
    const bytes = new Uint8Array(inc.size);
    let at = 0;
    for (const p of inc.parts) {
      bytes.set(p, at);
      at += p.byteLength;
    }
    this.snapshot = { meta: structuredClone(meta), bytes };
    this.entries = keepLog ? this.entries.filter((e) => e.index > meta.index) : [];
    this.#incoming = undefined;
    return bytes;
  }

  /** Store entries, replacing any stored entry at the same or a higher index. */
  writeEntries(entries: Entry[]): string {
    const first = entries[0]!.index;
    const base = this.entries.length > 0 ? this.entries[0]!.index : (this.snapshot?.meta.index ?? 0) + 1;
    if (first < base) throw new Error(`${this.#owner}: writing entry ${first} before the stored log start ${base}`);
    if (first > base + this.entries.length) throw new Error(`${this.#owner}: writing entry ${first} leaves a gap after ${base + this.entries.length - 1}`);
    this.entries.length = first - base;
    for (const e of entries) this.entries.push(e);
    return `entries ${first}..${entries.at(-1)!.index}/t${entries.at(-1)!.term}`;
  }

  writeHardState(hs: HardState): string {
    this.hardState = { ...hs };
    return `hs term=${hs.term} vote=${hs.vote || '-'} commit=${hs.commit}`;
  }

  /** The node captured its state machine as `bytes` at `meta.index`: keep it, and drop the log before `keepFrom`. */
  storeCaptured(meta: SnapshotMeta, bytes: Uint8Array, keepFrom: number): void {
    this.snapshot = { meta: structuredClone(meta), bytes };
    if (this.entries.length > 0 && this.entries[0]!.index < keepFrom) this.entries = this.entries.filter((e) => e.index >= keepFrom);
  }

  /** The log a restart would come back with, judged against entry (index, term). */
  version(index: number, term: number): LogVersion {
    const snap = this.snapshot?.meta;
    const last = this.entries.at(-1);
    let lastIndex = snap?.index ?? 0;
    let lastTerm = snap?.term ?? 0;
    if (last && last.index >= lastIndex) {
      lastIndex = last.index;
      lastTerm = last.term;
    }
    const first = this.entries[0]?.index ?? Infinity;
    const holds = index <= (snap?.index ?? 0) || (index >= first && this.entries[index - first]?.term === term);
    return { where: 'disk', lastIndex, lastTerm, holds };
  }
}
