// The in-memory values of the four data types. Each keeps what its commands
// need to be fast: hashes and sets are Maps/Sets, a list is an array with the
// stored position of its first element (so a push or pop changes one row),
// and a sorted set keeps its members in (score, member bytes) order.

import { isBinaryForm, storedToBytes } from '../stored-bytes.js';

export type TypeName = 'hash' | 'list' | 'set' | 'zset';

export interface HashValue {
  type: 'hash';
  map: Map<string, string>;
}

export interface SetValue {
  type: 'set';
  set: Set<string>;
}

export interface ListValue {
  type: 'list';
  /** Stored position of items[0]; items[i] is stored at head + i. */
  head: number;
  items: string[];
}

export interface ZsetValue {
  type: 'zset';
  z: SortedSet;
}

export type TypedValue = HashValue | SetValue | ListValue | ZsetValue;

export function emptyValue(type: TypeName): TypedValue {
  switch (type) {
    case 'hash':
      return { type, map: new Map() };
    case 'set':
      return { type, set: new Set() };
    case 'list':
      return { type, head: 0, items: [] };
    case 'zset':
      return { type, z: new SortedSet() };
  }
}

export function sizeOf(v: TypedValue): number {
  switch (v.type) {
    case 'hash':
      return v.map.size;
    case 'set':
      return v.set.size;
    case 'list':
      return v.items.length;
    case 'zset':
      return v.z.size;
  }
}

/** UTF-16 code units re-ordered as code points, so text compares as its UTF-8 bytes do. */
function codePointOrder(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return c + 0x2000;
  if (c >= 0xe000) return c - 0x800;
  return c;
}

/** Members compared as Redis does: by their bytes (memcmp, then length). */
export function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  if (isBinaryForm(a) || isBinaryForm(b)) return Buffer.compare(storedToBytes(a), storedToBytes(b));
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrder(x) - codePointOrder(y);
  }
  return a.length - b.length;
}

/** Members by score, then by bytes; a score of each member by name. */
export class SortedSet {
  readonly scores = new Map<string, number>();
  #order: string[] = [];

  get size(): number {
    return this.#order.length;
  }

  /** Members from rank `start` to `stop` inclusive (both within bounds). */
  slice(start: number, stop: number): string[] {
    return this.#order.slice(start, stop + 1);
  }

  at(rank: number): string {
    return this.#order[rank]!;
  }

  /** Set a member's score (adding it); true when it was new. */
  set(member: string, score: number): boolean {
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (old === score) return false;
      this.#order.splice(this.#find(member, old), 1);
    }
    this.scores.set(member, score);
    this.#order.splice(this.#find(member, score), 0, member);
    return old === undefined;
  }

  delete(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.#order.splice(this.#find(member, old), 1);
    this.scores.delete(member);
    return true;
  }

  rank(member: string): number | undefined {
    const score = this.scores.get(member);
    return score === undefined ? undefined : this.#find(member, score);
  }

  /** The first rank whose score is above `min` (or at it, when inclusive). */
  firstAbove(min: number, inclusive: boolean): number {
    return this.#firstNotBefore((m) => {
      const s = this.scores.get(m)!;
      return inclusive ? s < min : s <= min;
    });
  }

  /** The first rank whose member is after `min` (or at it, when inclusive), for sets whose members share one score. */
  firstAfterMember(min: string, inclusive: boolean): number {
    return this.#firstNotBefore((m) => {
      const c = compareMembers(m, min);
      return inclusive ? c < 0 : c <= 0;
    });
  }

  /** The first rank whose member is not `before` (which holds for a prefix of the order). */
  #firstNotBefore(before: (member: string) => boolean): number {
    let lo = 0;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.#order[mid]!)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compare(m: string, s: number, member: string, score: number): number {
    return s !== score ? (s < score ? -1 : 1) : compareMembers(m, member);
  }

  /** Where `member` with `score` is, or would go, in the order (its own entry may hold an old score). */
  #find(member: string, score: number): number {
    return this.#firstNotBefore((m) => m !== member && this.#compare(m, this.scores.get(m)!, member, score) < 0);
  }
}
