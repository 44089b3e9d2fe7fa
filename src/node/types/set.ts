// Set commands. Which members SPOP takes must be the same on every replica,
// and a replica's iteration order depends on its history (a restarted node
// loads rows in key order): so SPOP ranks members by a hash of the member
// and the set's size, never by position. SRANDMEMBER is a read and may be random.

import { createHash } from 'node:crypto';
import type { TypedCommand } from './command.js';
import type { Keyspace } from './keyspace.js';
import { integerArg } from './numbers.js';
import { errorOf, syntaxError, type TypedReply } from './reply.js';
import { EMPTY_SCAN, scanCursor, scanOptions, scanPage } from './scan.js';
import type { SetValue } from './values.js';

const cmd = (name: string, write: boolean, arity: number, summary: string, since: string, exec: TypedCommand['exec'], keys: [number, number, number] = [1, 1, 1]): TypedCommand => ({
  name, write, arity, keys, flags: write ? ['write', 'denyoom', 'fast'] : ['readonly', 'fast'], group: 'set', summary, since, exec,
});

/** The sets of `keys` (absent keys are empty); WRONGTYPE for any other type. */
function setsOf(ks: Keyspace, keys: readonly string[]): Set<string>[] {
  return keys.map((k) => ks.get(k, 'set')?.set ?? new Set<string>());
}

function inter(sets: Set<string>[]): Set<string> {
  const [smallest, ...rest] = [...sets].sort((a, b) => a.size - b.size);
  const out = new Set<string>();
  for (const m of smallest ?? []) if (rest.every((s) => s.has(m))) out.add(m);
  return out;
}

function union(sets: Set<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const m of s) out.add(m);
  return out;
}

function diff([first, ...rest]: Set<string>[]): Set<string> {
  const out = new Set<string>();
  for (const m of first ?? []) if (!rest.some((s) => s.has(m))) out.add(m);
  return out;
}

function store(ks: Keyspace, dest: string, members: Set<string>): number {
  ks.put(dest, { type: 'set', set: members });
  return members.size;
}

/** Members in an order every replica agrees on, different for each size of the set. */
function replicaOrder(s: SetValue): string[] {
  const seed = String(s.set.size);
  const rank = (m: string): string => createHash('sha1').update(seed).update(m).digest('hex');
  return [...s.set].map((m) => [rank(m), m] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((x) => x[1]);
}

/** Members SRANDMEMBER with a negative count (repeats allowed) answers at most: the reply is built whole in memory. */
const MAX_RANDOM_REPLY = 1 << 20;

function positiveCount(s: string): number {
  const n = integerArg(s, () => errorOf('value is out of range, must be positive'));
  if (n < 0) throw errorOf('value is out of range, must be positive');
  return n;
}

const setOp = (name: string, op: (sets: Set<string>[]) => Set<string>, summary: string): TypedCommand[] => [
  cmd(name, false, -2, summary, '1.0.0', (ks, keys) => [...op(setsOf(ks, keys))], [1, -1, 1]),
  cmd(`${name}store`, true, -3, `${summary} Stores the result in a key.`, '1.0.0', (ks, [dest, ...keys]) => store(ks, dest!, op(setsOf(ks, keys))), [1, -1, 1]),
];

export const SET_COMMANDS: readonly TypedCommand[] = [
  cmd('sadd', true, -3, 'Adds members to a set; returns how many were new.', '1.0.0', (ks, [key, ...members]) => {
    const s = ks.getOrCreate(key!, 'set');
    let n = 0;
    for (const m of members) {
      if (s.set.has(m)) continue;
      s.set.add(m);
      ks.row('set', key!, m, '');
      n++;
    }
    return n;
  }),
  cmd('srem', true, -3, 'Removes members from a set; returns how many existed.', '1.0.0', (ks, [key, ...members]) => {
    const s = ks.get(key!, 'set');
    if (!s) return 0;
    let n = 0;
    for (const m of members) {
      if (!s.set.delete(m)) continue;
      ks.row('set', key!, m, null);
      n++;
    }
    ks.dropIfEmpty(key!);
    return n;
  }),
  cmd('sismember', false, 3, 'Whether a member belongs to a set.', '1.0.0', (ks, [key, m]) => (ks.get(key!, 'set')?.set.has(m!) ? 1 : 0)),
  cmd('smismember', false, -3, 'Whether each member belongs to a set.', '6.2.0', (ks, [key, ...ms]) => {
    const s = ks.get(key!, 'set');
    return ms.map((m) => (s?.set.has(m) ? 1 : 0));
  }),
  cmd('smembers', false, 2, 'Returns every member of a set.', '1.0.0', (ks, [key]) => [...(ks.get(key!, 'set')?.set ?? [])]),
  cmd('scard', false, 2, 'Returns the number of members of a set.', '1.0.0', (ks, [key]) => ks.get(key!, 'set')?.set.size ?? 0),
  cmd('smove', true, 4, 'Moves a member from one set to another.', '1.0.0', (ks, [src, dst, m]) => {
    if (!ks.exists(src!)) return 0;
    const s = ks.get(src!, 'set')!;
    const d = ks.get(dst!, 'set');
    if (!s.set.has(m!)) return 0;
    if (src === dst) return 1;
    s.set.delete(m!);
    ks.row('set', src!, m!, null);
    ks.dropIfEmpty(src!);
    const target = d ?? ks.getOrCreate(dst!, 'set');
    if (!target.set.has(m!)) {
      target.set.add(m!);
      ks.row('set', dst!, m!, '');
    }
    return 1;
  }, [1, 2, 1]),
  cmd('spop', true, -2, 'Removes and returns members of a set (chosen the same way on every replica).', '1.0.0', (ks, [key, count, ...extra]) => {
    if (extra.length > 0) throw syntaxError();
    const n = count === undefined ? undefined : positiveCount(count);
    const s = ks.get(key!, 'set');
    if (!s) return n === undefined ? null : [];
    const taken = replicaOrder(s).slice(0, n ?? 1);
    for (const m of taken) {
      s.set.delete(m);
      ks.row('set', key!, m, null);
    }
    ks.dropIfEmpty(key!);
    return n === undefined ? taken[0]! : taken;
  }),
  cmd('srandmember', false, -2, 'Returns random members of a set.', '1.0.0', (ks, [key, count, ...extra]) => {
    if (extra.length > 0) throw syntaxError();
    const n = count === undefined ? undefined : integerArg(count);
    const s = ks.get(key!, 'set');
    if (!s) return n === undefined ? null : [];
    const members = [...s.set];
    if (n === undefined) return members[Math.floor(Math.random() * members.length)]!;
    if (n < -MAX_RANDOM_REPLY) throw errorOf(`value is out of range: at most ${MAX_RANDOM_REPLY} random members in one reply`);
    if (n < 0) return Array.from({ length: -n }, () => members[Math.floor(Math.random() * members.length)]!);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    return members.slice(0, n);
  }),
  ...setOp('sinter', inter, 'Returns the intersection of sets.'),
  ...setOp('sunion', union, 'Returns the union of sets.'),
  ...setOp('sdiff', diff, 'Returns the difference of the first set and the others.'),
  cmd('sscan', false, -3, 'Iterates over the members of a set.', '2.8.0', (ks, [key, cursor, ...rest]) => {
    const c = scanCursor(cursor!);
    const s = ks.get(key!, 'set');
    if (!s) return EMPTY_SCAN;
    return scanPage([...s.set], scanOptions(c, rest), (m) => m, (m): TypedReply[] => [m]);
  }),
];
