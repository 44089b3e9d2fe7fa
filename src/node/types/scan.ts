// HSCAN, SSCAN and ZSCAN. Redis answers a small value (one kept compact,
// up to 128 elements) whole, with cursor 0, whatever COUNT says; a larger one
// is paged here by position in the value's order, the cursor being the next
// position. MATCH is Redis's glob (stringmatchlen).

import { storedToBytes } from '../stored-bytes.js';
import { errorOf, syntaxError, type TypedReply } from './reply.js';
import { integerArg } from './numbers.js';

const COMPACT_ELEMENTS = 128;

export interface ScanOptions {
  cursor: number;
  match: Buffer | undefined;
  count: number;
}

/** The cursor argument, parsed before the key is looked up (as Redis does). */
export function scanCursor(s: string): number {
  if (!/^[0-9]+$/.test(s)) throw errorOf('invalid cursor');
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw errorOf('invalid cursor');
  return n;
}

export function scanOptions(cursor: number, args: string[]): ScanOptions {
  let match: Buffer | undefined;
  let count = 10;
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!.toUpperCase();
    const more = i + 1 < args.length;
    if (w === 'COUNT' && more) {
      count = integerArg(args[++i]!);
      if (count < 1) throw syntaxError();
    } else if (w === 'MATCH' && more) {
      match = storedToBytes(args[++i]!);
    } else throw syntaxError();
  }
  return { cursor, match, count };
}

/**
 * One page of a scan over `items` (each one or two replies: member, or field
 * and value); `name` is the element the pattern is matched against.
 */
export function scanPage<T>(items: readonly T[], opts: ScanOptions, name: (t: T) => string, reply: (t: T) => TypedReply[]): TypedReply {
  const all = items.length <= COMPACT_ELEMENTS;
  const start = all ? 0 : opts.cursor;
  const end = all ? items.length : Math.min(items.length, start + opts.count);
  const out: TypedReply[] = [];
  for (let i = start; i < end; i++) {
    const t = items[i]!;
    if (opts.match && !globMatch(opts.match, storedToBytes(name(t)))) continue;
    out.push(...reply(t));
  }
  return [String(end >= items.length ? 0 : end), out];
}

export const EMPTY_SCAN: TypedReply = ['0', []];

/** Redis's glob: * ? [set] [^set] [a-z] and \ escapes, over bytes. */
export function globMatch(p: Buffer, s: Buffer, pi = 0, si = 0): boolean {
  while (pi < p.length) {
    const c = p[pi]!;
    if (c === 0x2a /* * */) {
      while (pi + 1 < p.length && p[pi + 1] === 0x2a) pi++;
      if (pi + 1 === p.length) return true;
      for (let k = si; k <= s.length; k++) if (globMatch(p, s, pi + 1, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === 0x3f /* ? */) {
      pi++;
      si++;
      continue;
    }
    if (c === 0x5b /* [ */) {
      pi++;
      const not = p[pi] === 0x5e;
      if (not) pi++;
      let matched = false;
      while (pi < p.length && p[pi] !== 0x5d) {
        if (p[pi] === 0x5c && pi + 1 < p.length) {
          pi++;
          if (p[pi] === s[si]) matched = true;
        } else if (pi + 2 < p.length && p[pi + 1] === 0x2d) {
          let lo = p[pi]!;
          let hi = p[pi + 2]!;
          if (lo > hi) [lo, hi] = [hi, lo];
          if (s[si]! >= lo && s[si]! <= hi) matched = true;
          pi += 2;
        } else if (p[pi] === s[si]) matched = true;
        pi++;
      }
      if (pi >= p.length) pi--; // an unclosed [ ends the pattern (as in Redis)
      if (not) matched = !matched;
      if (!matched) return false;
      pi++;
      si++;
      continue;
    }
    if (c === 0x5c /* \ */ && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}
