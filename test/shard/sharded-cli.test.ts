// `raftkv cluster --config cluster.sharded.json` as a user runs it (the
// shipped file, moved to free ports): 6 node workers and the router in one
// process; `raftkv ctl` names nodes and shards; Ctrl-C stops it cleanly.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { http, sleep } from '../helpers/test-cluster.js';
import { onFreePorts, readShippedShardedConfig } from '../helpers/sharded-cluster.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('raftkv cluster runs the shipped sharded config: router, shards, ctl by node and by shard, clean stop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-shards-cli-'));
  const raw = (await onFreePorts(readShippedShardedConfig())) as { router: { http: string }; control: string };
  const file = path.join(dir, 'cluster.sharded.json');
  writeFileSync(file, JSON.stringify(raw));
  const child = spawn(process.execPath, [CLI, 'cluster', '--config', file, '--no-table'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ctl = (...args: string[]) =>
    new Promise<{ status: number; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'ctl', ...args, '--config', file], (err, stdout, stderr) => resolve({ status: err ? 1 : 0, out: stdout.trim(), err: stderr }));
    });
  try {
    const router = `http://${raw.router.http}`;
    const deadline = Date.now() + 20_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      ok = (await http('POST', `${router}/key`, { foo: '1', '{foo}.bar': '2' }).catch(() => undefined))?.status === 200;
      if (!ok) await sleep(100);
    }
    assert.ok(ok, `no write through the router within 20 s:\n${out}`);
    assert.equal((await http('POST', `${router}/set`, { clave: 'bar', valor: '3' })).status, 200);
    assert.deepEqual((await http('GET', `${router}/mget?k=foo&k={foo}.bar&k=bar`)).json, { foo: '1', '{foo}.bar': '2', bar: '3' });
    assert.match(out, /router listening/);

    // ctl: the table has a shard column; leader names each shard's leader, or one shard's.
    const status = await ctl('status');
    assert.equal(status.status, 0, status.err);
    assert.match(status.out, /^shard\s+node\s+state/);
    assert.match(status.out, /\ns1\s+node3\s+alive/);
    const leaders = (await ctl('leader')).out.split('\n');
    assert.deepEqual(leaders.map((l) => l.split(' ')[0]), ['s0', 's1']);
    const s1Leader = (await ctl('leader', 's1')).out;
    assert.match(s1Leader, /^node[345]$/);
    assert.match((await ctl('leader', 's9')).err, /unknown shard "s9"; shards: s0, s1/);
    // Kill shard 1's leader by id: the router keeps serving its keys.
    assert.equal((await ctl('kill', s1Leader)).status, 0);
    const again = Date.now() + 10_000;
    let served = false;
    while (!served && Date.now() < again) {
      served = (await http('POST', `${router}/key`, { foo: 'after-kill' }))?.status === 200;
      if (!served) await sleep(50);
    }
    assert.ok(served, `shard s1 served again after its leader died:\n${out}`);
  } finally {
    child.kill('SIGINT');
  }
  try {
    assert.equal(await exited, 0, out);
    assert.match(out, /cluster stopped/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
