// The data types on a running cluster: blocking pops served when a
// replicated push lands (and UNBLOCKED when leadership moves), every type as
// JSON over HTTP, every type kept by a restart and carried by a snapshot
// install, and redis-benchmark's whole default suite (no -t) without an error.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { RawRespClient, dumpCommands } from '../helpers/raw-resp.js';
import { parseReply } from '../helpers/resp-client.js';
import { TestCluster, http, writeMany } from '../helpers/test-cluster.js';

const run = promisify(execFile);
/** redis-benchmark's requests per test: CI keeps it small; RAFTKV_BENCH_N=10000 runs the full count. */
const BENCH_N = process.env.RAFTKV_BENCH_N ?? '1000';
const SNAPSHOT_EVERY = 200;

const BINARY = Buffer.from([0xff, 0x00, 0x0d, 0x0a]);

/** One key of each type, binary members included. */
const FILL: (string | Buffer)[][] = [
  ['hset', 'p:h', 'f1', 'v1', BINARY, 'bin', 'f2', BINARY],
  ['rpush', 'p:l', 'a', BINARY, 'c'],
  ['lpush', 'p:l', 'z'],
  ['sadd', 'p:s', 'x', BINARY, 'y'],
  ['zadd', 'p:z', '1', 'one', '2.5', BINARY, '-inf', 'low'],
  ['set', 'p:str', BINARY],
];
const KEYS = ['p:h', 'p:l', 'p:s', 'p:z', 'p:str'];
const DUMP = KEYS.flatMap(dumpCommands);

describe('data types on a cluster', () => {
  let c: TestCluster;
  const clients: RawRespClient[] = [];
  const connect = async (id: string): Promise<RawRespClient> => {
    const r = await RawRespClient.connect(c.respPort(id));
    clients.push(r);
    return r;
  };
  const dump = async (id: string, level = 'linearizable'): Promise<string[]> => {
    const r = await connect(id);
    await r.one('readlevel', level);
    // Field and member order is each replica's own (a reloaded value iterates in stored order), as Redis promises none.
    return (await r.send(DUMP)).map((b, i) => {
      const v = parseReply(b, 0)!.value;
      const name = DUMP[i]![0];
      if (!Array.isArray(v) || (name !== 'hgetall' && name !== 'smembers')) return b.toString('latin1');
      const items = v.map((x) => (Buffer.isBuffer(x) ? x.toString('latin1') : JSON.stringify(x)));
      const units = name === 'hgetall' ? items.flatMap((x, j) => (j % 2 === 0 ? [`${x}=${items[j + 1]}`] : [])) : items;
      return `${name}: ${units.sort().join(' ')}`;
    });
  };

  before(async () => {
    c = await TestCluster.start({ snapshotEvery: SNAPSHOT_EVERY });
    await c.waitForLeader();
  });
  after(async () => {
    for (const r of clients) r.close();
    await c?.stop();
  });

  test('every type reads as JSON over HTTP; ?raw of a hash is WRONGTYPE (409)', async () => {
    const leader = await c.waitForLeader();
    const r = await connect(leader);
    await r.send([
      ['hset', 'j:h', 'a', '1', 'b', '2'],
      ['rpush', 'j:l', 'x', 'y', 'x'],
      ['sadd', 'j:s', 'b', 'a'],
      ['zadd', 'j:z', '2', 'two', '1', 'one', '+inf', 'top'],
    ]);
    const get = async (k: string): Promise<unknown> => (await http('GET', c.url(leader, `/key/${k}`))).json;
    assert.deepEqual(await get('j:h'), { 'j:h': { a: '1', b: '2' } });
    assert.deepEqual(await get('j:l'), { 'j:l': ['x', 'y', 'x'] });
    assert.deepEqual(await get('j:s'), { 'j:s': ['a', 'b'] });
    assert.deepEqual(await get('j:z'), { 'j:z': [['one', 1], ['two', 2], ['top', 'inf']] });
    const raw = await http('GET', c.url(leader, '/key/j:h?raw'));
    assert.equal(raw.status, 409);
    assert.equal(raw.json.code, 'RAFTKV_ERR_WRONGTYPE');
    const many = await http('GET', c.url(leader, '/mget?k=j:h&k=j:none'));
    assert.deepEqual(many.json, { 'j:h': { a: '1', b: '2' }, 'j:none': null });
  });

  test('BLPOP on the leader is served by a push sent to a follower; a timeout answers a nil array', async () => {
    const leader = await c.waitForLeader();
    const blocked = await connect(leader);
    const pusher = await connect(c.followers(leader)[0]!);
    assert.equal((await blocked.one('blpop', 'b:none', '0.05')).toString(), '*-1\r\n');
    const waiting = blocked.one('blpop', 'b:a', 'b:b', '0');
    // The pop is pending until the push: give it time to block, then push.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await pusher.one('rpush', 'b:b', 'hello')).toString(), ':1\r\n');
    assert.equal((await waiting).toString(), '*2\r\n$3\r\nb:b\r\n$5\r\nhello\r\n');
    assert.equal((await pusher.one('exists', 'b:b')).toString(), ':0\r\n');
    // BLMOVE and BRPOP: the element moves once, to the one client that popped it.
    const mover = blocked.one('blmove', 'b:src', 'b:dst', 'RIGHT', 'LEFT', '5');
    await new Promise((r) => setTimeout(r, 100));
    await pusher.send([['rpush', 'b:src', '1', '2']]);
    assert.equal((await mover).toString(), '$1\r\n2\r\n');
    assert.deepEqual((await pusher.send([['lrange', 'b:src', '0', '-1'], ['lrange', 'b:dst', '0', '-1']])).map(String), ['*1\r\n$1\r\n1\r\n', '*1\r\n$1\r\n2\r\n']);
    assert.match((await blocked.one('brpop', 'b:x', '-1')).toString(), /^-ERR timeout is negative/);
  });

  test('a client blocked on the leader is answered UNBLOCKED when leadership moves', async () => {
    const leader = await c.waitForLeader();
    const blocked = await connect(leader);
    const waiting = blocked.one('blpop', 'u:never', '0');
    await new Promise((r) => setTimeout(r, 200));
    const target = c.followers(leader)[0]!;
    assert.equal((await http('POST', c.url(leader, '/raft/transfer-leadership'), { id: target })).status, 200);
    assert.match((await waiting).toString(), /^-UNBLOCKED leadership moved/);
  });

  test('every type survives a snapshot install on a follower that fell behind, and a restart of the whole cluster', async () => {
    const leader = await c.waitForLeader();
    const r = await connect(leader);
    await r.send(FILL);
    const expected = await dump(leader);
    const lagging = c.followers(leader)[0]!;
    await c.launcher.stopNode(lagging);
    // Past several snapshots (one entry per write): the leader's log no longer holds what the stopped node lacks.
    await writeMany(c.url(leader, ''), 'p:filler-', 3 * SNAPSHOT_EVERY, 16);
    const behind = ((await http('GET', c.url(leader, '/status'))).json.firstIndex as number) - 1;
    await c.launcher.startNode(lagging);
    const status = async (id: string): Promise<{ applied: number }> => (await http('GET', c.url(id, '/status'))).json;
    await c.waitFor(async () => (await status(lagging).catch(() => undefined)) !== undefined, 20_000, `${lagging} to start`);
    // What it lacks is gone from the leader's log: only a snapshot install can bring it up to date.
    assert.ok((await status(lagging)).applied < behind, `${lagging} restarted at ${(await status(lagging)).applied}, the leader's log starts after ${behind}`);
    const commit = (await http('GET', c.url(leader, '/status'))).json.commit as number;
    await c.waitFor(async () => ((await http('GET', c.url(lagging, '/status'))).json?.applied ?? 0) >= commit, 20_000, `${lagging} to catch up`);
    assert.deepEqual(await dump(lagging, 'stale'), expected);

    await c.launcher.stop();
    await c.launcher.start();
    const again = await c.waitForLeader();
    assert.deepEqual(await dump(again), expected);
    for (const id of c.followers(again)) {
      await c.waitFor(async () => JSON.stringify(await dump(id, 'stale')) === JSON.stringify(expected), 10_000, `${id} to read the same after the restart`);
    }
  });

  test(`redis-benchmark -q -n ${BENCH_N} with no -t (its whole default suite) runs without an error`, async () => {
    const leader = await c.waitForLeader();
    const { stdout, stderr } = await run('redis-benchmark', ['-p', String(c.respPort(leader)), '-n', BENCH_N, '-q'], { timeout: 300_000 });
    const out = stdout + stderr;
    assert.doesNotMatch(out, /ERR|error|WRONGTYPE/i, out);
    for (const t of ['LPUSH', 'RPUSH', 'LPOP', 'RPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'LRANGE_600', 'MSET']) {
      assert.match(out, new RegExp(`${t}.*requests per second`), `${t} ran:\n${out}`);
    }
  });
});
