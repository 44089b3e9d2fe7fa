// Commands on keys of any type: TYPE, RENAME, RENAMENX, COPY, OBJECT ENCODING.

import type { TypedCommand } from './command.js';
import { cloneValue, type Keyspace } from './keyspace.js';
import { integerArg, toInteger } from './numbers.js';
import { OK_STATUS, errorOf, noSuchKey, syntaxError, type TypedReply } from './reply.js';
import { storedByteLength } from '../stored-bytes.js';
import type { TypedValue } from './values.js';

const cmd = (name: string, write: boolean, arity: number, keys: [number, number, number], summary: string, since: string, exec: TypedCommand['exec']): TypedCommand => ({
  name, write, arity, keys, flags: write ? ['write'] : ['readonly', 'fast'], group: 'generic', summary, since, exec,
});

/** A copy of the key's value, string or typed; undefined if absent. */
function valueOf(ks: Keyspace, key: string): TypedValue | string | undefined {
  const v = ks.value(key);
  if (v) return cloneValue(v);
  return ks.string(key);
}

/** Put a copy of `src`'s value at `dst` with `src`'s deadline (RENAME and COPY move it along, as Redis does). */
function putWithDeadline(ks: Keyspace, dst: string, v: TypedValue | string, at: number | undefined): void {
  ks.put(dst, v);
  if (at !== undefined) ks.setDeadline(dst, at);
}

function rename(ks: Keyspace, src: string, dst: string, nx: boolean): TypedReply {
  const v = valueOf(ks, src);
  if (v === undefined) throw noSuchKey();
  if (src === dst) return nx ? 0 : OK_STATUS;
  if (nx && ks.exists(dst)) return 0;
  const at = ks.deadline(src);
  ks.delete(src);
  putWithDeadline(ks, dst, v, at);
  return nx ? 1 : OK_STATUS;
}

const SMALL = 128;
const SMALL_BYTES = 64;

/** What Redis 7.0 would call the encoding of this value, for clients that ask. */
function encoding(ks: Keyspace, key: string): string | null {
  const v = ks.value(key);
  if (!v) {
    const s = ks.string(key);
    if (s === undefined) return null;
    if (s.length <= 20 && toInteger(s) !== undefined) return 'int';
    return storedByteLength(s) <= 44 ? 'embstr' : 'raw';
  }
  const small = (n: number, items: Iterable<string>): boolean => {
    if (n > SMALL) return false;
    for (const x of items) if (storedByteLength(x) > SMALL_BYTES) return false;
    return true;
  };
  switch (v.type) {
    case 'hash':
      return small(v.map.size, [...v.map.keys(), ...v.map.values()]) ? 'listpack' : 'hashtable';
    case 'list':
      return 'quicklist';
    case 'set':
      return v.set.size <= 512 && [...v.set].every((m) => toInteger(m) !== undefined) ? 'intset' : 'hashtable';
    case 'zset':
      return small(v.z.size, v.z.scores.keys()) ? 'listpack' : 'skiplist';
  }
}

export const GENERIC_COMMANDS: readonly TypedCommand[] = [
  cmd('type', false, 2, [1, 1, 1], 'Returns the type of the value of a key.', '1.0.0', (ks, [key]) => ({ status: ks.typeOf(key!) })),
  cmd('rename', true, 3, [1, 2, 1], 'Renames a key, replacing the destination.', '1.0.0', (ks, [src, dst]) => rename(ks, src!, dst!, false)),
  cmd('renamenx', true, 3, [1, 2, 1], 'Renames a key only when the new name does not exist.', '1.0.0', (ks, [src, dst]) => rename(ks, src!, dst!, true)),
  cmd('copy', true, -3, [1, 2, 1], 'Copies the value of a key to another key (REPLACE to overwrite).', '6.2.0', (ks, [src, dst, ...opts]) => {
    let replace = false;
    for (let i = 0; i < opts.length; i++) {
      const w = opts[i]!.toUpperCase();
      if (w === 'REPLACE') replace = true;
      else if (w === 'DB' && i + 1 < opts.length) {
        if (integerArg(opts[++i]!) !== 0) throw errorOf('DB index is out of range');
      } else throw syntaxError();
    }
    if (src === dst) throw errorOf('source and destination objects are the same');
    const v = valueOf(ks, src!);
    if (v === undefined) return 0;
    if (ks.exists(dst!) && !replace) return 0;
    putWithDeadline(ks, dst!, v, ks.deadline(src!));
    return 1;
  }),
  {
    ...cmd('object', false, -3, [2, 2, 1], 'Inspects a value: OBJECT ENCODING key.', '2.2.3', (ks, [sub, key, ...rest]) => {
      if (sub!.toUpperCase() !== 'ENCODING' || key === undefined || rest.length > 0) {
        throw errorOf(`unknown subcommand or wrong number of arguments for '${sub}'. Try OBJECT HELP.`);
      }
      return encoding(ks, key);
    }),
    flags: ['readonly'],
  },
];
