// Generated Redis command sequences over the data types (and the string
// commands that share their keys), for the differential and state machine tests.

import fc from 'fast-check';

export type Cmd = (string | Buffer)[];

const BINARY = Buffer.from([0xff, 0x00, 0x61]);
const member = fc.constantFrom<string | Buffer>('a', 'b', 'c', 'x', '1', '2', '-3', '10', '', 'hello world', BINARY);
const value = fc.oneof(member, fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('1.5', 'abc'));
const score = fc.oneof(fc.integer({ min: -3, max: 3 }).map(String), fc.constantFrom('1.5', '-0.5', '+inf', '-inf', '1e2', 'x'));
const bound = fc.oneof(score, score.map((s) => `(${s}`));
const lexBound = fc.oneof(fc.constantFrom('-', '+', 'x'), member.map((m) => `[${m}`), member.map((m) => `(${m}`));
const index = fc.integer({ min: -6, max: 6 }).map(String);
const count = fc.oneof(fc.integer({ min: -1, max: 5 }).map(String), fc.constant('x'));
const side = fc.constantFrom('LEFT', 'RIGHT', 'left', 'UP');

/** 2100-01-01 in Unix seconds: a deadline no run reaches. */
const FAR_S = '4102444800';
const expireCondition = fc.constantFrom<Cmd>([], ['NX'], ['XX'], ['GT'], ['LT']);

/** Stand-ins for the keys of a run (no member or value looks like one). */
export const KEY_SLOTS = ['\u0001a', '\u0001b', '\u0001c'];

/** Commands whose reply Redis orders arbitrarily: compare their elements sorted. */
export const UNORDERED = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'sscan', 'srandmember']);

export function commands(keys: string[]): fc.Arbitrary<Cmd> {
  const key = fc.constantFrom(...keys);
  const some = <T>(a: fc.Arbitrary<T>, max = 3): fc.Arbitrary<T[]> => fc.array(a, { minLength: 1, maxLength: max });
  type Part = string | Buffer | Part[];
  const flat = (x: Part): Cmd => (Array.isArray(x) ? x.flatMap(flat) : [x]);
  const c = (name: string, ...parts: fc.Arbitrary<Part>[]): fc.Arbitrary<Cmd> => fc.tuple(...parts).map((xs) => [name, ...xs.flatMap(flat)]);
  const opts = (...words: string[]): fc.Arbitrary<Cmd> => fc.subarray(words).chain((ws) => fc.shuffledSubarray(ws, { minLength: ws.length, maxLength: ws.length }));
  return fc.oneof(
    // strings on the same keys, for WRONGTYPE both ways
    c('set', key, value), c('get', key), c('incr', key), c('del', some(key)), c('exists', some(key)), c('type', key),
    // hashes
    c('hset', key, some(fc.tuple(member, value).map(([f, v]) => [f, v]))), c('hsetnx', key, member, value), c('hget', key, member),
    c('hmget', key, some(member)), c('hgetall', key), c('hdel', key, some(member)), c('hexists', key, member), c('hlen', key),
    c('hkeys', key), c('hvals', key), c('hincrby', key, member, count), c('hincrbyfloat', key, member, fc.constantFrom('1.5', '-2', '0.25', 'x', '3e1')),
    c('hstrlen', key, member), c('hscan', key, fc.constantFrom('0', 'x'), fc.constantFrom<Cmd>([], ['MATCH', '*a*'], ['COUNT', '1'], ['COUNT', '0'])),
    // sets
    c('sadd', key, some(member)), c('srem', key, some(member)), c('sismember', key, member), c('smismember', key, some(member)),
    c('smembers', key), c('scard', key), c('sinter', some(key)), c('sunion', some(key)), c('sdiff', some(key)),
    c('sinterstore', key, some(key)), c('sunionstore', key, some(key)), c('sdiffstore', key, some(key)), c('smove', key, key, member),
    c('spop', key, fc.constantFrom('100', '-1', 'x')), c('sscan', key, fc.constantFrom('0'), fc.constantFrom<Cmd>([], ['MATCH', '[a-c]'])),
    // sorted sets
    c('zadd', key, opts('NX', 'XX', 'GT', 'LT', 'CH', 'INCR'), some(fc.tuple(score, member).map(([s, m]) => [s, m]))),
    c('zincrby', key, score, member), c('zrem', key, some(member)), c('zscore', key, member), c('zmscore', key, some(member)),
    c('zcard', key), c('zcount', key, bound, bound), c('zrank', key, member), c('zrevrank', key, member),
    c('zrange', key, index, index, opts('REV', 'WITHSCORES')),
    c('zrange', key, bound, bound, fc.constant('BYSCORE'), opts('REV', 'WITHSCORES'), fc.constantFrom<Cmd>([], ['LIMIT', '1', '2'], ['LIMIT', '0', '-1'])),
    c('zrange', key, lexBound, lexBound, fc.constant('BYLEX'), opts('REV', 'WITHSCORES'), fc.constantFrom<Cmd>([], ['LIMIT', '0', '1'])),
    c('zrange', key, index, index, fc.constantFrom<Cmd>(['LIMIT', '0', '1'], ['BYSCORE', 'BYLEX'], ['FOO'])),
    c('zrangebyscore', key, bound, bound, opts('WITHSCORES')), c('zrevrangebyscore', key, bound, bound),
    c('zpopmin', key, fc.constantFrom<Cmd>([], ['2'], ['-1'])), c('zpopmax', key, fc.constantFrom<Cmd>([], ['0'], ['3'])),
    c('zremrangebyscore', key, bound, bound), c('zscan', key, fc.constant('0')),
    // lists
    c('lpush', key, some(value)), c('rpush', key, some(value)), c('lpushx', key, value), c('rpushx', key, value),
    c('lpop', key, fc.constantFrom<Cmd>([], ['2'], ['0'], ['-1'])), c('rpop', key, fc.constantFrom<Cmd>([], ['3'])),
    c('llen', key), c('lrange', key, index, index), c('lindex', key, index), c('lset', key, index, value),
    c('lrem', key, fc.integer({ min: -2, max: 2 }).map(String), value), c('ltrim', key, index, index),
    c('linsert', key, fc.constantFrom('BEFORE', 'after', 'MIDDLE'), value, value),
    c('lpos', key, value, fc.constantFrom<Cmd>([], ['RANK', '-1'], ['RANK', '0'], ['COUNT', '0'], ['COUNT', '2', 'MAXLEN', '3'], ['RANK', '2', 'COUNT', '1'])),
    c('lmove', key, key, side, side), c('rpoplpush', key, key), c('blpop', some(key), fc.constantFrom('0.01', '-1', 'x')),
    // generic
    c('hmset', key, some(fc.tuple(member, value).map(([f, v]) => [f, v]))), c('unlink', some(key)),
    c('zlexcount', key, lexBound, lexBound), c('zrangebylex', key, lexBound, lexBound, fc.constantFrom<Cmd>([], ['LIMIT', '1', '1'])),
    c('zremrangebyrank', key, index, index), c('zrevrange', key, index, index, fc.constantFrom<Cmd>([], ['WITHSCORES'])),
    c('brpop', some(key), fc.constant('0.01')), c('blmove', key, key, side, side, fc.constantFrom('0.01', 'x')),
    c('srandmember', key, fc.constantFrom('100', '0')),
    c('rename', key, key), c('renamenx', key, key), c('copy', key, key, fc.constantFrom<Cmd>([], ['REPLACE'], ['DB', '0'], ['FOO'])), c('object', fc.constant('ENCODING'), key),
    // expiry on every type: absolute deadlines far in the future (or past ones, which delete), so both servers answer
    // alike whatever the clock; which writes keep, clear or move a deadline (HSET keeps it, SET and *STORE clear it,
    // RENAME and COPY take it along) shows in EXPIRETIME/PEXPIRETIME
    c('expireat', key, fc.constantFrom(FAR_S, String(Number(FAR_S) + 60), '1'), expireCondition),
    c('pexpireat', key, fc.constantFrom(`${FAR_S}000`, `${FAR_S}500`, '1000'), expireCondition),
    c('expire', key, fc.constantFrom('0', '-5'), expireCondition), c('pexpire', key, fc.constant('-1'), expireCondition),
    c('persist', key), c('expiretime', key), c('pexpiretime', key),
  );
}

