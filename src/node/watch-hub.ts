// Watch (etcd's Watch, Redis's keyspace notifications): every change the
// state machine applies, with its revision (the log index of its entry), kept
// in a bounded window so a watcher that reconnects with `from=` its last
// revision gets exactly what followed it, from any node: every replica applies
// the same entries, so the same revisions carry the same changes everywhere.
//
// What a node cannot serve it says: a `from` older than its window (or than
// its start, or its last snapshot install, before which it saw no single
// change) is answered `compacted`, with the oldest revision it can serve.

import { SYSTEM_PREFIX } from './command-validation.js';
import { NodeError, revisionCompacted, shuttingDown } from '../common/errors.js';
import type { KvWrite } from '../common/kv-write.js';
import { parseHeadKey } from './types/rows.js';

export type WatchEventType = 'put' | 'delete' | 'expire';

export interface WatchEvent {
  type: WatchEventType;
  key: string;
  /** The new value for a put of a string; null otherwise. */
  value: string | null;
  revision: number;
  /** A put of a hash, list, set or sorted set: its type (its value is not repeated in each event: read it at `revision`). */
  valueType?: string;
  /** Redis's name for the change of such a key (hset, lpush, zadd...: src/node/types/events.ts). */
  event?: string;
}

export interface Watcher {
  /** Events of whole revisions, in revision order. */
  send(events: readonly WatchEvent[]): void;
  /** The hub can no longer serve this watcher (a snapshot replaced the state, the node stopped). */
  end(error: NodeError): void;
}

export const DEFAULT_WATCH_HISTORY = 100_000;

export function compactedError(from: number, oldest: number): NodeError {
  return revisionCompacted(`revision ${from} is compacted here; the oldest revision this node can serve from is ${oldest}`, oldest);
}

export class WatchHub {
  readonly #capacity: number;
  /** Events with revision > #floor, in order; the window may start later than #floor + 1 (no change at those indexes). */
  #events: WatchEvent[] = [];
  #head = 0;
  /** Every change after this revision is in #events. */
  #floor: number;
  #last: number;
  readonly #watchers = new Set<{ prefix: string; watcher: Watcher }>();

  constructor(capacity: number, applied: number) {
    this.#capacity = Math.max(1, capacity);
    this.#floor = applied;
    this.#last = applied;
  }

  /** The oldest `from` this node can serve. */
  get oldest(): number {
    return this.#floor;
  }

  /** The last revision applied here. */
  get current(): number {
    return this.#last;
  }

  get watchers(): number {
    return this.#watchers.size;
  }

  /**
   * Follow changes of keys starting with `prefix` after revision `from`:
   * the ones already applied at once, then each new one. Returns the cancel.
   */
  watch(prefix: string, from: number, watcher: Watcher): () => void {
    if (from < this.#floor) throw compactedError(from, this.#floor);
    const entry = { prefix, watcher };
    const past: WatchEvent[] = [];
    for (let i = this.#head; i < this.#events.length; i++) {
      const e = this.#events[i]!;
      if (e.revision > from && e.key.startsWith(prefix)) past.push(e);
    }
    if (past.length > 0) watcher.send(past);
    this.#watchers.add(entry);
    return () => this.#watchers.delete(entry);
  }

  /** The writes of an apply batch up to `last`: their changes become events. */
  applied(writes: readonly KvWrite[], last: number): void {
    this.#last = last;
    const fresh: WatchEvent[] = [];
    for (const w of writes) {
      if (w.rev === undefined) continue;
      const type = w.value !== null ? 'put' : w.expired ? 'expire' : 'delete';
      if (!w.key.startsWith(SYSTEM_PREFIX)) {
        // A string a data type command wrote (RENAME, COPY) carries Redis's name for the change.
        fresh.push(w.event === undefined ? { type, key: w.key, value: w.value, revision: w.rev } : { type, key: w.key, value: w.value, revision: w.rev, event: w.event });
        continue;
      }
      // A typed key's head row: one change of the key per command (its element rows are not events).
      const key = parseHeadKey(w.key);
      if (key === undefined) continue;
      fresh.push(w.value !== null ? { type, key, value: null, revision: w.rev, valueType: w.value, ...(w.event ? { event: w.event } : {}) } : { type, key, value: null, revision: w.rev, ...(w.event ? { event: w.event } : {}) });
    }
    if (fresh.length === 0) return;
    for (const e of fresh) this.#events.push(e);
    this.#trim();
    for (const { prefix, watcher } of this.#watchers) {
      const mine = prefix === '' ? fresh : fresh.filter((e) => e.key.startsWith(prefix));
      if (mine.length > 0) watcher.send(mine);
    }
  }

  /** A snapshot replaced the state at `index`: what changed before it is unknown here. */
  restored(index: number): void {
    this.#events = [];
    this.#head = 0;
    this.#floor = index;
    this.#last = index;
    const err = revisionCompacted(`this node installed a snapshot at revision ${index}; watch again from there (or from another node)`, index);
    for (const { watcher } of this.#watchers) watcher.end(err);
    this.#watchers.clear();
  }

  close(reason: string): void {
    for (const { watcher } of this.#watchers) watcher.end(shuttingDown(reason));
    this.#watchers.clear();
  }

  /** Drop the oldest revisions past the capacity, whole revisions at a time. */
  #trim(): void {
    let live = this.#events.length - this.#head;
    if (live <= this.#capacity) return;
    while (live > this.#capacity) {
      const rev = this.#events[this.#head]!.revision;
      while (this.#head < this.#events.length && this.#events[this.#head]!.revision === rev) {
        this.#head++;
        live--;
      }
      this.#floor = rev;
    }
    if (this.#head > 4096 && this.#head > this.#events.length / 2) {
      this.#events = this.#events.slice(this.#head);
      this.#head = 0;
    }
  }
}
