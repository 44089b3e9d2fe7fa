// Hash commands. A hash keeps its fields in insertion order (as Redis's
// compact encoding does for small hashes).

import type { TypedCommand } from './command.js';
import { arityMessage } from './command.js';
import { doubleArg, formatLongDouble, integerArg, toDouble, toInteger } from './numbers.js';
import { OK_STATUS, errorOf, type TypedReply } from './reply.js';
import { EMPTY_SCAN, scanCursor, scanOptions, scanPage } from './scan.js';
import { storedByteLength } from '../stored-bytes.js';

const read = (name: string, arity: number, summary: string, since: string, exec: TypedCommand['exec'], keys: [number, number, number] = [1, 1, 1]): TypedCommand => ({
  name, write: false, arity, keys, flags: ['readonly', 'fast'], group: 'hash', summary, since, exec,
});
const write = (name: string, arity: number, summary: string, since: string, exec: TypedCommand['exec']): TypedCommand => ({
  name, write: true, arity, keys: [1, 1, 1], flags: ['write', 'denyoom', 'fast'], group: 'hash', summary, since, exec,
});

function hset(name: string, reply: (added: number) => TypedReply): TypedCommand['exec'] {
  return (ks, [key, ...pairs]) => {
    if (pairs.length % 2 !== 0) throw errorOf(arityMessage(name));
    const h = ks.getOrCreate(key!, 'hash');
    let added = 0;
    for (let i = 0; i < pairs.length; i += 2) {
      if (!h.map.has(pairs[i]!)) added++;
      h.map.set(pairs[i]!, pairs[i + 1]!);
      ks.row('hash', key!, pairs[i]!, pairs[i + 1]!);
    }
    return reply(added);
  };
}

export const HASH_COMMANDS: readonly TypedCommand[] = [
  write('hset', -4, 'Sets fields of a hash; returns how many were new.', '2.0.0', hset('hset', (n) => n)),
  write('hmset', -4, 'Sets fields of a hash.', '2.0.0', hset('hmset', () => OK_STATUS)),
  write('hsetnx', 4, 'Sets a field of a hash only when it does not exist.', '2.0.0', (ks, [key, field, value]) => {
    const h = ks.getOrCreate(key!, 'hash');
    if (h.map.has(field!)) return 0;
    h.map.set(field!, value!);
    ks.row('hash', key!, field!, value!);
    return 1;
  }),
  read('hget', 3, 'Returns the value of a field of a hash.', '2.0.0', (ks, [key, field]) => ks.get(key!, 'hash')?.map.get(field!) ?? null),
  read('hmget', -3, 'Returns the values of fields of a hash.', '2.0.0', (ks, [key, ...fields]) => {
    const h = ks.get(key!, 'hash');
    return fields.map((f) => h?.map.get(f) ?? null);
  }),
  read('hgetall', 2, 'Returns every field and value of a hash.', '2.0.0', (ks, [key]) => {
    const out: TypedReply[] = [];
    for (const [f, v] of ks.get(key!, 'hash')?.map ?? []) out.push(f, v);
    return out;
  }),
  write('hdel', -3, 'Deletes fields of a hash; returns how many existed.', '2.0.0', (ks, [key, ...fields]) => {
    const h = ks.get(key!, 'hash');
    if (!h) return 0;
    let n = 0;
    for (const f of fields) {
      if (h.map.delete(f)) {
        n++;
        ks.row('hash', key!, f, null);
      }
    }
    ks.dropIfEmpty(key!);
    return n;
  }),
  read('hexists', 3, 'Whether a field exists in a hash.', '2.0.0', (ks, [key, field]) => (ks.get(key!, 'hash')?.map.has(field!) ? 1 : 0)),
  read('hlen', 2, 'Returns the number of fields of a hash.', '2.0.0', (ks, [key]) => ks.get(key!, 'hash')?.map.size ?? 0),
  read('hkeys', 2, 'Returns the fields of a hash.', '2.0.0', (ks, [key]) => [...(ks.get(key!, 'hash')?.map.keys() ?? [])]),
  read('hvals', 2, 'Returns the values of a hash.', '2.0.0', (ks, [key]) => [...(ks.get(key!, 'hash')?.map.values() ?? [])]),
  read('hstrlen', 3, 'Returns the length in bytes of a field value of a hash.', '3.2.0', (ks, [key, field]) => {
    const v = ks.get(key!, 'hash')?.map.get(field!);
    return v === undefined ? 0 : storedByteLength(v);
  }),
  write('hincrby', 4, 'Increments the integer value of a field of a hash.', '2.0.0', (ks, [key, field, by]) => {
    const incr = integerArg(by!);
    const h = ks.getOrCreate(key!, 'hash');
    const old = h.map.get(field!);
    const n = old === undefined ? 0 : toInteger(old);
    if (n === undefined) {
      ks.dropIfEmpty(key!);
      throw errorOf('hash value is not an integer');
    }
    const next = n + incr;
    if (!Number.isSafeInteger(next)) {
      ks.dropIfEmpty(key!);
      throw errorOf('increment or decrement would overflow');
    }
    h.map.set(field!, String(next));
    ks.row('hash', key!, field!, String(next));
    return next;
  }),
  write('hincrbyfloat', 4, 'Increments the floating point value of a field of a hash.', '2.6.0', (ks, [key, field, by]) => {
    const incr = doubleArg(by!);
    const h = ks.getOrCreate(key!, 'hash');
    const old = h.map.get(field!);
    const n = old === undefined ? 0 : toDouble(old);
    const fail = (message: string): never => {
      ks.dropIfEmpty(key!);
      throw errorOf(message);
    };
    if (n === undefined) return fail('hash value is not a float');
    const next = n + incr;
    if (!Number.isFinite(next)) return fail('increment would produce NaN or Infinity');
    const text = formatLongDouble(next);
    h.map.set(field!, text);
    ks.row('hash', key!, field!, text);
    return text;
  }),
  read('hscan', -3, 'Iterates over the fields and values of a hash.', '2.8.0', (ks, [key, cursor, ...rest]) => {
    const c = scanCursor(cursor!);
    const h = ks.get(key!, 'hash');
    if (!h) return EMPTY_SCAN;
    return scanPage([...h.map], scanOptions(c, rest), ([f]) => f, ([f, v]) => [f, v]);
  }),
];
