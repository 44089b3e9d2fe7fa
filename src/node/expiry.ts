// Key expiry (Redis's TTLs, etcd's leases in their simplest form), kept
// deterministic under replication:
//
// - A deadline is an absolute time in milliseconds. A relative TTL (EX, PX,
//   `ttl` on POST /key) becomes one when it is applied, from the time the
//   leader stamped on its log entry (Envelope.t), so every replica computes
//   the same deadline, and a leader change keeps it.
// - The state machine's own clock is the largest stamp it has applied: a key
//   whose deadline has passed by that time is absent to every command, and the
//   command that meets it deletes it (an `expire` event), the same way on
//   every replica. The leader also proposes `reap` entries for keys that are
//   due, in batches, so expired keys do not linger until touched.
// - Reads use max(the local clock, the state machine's clock): a key is never
//   served after its deadline by the local clock, at any read level.
//
// Keys are expired by their name, whatever their value's type.

import { SYSTEM_PREFIX } from './command-validation.js';

/** A time to live as a command carries it: relative to the entry's stamp, or absolute (both milliseconds). */
export type Ttl = { in: number } | { at: number };

/** The stored form of a deadline: a system key beside the key (only keys with a TTL pay for it). */
export const EXPIRY_PREFIX = `${SYSTEM_PREFIX}exp/`;
/** The state machine's clock, stored with each apply batch so a restarted replica resumes at the same time. */
export const CLOCK_KEY = `${SYSTEM_PREFIX}clock`;

/** The deadline a TTL stands for, applied at `now`. */
export function deadlineOf(ttl: Ttl, now: number): number {
  return 'at' in ttl ? ttl.at : now + ttl.in;
}

/**
 * Every deadline, by key, and a min-heap of (deadline, key) to find the due
 * ones without scanning all of them. The heap is lazy: an entry whose key
 * got another deadline (or none) is dropped when it comes up.
 */
export class ExpiryIndex {
  readonly #deadlines = new Map<string, number>();
  #heapAt: number[] = [];
  #heapKey: string[] = [];

  get size(): number {
    return this.#deadlines.size;
  }

  get(key: string): number | undefined {
    return this.#deadlines.get(key);
  }

  set(key: string, at: number): void {
    this.#deadlines.set(key, at);
    this.#push(at, key);
    // Stale heap entries are dropped as they surface; a heap far larger than the index is rebuilt.
    if (this.#heapAt.length > 64 && this.#heapAt.length > 4 * this.#deadlines.size) this.#rebuild();
  }

  delete(key: string): boolean {
    return this.#deadlines.delete(key);
  }

  clear(): void {
    this.#deadlines.clear();
    this.#heapAt = [];
    this.#heapKey = [];
  }

  /** Keys due at `now` (deadline <= now), at most `max`, earliest first. */
  due(now: number, max: number): string[] {
    const out: string[] = [];
    const skipped: [number, string][] = [];
    while (out.length < max && this.#heapAt.length > 0 && this.#heapAt[0]! <= now) {
      const at = this.#heapAt[0]!;
      const key = this.#heapKey[0]!;
      this.#pop();
      if (this.#deadlines.get(key) !== at) continue;
      out.push(key);
      skipped.push([at, key]);
    }
    // Still live until a reap entry deletes them: back in the heap.
    for (const [at, key] of skipped) this.#push(at, key);
    return out;
  }

  /** How many keys are due at `now` (for an exact DBSIZE). */
  countDue(now: number): number {
    if (this.#heapAt.length === 0 || this.#heapAt[0]! > now) return 0;
    let n = 0;
    for (const at of this.#deadlines.values()) if (at <= now) n++;
    return n;
  }

  entries(): IterableIterator<[string, number]> {
    return this.#deadlines.entries();
  }

  #rebuild(): void {
    this.#heapAt = [];
    this.#heapKey = [];
    for (const [k, at] of this.#deadlines) this.#push(at, k);
  }

  #push(at: number, key: string): void {
    const a = this.#heapAt;
    const k = this.#heapKey;
    let i = a.length;
    a.push(at);
    k.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= at) break;
      a[i] = a[p]!;
      k[i] = k[p]!;
      i = p;
    }
    a[i] = at;
    k[i] = key;
  }

  #pop(): void {
    const a = this.#heapAt;
    const k = this.#heapKey;
    const lastAt = a.pop()!;
    const lastKey = k.pop()!;
    const n = a.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]! < a[l]! ? r : l;
      if (a[c]! >= lastAt) break;
      a[i] = a[c]!;
      k[i] = k[c]!;
      i = c;
    }
    a[i] = lastAt;
    k[i] = lastKey;
  }
}
