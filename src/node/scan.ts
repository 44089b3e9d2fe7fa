// Key scans over the state machine, in key order: GET /keys and /range,
// KEYS, SCAN. Paging by "the last key returned" rather than by position is
// what gives Redis's SCAN guarantee under concurrent writes: a key present
// for the whole scan sorts after the cursor until it is returned, whatever
// else was added or deleted meanwhile.

import { compareKeys } from './kv-state.js';

/** What a scan reads: every key in order, and which are live (a KvState; the router's read view refuses, naming `reader`). */
export interface ScanSource {
  now(): number;
  has(key: string, now?: number): boolean;
  sortedKeys(reader?: string): readonly string[];
}

export interface ScanRange {
  /** Keys strictly after this one. */
  after?: string;
  /** Keys at or after this one. */
  from?: string;
  /** Keys strictly before this one. */
  to?: string;
  prefix?: string;
  /** Only keys this accepts are returned (they still count as visited). */
  match?: (key: string) => boolean;
  /** Most keys returned. */
  limit: number;
  /** Most keys visited (SCAN's COUNT): the page may then be short, with more to come. */
  visit?: number;
  /** Who scans (KEYS, SCAN), for the refusal of a state that holds only some keys. */
  reader?: string;
}

export interface ScanPage {
  keys: string[];
  /** The last key visited: the next page starts after it. Undefined when the range is done. */
  next: string | undefined;
}

/** The first index in `sorted` whose key is >= `key` (or > it, with `strict`). */
function lowerBound(sorted: readonly string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(sorted[mid]!, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One page of live keys in order. */
export function scanKeys(kv: ScanSource, r: ScanRange, now = kv.now()): ScanPage {
  const sorted = kv.sortedKeys(r.reader);
  let start = 0;
  if (r.after !== undefined) start = lowerBound(sorted, r.after, true);
  if (r.from !== undefined) start = Math.max(start, lowerBound(sorted, r.from, false));
  if (r.prefix) start = Math.max(start, lowerBound(sorted, r.prefix, false));
  const keys: string[] = [];
  const visit = r.visit ?? Infinity;
  let visited = 0;
  for (let i = start; i < sorted.length; i++) {
    const k = sorted[i]!;
    if (r.to !== undefined && compareKeys(k, r.to) >= 0) return { keys, next: undefined };
    if (r.prefix && !k.startsWith(r.prefix)) return { keys, next: undefined };
    if (keys.length >= r.limit || visited >= visit) return { keys, next: sorted[i - 1] ?? r.after };
    visited++;
    if (!kv.has(k, now)) continue;
    if (r.match && !r.match(k)) continue;
    keys.push(k);
  }
  return { keys, next: undefined };
}

/**
 * Redis's glob patterns (KEYS, SCAN MATCH, PSUBSCRIBE): `*`, `?`, `[abc]`,
 * `[^a]`, `[a-z]`, and `\x` for a literal x.
 */
export function globMatcher(pattern: string): (s: string) => boolean {
  if (pattern === '*') return () => true;
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      let cls = '';
      for (let j = 0; j < body.length; j++) {
        const b = body[j]!;
        if (b === '\\' && j + 1 < body.length) cls += escapeRe(body[++j]!);
        else if (b === '-' && j > 0 && j + 1 < body.length) cls += '-';
        else cls += escapeRe(b);
      }
      re += `[${negate ? '^' : ''}${cls}]`;
      i = end;
    } else re += escapeRe(c);
  }
  let compiled: RegExp;
  try {
    compiled = new RegExp(`${re}$`, 'u');
  } catch {
    // A class such as [z-a]: Redis matches nothing with it.
    return () => false;
  }
  return (s) => compiled.test(s);
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}
