// The data types against a real redis-server (Debian's redis-server, started
// here on a free port): fast-check generates sequences of commands over a few
// keys, both servers run them, and every reply must match byte for byte,
// errors included. Replies Redis gives in no defined order (set members, the
// members SPOP takes) are compared as sorted lists. Afterwards every key is
// read back on a follower and compared again. The number of runs is bounded
// for CI; RAFTKV_DIFF_RUNS=500 runs more.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RawRespClient, RedisServer, dumpCommands } from '../helpers/raw-resp.js';
import { parseReply, type RespValue } from '../helpers/resp-client.js';
import { TestCluster } from '../helpers/test-cluster.js';

const RUNS = Number(process.env.RAFTKV_DIFF_RUNS ?? 40);

type Cmd = (string | Buffer)[];

const BINARY = Buffer.from([0xff, 0x00, 0x61]);
const member = fc.constantFrom<string | Buffer>('a', 'b', 'c', 'x', '1', '2', '-3', '10', '', 'hello world', BINARY);
const value = fc.oneof(member, fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom('1.5', 'abc'));
const score = fc.oneof(fc.integer({ min: -3, max: 3 }).map(String), fc.constantFrom('1.5', '-0.5', '+inf', '-inf', '1e2', 'x'));
const bound = fc.oneof(score, score.map((s) => `(${s}`));
const lexBound = fc.oneof(fc.constantFrom('-', '+', 'x'), member.map((m) => `[${m}`), member.map((m) => `(${m}`));
const index = fc.integer({ min: -6, max: 6 }).map(String);
const count = fc.oneof(fc.integer({ min: -1, max: 5 }).map(String), fc.constant('x'));
const side = fc.constantFrom('LEFT', 'RIGHT', 'left', 'UP');

/** Stand-ins for the keys of a run (no member or value looks like one). */
const KEY_SLOTS = ['\u0001a', '\u0001b', '\u0001c'];

/** Commands whose reply Redis orders arbitrarily: compare their elements sorted. */
const UNORDERED = new Set(['smembers', 'sinter', 'sunion', 'sdiff', 'spop', 'sscan']);

function commands(keys: string[]): fc.Arbitrary<Cmd> {
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
    c('rename', key, key), c('renamenx', key, key), c('copy', key, key, fc.constantFrom<Cmd>([], ['REPLACE'])), c('object', fc.constant('ENCODING'), key),
  );
}

function normalize(name: string, raw: Buffer): string {
  const parsed = parseReply(raw, 0)!.value;
  if (!UNORDERED.has(name)) return raw.toString('latin1');
  const sortDeep = (v: RespValue): unknown => {
    if (!Array.isArray(v)) return Buffer.isBuffer(v) ? v.toString('latin1') : v;
    return v.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  };
  return JSON.stringify(sortDeep(parsed));
}


describe('data types: differential test against redis-server', () => {
  let c: TestCluster;
  let redis: RedisServer;
  let dir: string;
  let ours: RawRespClient;
  let follower: RawRespClient;
  let theirs: RawRespClient;
  let run = 0;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'raftkv-redis-'));
    [c, redis] = await Promise.all([TestCluster.start(), RedisServer.start(dir)]);
    const leader = await c.waitForLeader();
    ours = await RawRespClient.connect(c.respPort(leader));
    follower = await RawRespClient.connect(c.respPort(c.followers(leader)[0]!));
    theirs = await RawRespClient.connect(redis.port);
  });
  after(async () => {
    ours?.close();
    follower?.close();
    theirs?.close();
    redis?.stop();
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${RUNS} generated command sequences answer as redis-server does, and read back the same on a follower`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commands(KEY_SLOTS), { minLength: 1, maxLength: 30 }),
        async (generated) => {
          // Fresh keys for every attempt, shrinking included: no attempt sees another's data.
          run++;
          const keys = KEY_SLOTS.map((k) => `diff${run}:${k}`);
          const cmds = generated.map((cmd) => cmd.map((a) => (typeof a === 'string' && KEY_SLOTS.includes(a) ? keys[KEY_SLOTS.indexOf(a)]! : a)));
          const [a, b] = await Promise.all([ours.send(cmds), theirs.send(cmds)]);
          for (let i = 0; i < cmds.length; i++) {
            const name = String(cmds[i]![0]);
            assert.equal(normalize(name, a[i]!), normalize(name, b[i]!), `command ${i + 1} of ${cmds.length}: ${cmds[i]!.map(String).join(' ')}`);
          }
          const dump = keys.flatMap(dumpCommands);
          const [f, r, l] = await Promise.all([follower.send(dump), theirs.send(dump), ours.send(dump)]);
          for (let i = 0; i < dump.length; i++) {
            const name = String(dump[i]![0]) === 'smembers' ? 'smembers' : '';
            assert.equal(normalize(name, f[i]!), normalize(name, r[i]!), `follower read ${dump[i]!.join(' ')} (the leader reads ${JSON.stringify(l[i]!.toString('latin1'))})`);
          }
        },
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
});
