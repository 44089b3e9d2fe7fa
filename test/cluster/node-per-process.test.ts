// One node per process (`raftkv node`), as on separate machines: hraftd's
// spellings, a join through the founder, --inmem, and a failover when the
// leader's process is killed with SIGKILL.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../src/kit/ports.js';
import { http } from '../helpers/test-cluster.js';
import { until as untilAnswer } from '../../src/kit/wait.js';

const until = <T>(what: string, f: () => Promise<T | undefined>): Promise<T> => untilAnswer(what, f, { timeoutMs: 15_000 });

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('three raftkv node processes form a cluster and survive SIGKILL of the leader', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-proc-'));
  const p = await freePorts(6);
  const httpOf = (i: number) => `127.0.0.1:${p[i * 2]}`;
  const raftOf = (i: number) => `127.0.0.1:${p[i * 2 + 1]}`;
  const procs: ChildProcess[] = [];
  const start = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
    procs.push(child);
    return child;
  };
  try {
    // hraftd's spellings for the founder and one joiner; --inmem for the other.
    start(['-id', 'n0', '-haddr', httpOf(0), '-raddr', raftOf(0), path.join(dir, 'n0')]);
    await until('n0 to lead', async () => ((await http('GET', `http://${httpOf(0)}/status`)).json.role === 'leader' ? true : undefined));
    // The founder made the cluster token in its data directory; the joiners are given it, once by file, once by environment.
    const tokenFile = path.join(dir, 'n0', 'cluster.token');
    start(['node', '--id', 'n1', '--http', httpOf(1), '--raft', raftOf(1), '--join', httpOf(0), '--inmem', '--token-file', tokenFile]);
    start(['-id', 'n2', '-haddr', httpOf(2), '-raddr', raftOf(2), '-join', httpOf(0), path.join(dir, 'n2')], { RAFTKV_CLUSTER_TOKEN: readFileSync(tokenFile, 'utf8').trim() });
    await until('three voters', async () => ((await http('GET', `http://${httpOf(0)}/status`)).json.voters.length === 3 ? true : undefined));
    assert.equal((await http('POST', `http://${httpOf(1)}/key`, { x: '1' })).status, 200);
    procs[0]!.kill('SIGKILL');
    const leader = await until('a new leader', async () => {
      for (const i of [1, 2]) {
        const s = (await http('GET', `http://${httpOf(i)}/status`)).json;
        if (s.role === 'leader') return i;
      }
      return undefined;
    });
    assert.notEqual(leader, 0);
    assert.equal((await http('POST', `http://${httpOf(leader)}/key`, { y: '2' })).status, 200);
    assert.deepEqual((await http('GET', `http://${httpOf(3 - leader)}/key/x`)).json, { x: '1' });
    assert.deepEqual((await http('GET', `http://${httpOf(3 - leader)}/key/y`)).json, { y: '2' });
  } finally {
    await Promise.all(procs.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); }))));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node that joins without the cluster token is refused at start with a message naming the options', async () => {
  const p = await freePorts(2);
  const child = spawn(process.execPath, [CLI, 'node', '--id', 'n9', '--http', `127.0.0.1:${p[0]}`, '--raft', `127.0.0.1:${p[1]}`, '--join', '127.0.0.1:1', '--inmem'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RAFTKV_CLUSTER_TOKEN: '' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  assert.notEqual(code, 0);
  assert.match(out, /needs the cluster token: --token, --token-file or RAFTKV_CLUSTER_TOKEN/);
});
