// The string commands: reads are served from the local state after the read
// barrier; every read-modify-write (SET NX/XX/GET, INCR..., APPEND) is one
// state machine command, so retries and concurrent clients are exact.

import { checkResult } from '../../api/kv-rules.js';
import { wrongTypeError } from '../../common/errors.js';
import type { KvView } from '../../api/front.js';
import type { KvCommand, KvResult, Ttl } from '../../node/kv-state.js';
import { TTL_ARG_DOCS, setExpiryOption } from './expiry.js';
import { storedByteLength } from '../../node/stored-bytes.js';
import { RespError } from '../errors-resp.js';
import { NIL, OK, array, bulk, integer, type Reply } from '../encoder.js';
import { KEYS_ARG, KEY_ARG, ReplyTooLarge, intArg, keyArg, keyRead, keyWrite, keysRead, syntaxError, valueArg, word, wrongArity, type ArgDoc, type Command, type ReadCommand, type WriteCommand } from '../command.js';

const VALUE: ArgDoc = { name: 'value', type: 'string' };
/** `$<length>\r\n` and the closing `\r\n` of a bulk string, at most. */
const BULK_HEADER_BYTES = 16;

/** The string value of a key; WRONGTYPE if it holds a hash, list, set or sorted set. */
function stringOf(kv: KvView, key: string): string | undefined {
  const now = kv.now();
  if (kv.typedValue(key, now)) throw wrongTypeError();
  return kv.get(key, now);
}

function count(r: KvResult): number {
  return 'count' in r ? r.count : 0;
}

function number(r: KvResult): number {
  const ok = checkResult(r);
  return 'number' in ok ? ok.number : 0;
}

const get = keyRead('get', { summary: 'Returns the string value of a key.', group: 'string', since: '1.0.0' }, (kv, key) => bulk(stringOf(kv, key)), {
  prepare: (args) => ({ op: 'get', key: keyArg(args[1]!) }),
  reply: (r) => {
    const ok = checkResult(r);
    return bulk('value' in ok ? ok.value : null);
  },
});

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT t | PXAT t | KEEPTTL]. */
function prepareSet(key: string, args: Buffer[]): KvCommand {
  const value = valueArg(args[2]!);
  let cond: 'nx' | 'xx' | undefined;
  let getOld = false;
  const expiry: { ttl?: Ttl; keepttl?: boolean } = {};
  for (let i = 3; i < args.length; ) {
    const taken = setExpiryOption(args, i, expiry, 'set');
    if (taken > 0) {
      i += taken;
      continue;
    }
    const w = word(args[i]!);
    if ((w === 'NX' || w === 'XX') && cond === undefined) cond = w === 'NX' ? 'nx' : 'xx';
    else if (w === 'GET' && !getOld) getOld = true;
    else throw syntaxError();
    i++;
  }
  if (cond === undefined && !getOld && !expiry.keepttl) return { op: 'set', kv: [[key, value]], ...(expiry.ttl ? { ttl: expiry.ttl } : {}) };
  return { op: 'set1', key, value, ...(cond ? { cond } : {}), ...(getOld ? { get: true } : {}), ...expiry };
}

const set = keyWrite(
  'set',
  -3,
  ['write', 'denyoom'],
  {
    summary: 'Sets the string value of a key. NX: only if it does not exist; XX: only if it exists; GET: return the old value; EX/PX/EXAT/PXAT: its expiry; KEEPTTL: keep the one it had.',
    group: 'string',
    since: '1.0.0',
    after: [
      VALUE,
      { name: 'condition', type: 'oneof', optional: true, args: [{ name: 'nx', type: 'pure-token', token: 'NX' }, { name: 'xx', type: 'pure-token', token: 'XX' }] },
      { name: 'get', type: 'pure-token', token: 'GET', optional: true },
      { name: 'expiration', type: 'oneof', optional: true, args: [...TTL_ARG_DOCS, { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' }] },
    ],
  },
  prepareSet,
  (r) => {
    const ok = checkResult(r);
    if ('value' in ok) return bulk(ok.value);
    if ('count' in ok && ok.count === 0) return NIL;
    return OK;
  },
);

const setnx = keyWrite(
  'setnx',
  3,
  ['write', 'denyoom', 'fast'],
  { summary: 'Set the string value of a key only when the key does not exist.', group: 'string', since: '1.0.0', after: [VALUE] },
  (key, args) => ({ op: 'set1', key, value: valueArg(args[2]!), cond: 'nx' }),
  (r) => integer(count(checkResult(r))),
);

const mset: WriteCommand = {
  kind: 'write',
  name: 'mset',
  arity: -3,
  flags: ['write', 'denyoom'],
  keys: [1, -1, 2],
  doc: { summary: 'Atomically sets the string values of one or more keys (one log entry).', group: 'string', since: '1.0.1', args: [{ name: 'data', type: 'block', multiple: true, args: [KEY_ARG, VALUE] }] },
  prepare: (args) => {
    if (args.length % 2 !== 1) throw wrongArity('mset');
    const kv: [string, string][] = [];
    for (let i = 1; i < args.length; i += 2) kv.push([keyArg(args[i]!), valueArg(args[i + 1]!)]);
    return { op: 'set', kv };
  },
  reply: (r) => (checkResult(r), OK),
};

const del: WriteCommand = {
  kind: 'write',
  name: 'del',
  arity: -2,
  flags: ['write'],
  keys: [1, -1, 1],
  doc: { summary: 'Deletes one or more keys; returns how many existed.', group: 'generic', since: '1.0.0', args: [KEYS_ARG] },
  prepare: (args) => ({ op: 'del', keys: args.slice(1).map(keyArg) }),
  reply: (r) => integer(count(checkResult(r))),
};

function incrCommand(name: string, arity: number, summary: string, by: (args: Buffer[]) => number, argName = 'increment'): WriteCommand {
  const after: ArgDoc[] = arity === 3 ? [{ name: argName, type: 'integer' }] : [];
  return keyWrite(name, arity, ['write', 'denyoom', 'fast'], { summary, group: 'string', since: '1.0.0', after }, (key, args) => ({ op: 'incr', key, by: by(args) }), (r) => integer(number(r)));
}

const incr = incrCommand('incr', 2, 'Increments the integer value of a key by one.', () => 1);
const decr = incrCommand('decr', 2, 'Decrements the integer value of a key by one.', () => -1);
const incrby = incrCommand('incrby', 3, 'Increments the integer value of a key by a number.', (args) => intArg(args[2]!));
const decrby = incrCommand('decrby', 3, 'Decrements the integer value of a key by a number.', (args) => -intArg(args[2]!), 'decrement');

const append = keyWrite(
  'append',
  3,
  ['write', 'denyoom', 'fast'],
  { summary: 'Appends a string to the value of a key; returns the new length.', group: 'string', since: '2.0.0', after: [VALUE] },
  (key, args) => ({ op: 'append', key, value: valueArg(args[2]!) }),
  (r) => integer(number(r)),
);

const exists = keysRead('exists', { summary: 'Counts how many of the keys exist (a key named twice counts twice).', group: 'generic', since: '1.0.0' }, (args, kv) =>
  integer(args.slice(1).reduce((n, k) => n + (kv.has(keyArg(k)) ? 1 : 0), 0)),
);

const mget = keysRead('mget', { summary: 'Returns the string values of one or more keys.', group: 'string', since: '1.0.0' }, (args, kv, room) => {
  const values: (string | undefined)[] = new Array<string | undefined>(args.length - 1);
  // Sizes first: many big values must not become one giant reply before the limit is seen.
  let bytes = 0;
  for (let i = 1; i < args.length; i++) {
    const v = kv.get(keyArg(args[i]!));
    values[i - 1] = v;
    bytes += v === undefined ? NIL.length : storedByteLength(v) + BULK_HEADER_BYTES;
    if (bytes > room) throw new ReplyTooLarge();
  }
  return array(values.map((v): Reply => bulk(v)));
});

const strlen = keyRead('strlen', { summary: 'Returns the length of a string value in bytes.', group: 'string', since: '2.2.0' }, (kv, key) => {
  const v = stringOf(kv, key);
  return integer(v === undefined ? 0 : storedByteLength(v));
});

const dbsize: ReadCommand = {
  kind: 'read',
  name: 'dbsize',
  arity: 1,
  flags: ['readonly', 'fast'],
  keys: [0, 0, 0],
  doc: { summary: 'Returns the number of keys.', group: 'server', since: '1.0.0' },
  read: (_args, kv) => integer(kv.size()),
};

const unlink: WriteCommand = { ...del, name: 'unlink', doc: { ...del.doc, summary: 'Deletes one or more keys (at once: raftkv frees nothing in the background); returns how many existed.', since: '4.0.0' } };

export const STRING_COMMANDS: readonly Command[] = [get, set, setnx, mset, del, unlink, incr, incrby, decr, decrby, append, exists, mget, strlen, dbsize];
