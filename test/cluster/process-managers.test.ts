// The shipped Procfile and supervisord.ini bring up a working cluster: each
// file as it is in the repository, with its loopback ports moved to free ones,
// `node dist/src/cli.js` pointed at this build, and a temporary directory as
// the place it runs in.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { newClusterToken } from '../../src/common/cluster-identity.js';
import { freePorts } from '../../src/kit/ports.js';
import { CLI, Procs, isRunning, until } from '../helpers/raftkv-processes.js';
import { http } from '../helpers/test-cluster.js';

const REPO = new URL('../../../', import.meta.url).pathname;

/** A shipped file's text, on free ports and this build; the HTTP addresses of its nodes. */
async function shipped(name: string): Promise<{ text: string; https: string[] }> {
  const original = readFileSync(path.join(REPO, name), 'utf8');
  const addrs = [...new Set([...original.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[0]))];
  const ports = await freePorts(addrs.length);
  const moved = new Map(addrs.map((a, i) => [a, `127.0.0.1:${ports[i]}`]));
  const text = original.replace(/127\.0\.0\.1:\d+/g, (a) => moved.get(a)!).replaceAll('node dist/src/cli.js', `${process.execPath} ${CLI}`);
  const https = [...original.matchAll(/--http (127\.0\.0\.1:\d+)/g)].map((m) => moved.get(m[1]!)!);
  return { text, https: [...new Set(https)] };
}

async function servesTheCluster(https: string[], procs: Procs): Promise<void> {
  await until('three voters', async () => ((await http('GET', `http://${https[0]}/status`)).json.voters.length === 3 ? true : undefined), 30_000, () => procs.outputs());
  await until('a write', async () => ((await http('POST', `http://${https[1]}/key`, { managed: 'yes' })).status === 200 ? true : undefined), 20_000, () => procs.outputs());
  for (const hp of https) assert.deepEqual((await http('GET', `http://${hp}/key/managed`)).json, { managed: 'yes' });
}

function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

test('the Procfile: one raftkv node process per line, as foreman and goreman run them', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-procfile-'));
  const procs = new Procs();
  try {
    const { text, https } = await shipped('Procfile');
    assert.equal(https.length, 3);
    const env = { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() };
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line);
      // foreman runs each command with sh; exec makes the node the process whose PID we stop.
      if (m) procs.spawn(m[1]!, 'sh', ['-c', `exec ${m[2]}`], { cwd: dir, env });
    }
    await servesTheCluster(https, procs);
  } finally {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

const supervisord = which('supervisord');

test(
  'supervisord.ini: supervisord -c supervisord.ini runs the cluster, restarts a node that dies, and stops every node with itself',
  { skip: supervisord ? false : 'supervisord is not installed (Debian: apt-get install supervisor; .ci/apt-packages lists it)' },
  async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-sup-'));
    const procs = new Procs();
    try {
      const { text, https } = await shipped('supervisord.ini');
      assert.equal(https.length, 3);
      const ini = path.join(dir, 'supervisord.ini');
      writeFileSync(ini, text);
      const env = { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() };
      const sup = procs.spawn('supervisord', supervisord!, ['-c', ini], { cwd: dir, env });
      await servesTheCluster(https, procs);

      // supervisorctl reaches it through the file's socket; a killed node comes back by itself.
      const ctl = (...args: string[]): string => execFileSync(which('supervisorctl') ?? 'supervisorctl', ['-c', ini, ...args], { encoding: 'utf8' }).trim();
      const pid = Number(ctl('pid', 'node1'));
      assert.ok(pid > 0, `supervisorctl pid node1: ${pid}`);
      process.kill(pid, 'SIGKILL');
      await until('node1 restarted by supervisord', async () => {
        const now = Number(ctl('pid', 'node1'));
        return now > 0 && now !== pid && (await http('GET', `http://${https[1]}/key/managed?level=stale`)).json?.managed === 'yes' ? true : undefined;
      }, 30_000, () => procs.outputs());

      sup.child.kill('SIGTERM');
      assert.equal(await sup.exited, 0, sup.output());
      assert.ok(!isRunning(sup));
      for (const hp of https) await assert.rejects(http('GET', `http://${hp}/status`), /fetch failed/, `${hp} still answers after supervisord stopped`);
    } finally {
      await procs.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
