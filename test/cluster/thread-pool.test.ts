// libuv's thread pool is sized for the nodes a process runs, before anything
// uses it (src/main.cts, src/thread-pool.cts).

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../src/kit/ports.js';
import { LIBUV_DEFAULT_POOL_SIZE, nodesInProcess, threadPoolSize } from '../../src/thread-pool.cjs';

const MAIN = fileURLToPath(new URL('../../src/main.cjs', import.meta.url));

test('one thread per node and one more, never fewer than libuv\'s default', () => {
  assert.equal(threadPoolSize(1), LIBUV_DEFAULT_POOL_SIZE);
  assert.equal(threadPoolSize(3), 4);
  assert.equal(threadPoolSize(6), 7);
});

test('the nodes of a process: a cluster config\'s (every shard), chaos\'s, or one', () => {
  const files: Record<string, string> = {
    'cluster.config.json': JSON.stringify({ nodes: [{}, {}, {}] }),
    'sharded.json': JSON.stringify({ shards: [{ nodes: [{}, {}, {}] }, { nodes: [{}, {}] }] }),
    'broken.json': '{',
  };
  const read = (f: string): string => {
    const text = files[f];
    if (text === undefined) throw new Error(`ENOENT ${f}`);
    return text;
  };
  assert.equal(nodesInProcess(['cluster'], read), 3);
  assert.equal(nodesInProcess(['cluster', '--config', 'sharded.json'], read), 5);
  assert.equal(nodesInProcess(['cluster', '--config=sharded.json', '--fresh'], read), 5);
  assert.equal(nodesInProcess(['cluster', '--config', 'broken.json'], read), 1, 'the command reports the broken config itself');
  assert.equal(nodesInProcess(['cluster', '--config', 'missing.json'], read), 1);
  assert.equal(nodesInProcess(['chaos'], read), 3);
  assert.equal(nodesInProcess(['chaos', '--nodes', '5', '--shards', '2'], read), 10);
  assert.equal(nodesInProcess(['chaos', '--isolation', 'process', '--nodes', '5'], read), 1, 'each node has a process (and a pool) of its own');
  assert.equal(nodesInProcess(['node', '--id', 'n1'], read), 1);
});

test('raftkv cluster of 5 nodes runs with 6 pool threads; an explicit UV_THREADPOOL_SIZE wins', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-pool-'));
  // Threads a Node process has before anything uses the pool (main, V8's platform, the signal watcher).
  const startup = Number(execFileSync(process.execPath, ['--input-type=commonjs', '-e', "process.stdout.write(String(require('fs').readdirSync('/proc/self/task').length))"], { encoding: 'utf8' }));
  try {
    const p = await freePorts(16);
    const nodes = [0, 1, 2, 3, 4].map((i) => ({ id: `node${i}`, http: `127.0.0.1:${p[i * 3]}`, raft: `127.0.0.1:${p[i * 3 + 1]}`, resp: `127.0.0.1:${p[i * 3 + 2]}` }));
    const file = path.join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify({ durability: 'os', control: `127.0.0.1:${p[15]}`, nodes }));
    for (const [env, pool] of [[{}, 6], [{ UV_THREADPOOL_SIZE: '2' }, 2]] as const) {
      const { UV_THREADPOOL_SIZE: _, ...inherited } = process.env;
      const child = spawn(process.execPath, [MAIN, 'cluster', '--config', file, '--inmem', '--no-table'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        const deadline = Date.now() + 20_000;
        while (!/cluster started/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        assert.match(out, /cluster started/);
        assert.equal(readdirSync(`/proc/${child.pid}/task`).length, startup + pool + nodes.length, `${pool} pool threads beside the startup threads and one per node`);
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
