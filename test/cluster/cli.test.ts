// The `raftkv` command as a user runs it: a child process, stopped with Ctrl-C.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../src/kit/ports.js';
import { rawHttp } from '../helpers/raw-http.js';
import { http, sleep } from '../helpers/test-cluster.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

async function writeConfig(dir: string): Promise<{ file: string; https: string[]; control: string }> {
  const p = await freePorts(7);
  const nodes = [0, 1, 2].map((i) => ({ id: `node${i}`, http: `127.0.0.1:${p[i * 2]}`, raft: `127.0.0.1:${p[i * 2 + 1]}` }));
  const file = path.join(dir, 'cluster.config.json');
  writeFileSync(file, JSON.stringify({ durability: 'os', control: `127.0.0.1:${p[6]}`, nodes }));
  return { file, https: nodes.map((n) => n.http), control: `127.0.0.1:${p[6]}` };
}

test('raftkv cluster serves writes, stops cleanly on SIGINT, and finds its data again', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-cli-'));
  try {
    const { file, https } = await writeConfig(dir);
    for (const round of [1, 2]) {
      const child = spawn(process.execPath, [CLI, 'cluster', '--config', file, '--no-table'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      try {
        const deadline = Date.now() + 15_000;
        let ok = false;
        while (!ok && Date.now() < deadline) {
          const r = await http('POST', `http://${https[0]}/key`, { [`round${round}`]: 'yes' }).catch(() => undefined);
          ok = r?.status === 200;
          if (!ok) await sleep(100);
        }
        assert.ok(ok, `no successful write within 15 s:\n${out}`);
        if (round === 2) assert.deepEqual((await http('GET', `http://${https[2]}/key/round1`)).json, { round1: 'yes' });
        // The log line travels through the launcher's stdout and may trail the write's answer.
        const logDeadline = Date.now() + 10_000;
        while (!/became leader/.test(out) && Date.now() < logDeadline) await sleep(50);
        assert.match(out, /became leader/);
      } finally {
        child.kill('SIGINT');
      }
      assert.equal(await exited, 0, out);
      assert.match(out, /cluster stopped/);
    }
    // raftkv log prints the replicated entries of a node's data directory.
    const log = spawnSync(process.execPath, [CLI, 'log', path.join(dir, 'data', 'node1')], { encoding: 'utf8' });
    assert.equal(log.status, 0, log.stderr);
    assert.match(log.stdout, /round1/);
    assert.match(log.stdout, /round2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('hostile input never stops the launcher: the /status/% reproduction, and an uncaught exception and rejection in the launcher itself', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-cli-'));
  try {
    const { file, https, control } = await writeConfig(dir);
    // The test hooks give the control API a way to crash the launcher.
    const child = spawn(process.execPath, [CLI, 'cluster', '--config', file, '--no-table'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RAFTKV_TEST_HOOKS: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waitOut = async (pattern: RegExp): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(out) && Date.now() < deadline) await sleep(50);
      assert.match(out, pattern);
    };
    try {
      const deadline = Date.now() + 15_000;
      let ok = false;
      while (!ok && Date.now() < deadline) {
        const r = await http('POST', `http://${https[0]}/key`, { earlier: 'data' }).catch(() => undefined);
        ok = r?.status === 200;
        if (!ok) await sleep(100);
      }
      assert.ok(ok, `no successful write within 15 s:\n${out}`);
      await waitOut(/cluster started/);
      const [host, port] = [control.slice(0, control.lastIndexOf(':')), Number(control.slice(control.lastIndexOf(':') + 1))];

      // The reproduction: curl 'localhost:10999/status/%'.
      const r = await rawHttp(port, `GET /status/% HTTP/1.1\r\nHost: ${control}\r\n\r\n`, 1, host);
      assert.equal(r.responses[0]?.status, 400);
      // Bugs in the launcher, outside any request: logged loudly, survived.
      assert.equal((await http('POST', `http://${control}/crash-test`, { kind: 'exception' })).status, 200);
      await waitOut(/launcher: uncaught exception \(a bug\): crash-test/);
      assert.equal((await http('POST', `http://${control}/crash-test`, { kind: 'rejection' })).status, 200);
      await waitOut(/launcher: unhandled rejection \(a bug\): crash-test/);

      // The launcher, every node, writes through each, the earlier data: all there.
      const st = await http('GET', `http://${control}/status`);
      assert.equal(st.status, 200);
      assert.deepEqual(
        st.json.nodes.map((n: { state: string }) => n.state),
        ['alive', 'alive', 'alive'],
      );
      for (const [i, h] of https.entries()) {
        // Tried again on a loaded machine, where a first try may time out.
        const until = Date.now() + 15_000;
        let status = 0;
        while (status !== 200 && Date.now() < until) {
          status = (await http('POST', `http://${h}/key`, { [`after${i}`]: 'ok' }).catch(() => undefined))?.status ?? 0;
          if (status !== 200) await sleep(100);
        }
        assert.equal(status, 200, `a write through ${h}`);
      }
      for (const h of https) assert.deepEqual((await http('GET', `http://${h}/key/earlier`)).json, { earlier: 'data' });
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, out);
    assert.match(out, /cluster stopped/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a broken config is refused before anything starts, naming the field', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-cli-'));
  try {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ nodes: [{ id: 'a', http: '127.0.0.1:1', raft: '127.0.0.1:1' }] }));
    const r = spawnSync(process.execPath, [CLI, 'cluster', '--config', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nodes\.0\.raft: address 127\.0\.0\.1:1 is already used by nodes\.0\.http/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('raftkv node refuses an --apply-batch-ms outside the config rule before it starts anything', () => {
  for (const bad of ['20000', '1.5', 'soon']) {
    const r = spawnSync(process.execPath, [CLI, 'node', '--inmem', '--http', '127.0.0.1:0', '--apply-batch-ms', bad], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`--apply-batch-ms ${bad.replace('.', '\\.')}: `), r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /listening/);
  }
});
