// List commands. A list's elements are stored at consecutive positions
// (head, head + 1, ...): a push or pop at either end, and LSET, change one
// row; LINSERT and LREM renumber the elements after the change, as Redis
// moves them in memory.

import type { TypedCommand } from './command.js';
import type { Keyspace } from './keyspace.js';
import { integerArg, toDouble } from './numbers.js';
import { NIL_ARRAY, OK_STATUS, errorOf, noSuchKey, syntaxError, type TypedReply } from './reply.js';
import type { ListValue } from './values.js';

const cmd = (name: string, write: boolean, arity: number, summary: string, since: string, exec: TypedCommand['exec'], keys: [number, number, number] = [1, 1, 1]): TypedCommand => ({
  name, write, arity, keys, flags: write ? ['write', 'denyoom', 'fast'] : ['readonly'], group: 'list', summary, since, exec,
});

type End = 'left' | 'right';

function push(ks: Keyspace, key: string, l: ListValue, end: End, v: string): void {
  if (end === 'left') {
    l.head--;
    l.items.unshift(v);
    ks.listRow(key, l.head, v);
  } else {
    l.items.push(v);
    ks.listRow(key, l.head + l.items.length - 1, v);
  }
}

function popOne(ks: Keyspace, key: string, l: ListValue, end: End): string {
  if (end === 'left') {
    ks.listRow(key, l.head, null);
    l.head++;
    return l.items.shift()!;
  }
  const v = l.items.pop()!;
  ks.listRow(key, l.head + l.items.length, null);
  return v;
}

/** Rows of positions `from` on after a change in the middle (the list was `oldLength` long). */
function rewriteFrom(ks: Keyspace, key: string, l: ListValue, from: number, oldLength: number): void {
  for (let i = from; i < l.items.length; i++) ks.listRow(key, l.head + i, l.items[i]!);
  for (let i = l.items.length; i < oldLength; i++) ks.listRow(key, l.head + i, null);
}

function pushCommand(name: string, end: End, onlyIfExists: boolean): TypedCommand {
  const summary = `Prepends or appends elements (${end})${onlyIfExists ? ' only when the list exists' : ''}; returns the new length.`;
  return cmd(name, true, -3, summary, onlyIfExists ? '2.2.0' : '1.0.0', (ks, [key, ...values]) => {
    const existing = ks.get(key!, 'list');
    if (!existing && onlyIfExists) return 0;
    const l = existing ?? ks.getOrCreate(key!, 'list');
    for (const v of values) push(ks, key!, l, end, v);
    ks.listPushed(key!);
    return l.items.length;
  });
}

function positiveCount(s: string): number {
  const n = integerArg(s, () => errorOf('value is out of range, must be positive'));
  if (n < 0) throw errorOf('value is out of range, must be positive');
  return n;
}

function popCommand(name: string, end: End): TypedCommand {
  return cmd(name, true, -2, `Removes and returns elements from the ${end} of a list.`, '1.0.0', (ks, [key, count, ...extra]) => {
    if (extra.length > 0) throw errorOf(`wrong number of arguments for '${name}' command`);
    const n = count === undefined ? undefined : positiveCount(count);
    const l = ks.get(key!, 'list');
    if (!l) return n === undefined ? null : NIL_ARRAY;
    if (n === undefined) {
      const v = popOne(ks, key!, l, end);
      ks.dropIfEmpty(key!);
      return v;
    }
    const out: TypedReply[] = [];
    while (out.length < n && l.items.length > 0) out.push(popOne(ks, key!, l, end));
    ks.dropIfEmpty(key!);
    return out;
  });
}

function whereArg(s: string): End {
  const w = s.toUpperCase();
  if (w === 'LEFT') return 'left';
  if (w === 'RIGHT') return 'right';
  throw syntaxError();
}

/** Redis's list index: negative counts from the end; undefined when outside. */
function indexOf(l: ListValue, index: number): number | undefined {
  const i = index < 0 ? l.items.length + index : index;
  return i >= 0 && i < l.items.length ? i : undefined;
}

function move(ks: Keyspace, src: string, dst: string, from: End, to: End): TypedReply {
  const s = ks.get(src, 'list');
  if (!s) return null;
  const d = ks.get(dst, 'list');
  const v = popOne(ks, src, s, from);
  // The source goes only after the push: it may be the destination (a rotation).
  const target = src === dst ? s : (d ?? ks.getOrCreate(dst, 'list'));
  push(ks, dst, target, to, v);
  ks.dropIfEmpty(src);
  ks.listPushed(dst);
  return v;
}

/**
 * The timeout of a blocking command, in seconds (0: forever), after its other
 * arguments were checked as Redis checks them before it blocks.
 */
export function blockingArgs(name: string, args: readonly string[]): number {
  if (name === 'blmove') {
    whereArg(args[2]!);
    whereArg(args[3]!);
  }
  return blockingTimeout(args[args.length - 1]!);
}

function blockingTimeout(s: string): number {
  const t = toDouble(s);
  if (t === undefined || !Number.isFinite(t)) throw errorOf('timeout is not a float or out of range');
  if (t < 0) throw errorOf('timeout is negative');
  return t;
}

function blockingPop(name: string, end: End): TypedCommand {
  return {
    ...cmd(name, true, -3, `Pops from the ${end} of the first non-empty list, waiting for one up to a timeout.`, '2.0.0', (ks, args) => {
      blockingTimeout(args[args.length - 1]!);
      for (const key of args.slice(0, -1)) {
        const l = ks.get(key, 'list');
        if (!l) continue;
        const v = popOne(ks, key, l, end);
        ks.dropIfEmpty(key);
        return [key, v];
      }
      return NIL_ARRAY;
    }, [1, -2, 1]),
    blocking: true,
  };
}

export const LIST_COMMANDS: readonly TypedCommand[] = [
  pushCommand('lpush', 'left', false),
  pushCommand('rpush', 'right', false),
  pushCommand('lpushx', 'left', true),
  pushCommand('rpushx', 'right', true),
  popCommand('lpop', 'left'),
  popCommand('rpop', 'right'),
  cmd('llen', false, 2, 'Returns the length of a list.', '1.0.0', (ks, [key]) => ks.get(key!, 'list')?.items.length ?? 0),
  cmd('lrange', false, 4, 'Returns a range of elements of a list.', '1.0.0', (ks, [key, a, b]) => {
    let start = integerArg(a!);
    let stop = integerArg(b!);
    const l = ks.get(key!, 'list');
    if (!l) return [];
    const n = l.items.length;
    if (start < 0) start = Math.max(0, n + start);
    if (stop < 0) stop = n + stop;
    if (start > stop || start >= n) return [];
    return l.items.slice(start, Math.min(stop, n - 1) + 1);
  }),
  cmd('lindex', false, 3, 'Returns an element of a list by its index.', '1.0.0', (ks, [key, index]) => {
    const l = ks.get(key!, 'list');
    if (!l) return null;
    const i = indexOf(l, integerArg(index!));
    return i === undefined ? null : l.items[i]!;
  }),
  cmd('lset', true, 4, 'Sets the element of a list at an index.', '1.0.0', (ks, [key, index, value]) => {
    const l = ks.get(key!, 'list');
    if (!l) throw noSuchKey();
    const i = indexOf(l, integerArg(index!));
    if (i === undefined) throw errorOf('index out of range');
    l.items[i] = value!;
    ks.listRow(key!, l.head + i, value!);
    return OK_STATUS;
  }),
  cmd('lrem', true, 4, 'Removes elements equal to a value (count > 0 from the head, < 0 from the tail, 0 all).', '1.0.0', (ks, [key, count, value]) => {
    const n = integerArg(count!);
    const l = ks.get(key!, 'list');
    if (!l) return 0;
    const old = l.items.length;
    const limit = n === 0 ? Infinity : Math.abs(n);
    const drop = new Set<number>();
    if (n >= 0) for (let i = 0; i < old && drop.size < limit; i++) l.items[i] === value && drop.add(i);
    else for (let i = old - 1; i >= 0 && drop.size < limit; i--) l.items[i] === value && drop.add(i);
    if (drop.size === 0) return 0;
    const first = Math.min(...drop);
    l.items = l.items.filter((_, i) => !drop.has(i));
    rewriteFrom(ks, key!, l, first, old);
    ks.dropIfEmpty(key!);
    return drop.size;
  }),
  cmd('ltrim', true, 4, 'Keeps only a range of elements of a list.', '1.0.0', (ks, [key, a, b]) => {
    let start = integerArg(a!);
    let stop = integerArg(b!);
    const l = ks.get(key!, 'list');
    if (!l) return OK_STATUS;
    const n = l.items.length;
    if (start < 0) start = Math.max(0, n + start);
    if (stop < 0) stop = n + stop;
    let left = start;
    let right = n - 1 - stop;
    if (start > stop || start >= n) {
      left = n;
      right = 0;
    } else if (right < 0) right = 0;
    for (let i = 0; i < left; i++) popOne(ks, key!, l, 'left');
    for (let i = 0; i < right; i++) popOne(ks, key!, l, 'right');
    ks.dropIfEmpty(key!);
    return OK_STATUS;
  }),
  cmd('linsert', true, 5, 'Inserts an element before or after another.', '2.2.0', (ks, [key, where, pivot, value]) => {
    const w = where!.toUpperCase();
    if (w !== 'BEFORE' && w !== 'AFTER') throw syntaxError();
    const l = ks.get(key!, 'list');
    if (!l) return 0;
    const at = l.items.indexOf(pivot!);
    if (at < 0) return -1;
    const old = l.items.length;
    const i = w === 'BEFORE' ? at : at + 1;
    l.items.splice(i, 0, value!);
    rewriteFrom(ks, key!, l, i, old);
    ks.listPushed(key!);
    return l.items.length;
  }),
  cmd('lpos', false, -3, 'Returns the indexes of elements equal to a value (RANK, COUNT, MAXLEN).', '6.0.6', (ks, [key, value, ...opts]) => {
    let rank = 1;
    let count: number | undefined;
    let maxlen = 0;
    for (let i = 0; i < opts.length; i++) {
      const w = opts[i]!.toUpperCase();
      if (i + 1 >= opts.length) throw syntaxError();
      const n = integerArg(opts[++i]!);
      if (w === 'RANK') {
        if (n === 0) throw errorOf("RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list");
        rank = n;
      } else if (w === 'COUNT') {
        if (n < 0) throw errorOf("COUNT can't be negative");
        count = n;
      } else if (w === 'MAXLEN') {
        if (n < 0) throw errorOf("MAXLEN can't be negative");
        maxlen = n;
      } else throw syntaxError();
    }
    const l = ks.get(key!, 'list');
    if (!l) return count === undefined ? null : [];
    const found: number[] = [];
    const want = count === undefined ? 1 : count === 0 ? Infinity : count;
    let skip = Math.abs(rank) - 1;
    const n = l.items.length;
    for (let step = 0; step < n && (maxlen === 0 || step < maxlen) && found.length < want; step++) {
      const i = rank > 0 ? step : n - 1 - step;
      if (l.items[i] !== value) continue;
      if (skip > 0) skip--;
      else found.push(i);
    }
    if (count === undefined) return found[0] ?? null;
    return found;
  }),
  cmd('lmove', true, 5, 'Pops an element from one list and pushes it onto another.', '6.2.0', (ks, [src, dst, from, to]) => move(ks, src!, dst!, whereArg(from!), whereArg(to!)), [1, 2, 1]),
  cmd('rpoplpush', true, 3, 'Pops from the tail of a list and pushes onto the head of another.', '1.2.0', (ks, [src, dst]) => move(ks, src!, dst!, 'right', 'left'), [1, 2, 1]),
  blockingPop('blpop', 'left'),
  blockingPop('brpop', 'right'),
  {
    ...cmd('blmove', true, 6, 'LMOVE, waiting for an element up to a timeout.', '6.2.0', (ks, [src, dst, from, to, timeout]) => {
      const where: [End, End] = [whereArg(from!), whereArg(to!)];
      blockingTimeout(timeout!);
      return move(ks, src!, dst!, ...where);
    }, [1, 2, 1]),
    blocking: true,
  },
];
