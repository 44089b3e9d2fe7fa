// Sorted set commands: members ordered by score, then by their bytes.

import type { TypedCommand } from './command.js';
import type { Keyspace } from './keyspace.js';
import { doubleArg, formatDouble, integerArg, toDouble } from './numbers.js';
import { errorOf, syntaxError, type TypedReply } from './reply.js';
import { EMPTY_SCAN, scanCursor, scanOptions, scanPage } from './scan.js';
import type { SortedSet, ZsetValue } from './values.js';
import { bytesToStored, storedToBytes } from '../stored-bytes.js';

const cmd = (name: string, write: boolean, arity: number, summary: string, since: string, exec: TypedCommand['exec']): TypedCommand => ({
  name, write, arity, keys: [1, 1, 1], flags: write ? ['write', 'denyoom', 'fast'] : ['readonly'], group: 'sorted-set', summary, since, exec,
});

function setScore(ks: Keyspace, key: string, z: ZsetValue, member: string, score: number): void {
  z.z.set(member, score);
  ks.row('zset', key, member, String(score));
}

function removeMember(ks: Keyspace, key: string, z: ZsetValue, member: string): void {
  z.z.delete(member);
  ks.row('zset', key, member, null);
}

function zadd(ks: Keyspace, args: string[], incrOnly: boolean): TypedReply {
  const key = args[0]!;
  let nx = false, xx = false, gt = false, lt = false, ch = false, incr = incrOnly;
  let i = 1;
  for (; i < args.length && !incrOnly; i++) {
    const w = args[i]!.toUpperCase();
    if (w === 'NX') nx = true;
    else if (w === 'XX') xx = true;
    else if (w === 'GT') gt = true;
    else if (w === 'LT') lt = true;
    else if (w === 'CH') ch = true;
    else if (w === 'INCR') incr = true;
    else break;
  }
  const pairs = args.length - i;
  if (pairs % 2 !== 0 || pairs === 0) throw syntaxError();
  if (nx && xx) throw errorOf('XX and NX options at the same time are not compatible');
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw errorOf('GT, LT, and/or NX options at the same time are not compatible');
  if (incr && pairs > 2) throw errorOf('INCR option supports a single increment-element pair');
  const elements: [number, string][] = [];
  for (let j = i; j < args.length; j += 2) elements.push([doubleArg(args[j]!), args[j + 1]!]);
  const existing = ks.get(key, 'zset');
  if (!existing && xx) return incr ? null : 0;
  const z = existing ?? ks.getOrCreate(key, 'zset');
  let added = 0, changed = 0;
  let last: number | null = null;
  for (const [score, member] of elements) {
    const old = z.z.scores.get(member);
    if (old === undefined) {
      if (xx) {
        last = null;
        continue;
      }
      setScore(ks, key, z, member, score);
      added++;
      last = score;
      continue;
    }
    if (nx) {
      last = null;
      continue;
    }
    const next = incr ? old + score : score;
    if (Number.isNaN(next)) {
      ks.dropIfEmpty(key);
      throw errorOf('resulting score is not a number (NaN)');
    }
    if ((gt && next <= old) || (lt && next >= old)) {
      last = null;
      continue;
    }
    last = next;
    if (next !== old) {
      setScore(ks, key, z, member, next);
      changed++;
    }
  }
  ks.dropIfEmpty(key);
  if (incr) return last === null ? null : formatDouble(last);
  return ch ? added + changed : added;
}

interface ScoreBound {
  value: number;
  exclusive: boolean;
}

function scoreBound(s: string): ScoreBound {
  const exclusive = s.startsWith('(');
  const v = toDouble(exclusive ? s.slice(1) : s);
  if (v === undefined) throw errorOf('min or max is not a float');
  return { value: v, exclusive };
}

interface LexBound {
  /** undefined: - or + */
  value: string | undefined;
  inf: -1 | 0 | 1;
  exclusive: boolean;
}

function lexBound(s: string): LexBound {
  if (s === '+') return { value: undefined, inf: 1, exclusive: false };
  if (s === '-') return { value: undefined, inf: -1, exclusive: false };
  const b = storedToBytes(s);
  if (b[0] === 0x28 || b[0] === 0x5b) return { value: bytesToStored(b.subarray(1)), inf: 0, exclusive: b[0] === 0x28 };
  throw errorOf('min or max not valid string range item');
}

/** Ranks [from, to) of the members within score bounds. */
function scoreRanks(z: SortedSet, min: ScoreBound, max: ScoreBound): [number, number] {
  return [z.firstAbove(min.value, !min.exclusive), z.firstAbove(max.value, max.exclusive)];
}

function lexRanks(z: SortedSet, min: LexBound, max: LexBound): [number, number] {
  const from = min.inf === -1 ? 0 : min.inf === 1 ? z.size : z.firstAfterMember(min.value!, !min.exclusive);
  const to = max.inf === 1 ? z.size : max.inf === -1 ? 0 : z.firstAfterMember(max.value!, max.exclusive);
  return [from, Math.max(from, to)];
}

function withScores(z: SortedSet, members: string[], scores: boolean): TypedReply[] {
  if (!scores) return members;
  const out: TypedReply[] = [];
  for (const m of members) out.push(m, formatDouble(z.scores.get(m)!));
  return out;
}

/** Ranks of an index range (Redis's start/stop with negatives), or undefined when empty. */
function indexRanks(size: number, start: number, stop: number): [number, number] | undefined {
  if (start < 0) start = size + start;
  if (stop < 0) stop = size + stop;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return undefined;
  if (stop >= size) stop = size - 1;
  return [start, stop];
}

type RangeKind = 'index' | 'score' | 'lex';

interface RangeRequest {
  kind: RangeKind;
  rev: boolean;
  withScores: boolean;
  offset: number;
  count: number;
  hasLimit: boolean;
}

/** ZRANGE and its older forms over `key` with bounds `a`, `b` (already swapped for REV). */
function zrange(ks: Keyspace, key: string, a: string, b: string, r: RangeRequest): TypedReply {
  let pick: (z: SortedSet) => string[];
  if (r.kind === 'index') {
    const start = integerArg(a);
    const stop = integerArg(b);
    pick = (z) => {
      const ranks = indexRanks(z.size, start, stop);
      if (!ranks) return [];
      if (!r.rev) return z.slice(ranks[0], ranks[1]);
      return z.slice(z.size - 1 - ranks[1], z.size - 1 - ranks[0]).reverse();
    };
  } else {
    let from: (z: SortedSet) => [number, number];
    if (r.kind === 'score') {
      const min = scoreBound(a);
      const max = scoreBound(b);
      from = (z) => scoreRanks(z, min, max);
    } else {
      const min = lexBound(a);
      const max = lexBound(b);
      from = (z) => lexRanks(z, min, max);
    }
    pick = (z) => {
      const [lo, hi] = from(z);
      if (hi <= lo || r.offset < 0) return [];
      const all = z.slice(lo, hi - 1);
      if (r.rev) all.reverse();
      return all.slice(r.offset, r.count < 0 ? undefined : r.offset + r.count);
    };
  }
  const z = ks.get(key, 'zset');
  if (!z) return [];
  return withScores(z.z, pick(z.z), r.withScores);
}

function parseRangeOptions(args: string[], r: RangeRequest, allowed: { kind: boolean; rev: boolean }): void {
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!.toUpperCase();
    if (w === 'WITHSCORES') r.withScores = true;
    else if (w === 'LIMIT' && i + 2 < args.length) {
      r.offset = integerArg(args[i + 1]!);
      r.count = integerArg(args[i + 2]!);
      r.hasLimit = true;
      i += 2;
    } else if (allowed.kind && w === 'BYSCORE' && r.kind === 'index') r.kind = 'score';
    else if (allowed.kind && w === 'BYLEX' && r.kind === 'index') r.kind = 'lex';
    else if (allowed.rev && w === 'REV') r.rev = true;
    else throw syntaxError();
  }
}

function request(kind: RangeKind, rev: boolean): RangeRequest {
  return { kind, rev, withScores: false, offset: 0, count: -1, hasLimit: false };
}

function pop(ks: Keyspace, key: string, count: string | undefined, max: boolean): TypedReply {
  let n = 1;
  if (count !== undefined) {
    n = integerArg(count, () => errorOf('value is out of range, must be positive'));
    if (n < 0) throw errorOf('value is out of range, must be positive');
  }
  const z = ks.get(key, 'zset');
  if (!z) return [];
  const out: TypedReply[] = [];
  for (let i = 0; i < n && z.z.size > 0; i++) {
    const m = z.z.at(max ? z.z.size - 1 : 0);
    out.push(m, formatDouble(z.z.scores.get(m)!));
    removeMember(ks, key, z, m);
  }
  ks.dropIfEmpty(key);
  return out;
}

function popCommand(name: string, max: boolean): TypedCommand {
  return cmd(name, true, -2, `Removes and returns the members with the ${max ? 'highest' : 'lowest'} scores.`, '5.0.0', (ks, [key, count, ...extra]) => {
    if (extra.length > 0) throw syntaxError();
    return pop(ks, key!, count, max);
  });
}

/** ZCOUNT, ZLEXCOUNT: the bounds are parsed (errors first), then the ranks between them counted. */
function countCommand(name: string, summary: string, since: string, bounds: (a: string, b: string) => (z: SortedSet) => [number, number]): TypedCommand {
  return cmd(name, false, 4, summary, since, (ks, [key, a, b]) => {
    const ranks = bounds(a!, b!);
    const z = ks.get(key!, 'zset');
    if (!z) return 0;
    const [lo, hi] = ranks(z.z);
    return Math.max(0, hi - lo);
  });
}

function rank(ks: Keyspace, key: string, member: string, rev: boolean, withScore: string | undefined): TypedReply {
  if (withScore !== undefined) throw syntaxError();
  const z = ks.get(key, 'zset');
  const r = z?.z.rank(member);
  if (r === undefined) return null;
  return rev ? z!.z.size - 1 - r : r;
}

function byScore(name: string, rev: boolean): TypedCommand {
  return cmd(name, false, -4, `Returns members within a range of scores${rev ? ', highest first' : ''}.`, rev ? '2.2.0' : '1.0.5', (ks, [key, a, b, ...rest]) => {
    const r = request('score', rev);
    parseRangeOptions(rest, r, { kind: false, rev: false });
    return zrange(ks, key!, rev ? b! : a!, rev ? a! : b!, r);
  });
}

export const ZSET_COMMANDS: readonly TypedCommand[] = [
  cmd('zadd', true, -4, 'Adds members to a sorted set or updates their scores (NX, XX, GT, LT, CH, INCR).', '1.2.0', (ks, args) => zadd(ks, args, false)),
  cmd('zincrby', true, 4, "Increments a member's score.", '1.2.0', (ks, [key, by, m]) => zadd(ks, [key!, by!, m!], true)),
  cmd('zrem', true, -3, 'Removes members of a sorted set; returns how many existed.', '1.2.0', (ks, [key, ...members]) => {
    const z = ks.get(key!, 'zset');
    if (!z) return 0;
    let n = 0;
    for (const m of members) {
      if (!z.z.scores.has(m)) continue;
      removeMember(ks, key!, z, m);
      n++;
    }
    ks.dropIfEmpty(key!);
    return n;
  }),
  cmd('zscore', false, 3, 'Returns the score of a member.', '1.2.0', (ks, [key, m]) => {
    const s = ks.get(key!, 'zset')?.z.scores.get(m!);
    return s === undefined ? null : formatDouble(s);
  }),
  cmd('zmscore', false, -3, 'Returns the scores of members.', '6.2.0', (ks, [key, ...ms]) => {
    const z = ks.get(key!, 'zset');
    return ms.map((m) => {
      const s = z?.z.scores.get(m);
      return s === undefined ? null : formatDouble(s);
    });
  }),
  cmd('zcard', false, 2, 'Returns the number of members of a sorted set.', '1.2.0', (ks, [key]) => ks.get(key!, 'zset')?.z.size ?? 0),
  countCommand('zcount', 'Counts the members within a range of scores.', '2.0.0', (a, b) => {
    const [min, max] = [scoreBound(a), scoreBound(b)];
    return (z) => scoreRanks(z, min, max);
  }),
  countCommand('zlexcount', 'Counts the members within a range of members (one score).', '2.8.9', (a, b) => {
    const [min, max] = [lexBound(a), lexBound(b)];
    return (z) => lexRanks(z, min, max);
  }),
  cmd('zrange', false, -4, 'Returns members by rank, score (BYSCORE) or member (BYLEX), REV, LIMIT, WITHSCORES.', '1.2.0', (ks, [key, a, b, ...rest]) => {
    const r = request('index', false);
    parseRangeOptions(rest, r, { kind: true, rev: true });
    if (r.hasLimit && r.kind === 'index') throw errorOf('syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX');
    if (r.withScores && r.kind === 'lex') throw errorOf('syntax error, WITHSCORES not supported in combination with BYLEX');
    const swap = r.rev && r.kind !== 'index';
    return zrange(ks, key!, swap ? b! : a!, swap ? a! : b!, r);
  }),
  cmd('zrevrange', false, -4, 'Returns members by rank, highest score first.', '1.2.0', (ks, [key, a, b, ...rest]) => {
    const r = request('index', true);
    if (rest.length > 1 || (rest.length === 1 && rest[0]!.toUpperCase() !== 'WITHSCORES')) throw syntaxError();
    r.withScores = rest.length === 1;
    return zrange(ks, key!, a!, b!, r);
  }),
  byScore('zrangebyscore', false),
  byScore('zrevrangebyscore', true),
  cmd('zrangebylex', false, -4, 'Returns members within a range of members (one score).', '2.8.9', (ks, [key, a, b, ...rest]) => {
    const r = request('lex', false);
    parseRangeOptions(rest, r, { kind: false, rev: false });
    if (r.withScores) throw syntaxError();
    return zrange(ks, key!, a!, b!, r);
  }),
  cmd('zrank', false, -3, 'Returns the rank of a member, lowest score first.', '2.0.0', (ks, [key, m, w]) => rank(ks, key!, m!, false, w)),
  cmd('zrevrank', false, -3, 'Returns the rank of a member, highest score first.', '2.0.0', (ks, [key, m, w]) => rank(ks, key!, m!, true, w)),
  popCommand('zpopmin', false),
  popCommand('zpopmax', true),
  cmd('zremrangebyscore', true, 4, 'Removes the members within a range of scores.', '1.2.0', (ks, [key, a, b]) => {
    const min = scoreBound(a!);
    const max = scoreBound(b!);
    const z = ks.get(key!, 'zset');
    if (!z) return 0;
    const [lo, hi] = scoreRanks(z.z, min, max);
    if (hi <= lo) return 0;
    for (const m of z.z.slice(lo, hi - 1)) removeMember(ks, key!, z, m);
    ks.dropIfEmpty(key!);
    return hi - lo;
  }),
  cmd('zremrangebyrank', true, 4, 'Removes the members within a range of ranks.', '2.0.0', (ks, [key, a, b]) => {
    const start = integerArg(a!);
    const stop = integerArg(b!);
    const z = ks.get(key!, 'zset');
    if (!z) return 0;
    const ranks = indexRanks(z.z.size, start, stop);
    if (!ranks) return 0;
    const members = z.z.slice(ranks[0], ranks[1]);
    for (const m of members) removeMember(ks, key!, z, m);
    ks.dropIfEmpty(key!);
    return members.length;
  }),
  cmd('zscan', false, -3, 'Iterates over the members and scores of a sorted set.', '2.8.0', (ks, [key, cursor, ...rest]) => {
    const c = scanCursor(cursor!);
    const z = ks.get(key!, 'zset');
    if (!z) return EMPTY_SCAN;
    return scanPage(z.z.slice(0, z.z.size - 1), scanOptions(c, rest), (m) => m, (m): TypedReply[] => [m, formatDouble(z.z.scores.get(m)!)]);
  }),
];

