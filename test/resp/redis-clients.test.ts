// Real Redis clients against a running cluster: ioredis, redis-cli and
// redis-benchmark (Debian's redis-tools; .ci/run installs them).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { TestCluster } from '../helpers/test-cluster.js';

const run = promisify(execFile);

describe('real Redis clients', () => {
  let c: TestCluster;
  let leader: string;
  let followers: string[];
  const opened: Redis[] = [];
  const ioredis = (id: string): Redis => {
    const r = new Redis({ host: '127.0.0.1', port: c.respPort(id), lazyConnect: false, maxRetriesPerRequest: 1 });
    opened.push(r);
    return r;
  };
  const cli = async (id: string, ...args: string[]): Promise<string> => (await run('redis-cli', ['-p', String(c.respPort(id)), ...args], { timeout: 10_000 })).stdout.trim();

  before(async () => {
    c = await TestCluster.start();
    leader = await c.waitForLeader();
    followers = c.followers(leader);
  });
  after(async () => {
    await Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect())));
    await c?.stop();
  });

  test('redis-cli: set on one node, get on a follower (the README example)', async () => {
    assert.equal(await cli('node0', 'set', 'key1', 'value1'), 'OK');
    assert.equal(await cli(followers[0]!, 'get', 'key1'), 'value1');
    assert.equal(await cli(followers[1]!, 'incrby', 'cli-n', '41'), '41');
    assert.match(await cli(followers[1]!, 'info', 'replication'), new RegExp(`raft_leader:${leader}`));
  });

  test('redis-cli: errors come back as Redis errors', async () => {
    assert.match(await cli(leader, 'incr', 'key1'), /ERR value is not an integer or out of range/);
    assert.match(await cli(leader, 'frobnicate'), /ERR unknown command 'frobnicate'/);
  });

  test('ioredis: commands, a pipeline, binary values, on the leader and a follower', async () => {
    const l = ioredis(leader);
    const f = ioredis(followers[0]!);
    assert.equal(await f.set('io:a', '1'), 'OK');
    assert.equal(await l.get('io:a'), '1');
    assert.equal(await f.set('io:a', '2', 'NX'), null);
    assert.equal(await f.set('io:a', '3', 'XX', 'GET'), '1');
    assert.equal(await l.mset({ 'io:b': 'x', 'io:c': 'y' }), 'OK');
    assert.deepEqual(await f.mget('io:a', 'io:b', 'io:c', 'io:none'), ['3', 'x', 'y', null]);
    assert.equal(await f.incrby('io:n', 10), 10);
    assert.equal(await f.decrby('io:n', 3), 7);
    await assert.rejects(f.incr('io:b'), /ERR value is not an integer or out of range/);
    const bin = Buffer.from([0, 255, 13, 10, 128]);
    assert.equal(await f.set(Buffer.from([1, 2, 255]), bin), 'OK');
    assert.deepEqual(await l.getBuffer(Buffer.from([1, 2, 255])), bin);
    const results = await f.pipeline(Array.from({ length: 100 }, (_, i) => ['incr', 'io:piped'] as [string, string])).exec();
    assert.deepEqual(results!.map(([err, v]) => (err ? String(err) : v)), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.equal(await l.dbsize(), await f.dbsize());
    assert.equal(await f.client('SETNAME', 'tester'), 'OK');
    assert.equal(await f.client('GETNAME'), 'tester');
  });

  test('redis-benchmark -t set,get -n 20000 completes without errors', async () => {
    const { stdout, stderr } = await run('redis-benchmark', ['-p', String(c.respPort(leader)), '-t', 'set,get', '-n', '20000', '-q'], { timeout: 120_000 });
    const out = stdout + stderr;
    assert.match(out, /SET: [\d.]+ requests per second/);
    assert.match(out, /GET: [\d.]+ requests per second/);
    assert.doesNotMatch(out, /ERR|error|WARNING/i);
  });

  test('redis-benchmark with a pipeline (-P 16) against a follower completes without errors', async () => {
    const { stdout, stderr } = await run('redis-benchmark', ['-p', String(c.respPort(followers[0]!)), '-t', 'set,get', '-n', '20000', '-P', '16', '-q'], { timeout: 120_000 });
    const out = stdout + stderr;
    assert.match(out, /SET: [\d.]+ requests per second/);
    assert.match(out, /GET: [\d.]+ requests per second/);
    assert.doesNotMatch(out, /ERR|error|WARNING/i);
  });
});
