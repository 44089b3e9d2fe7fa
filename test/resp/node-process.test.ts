// `raftkv node --resp ADDR`: one node in its own process serves RESP, and
// stops cleanly on SIGINT even with clients still connected.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../helpers/ports.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { sleep } from '../helpers/test-cluster.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('raftkv node --resp serves Redis clients and stops on SIGINT with connections open', async () => {
  const [h, r, resp] = await freePorts(3);
  const child = spawn(process.execPath, [CLI, 'node', '--id', 'solo', '--http', `127.0.0.1:${h}`, '--raft', `127.0.0.1:${r}`, '--resp', `127.0.0.1:${resp}`, '--inmem'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const clients: RespTestClient[] = [];
  try {
    const deadline = Date.now() + 15_000;
    let answer: unknown;
    while (Date.now() < deadline && answer !== 'OK') {
      const cl = await RespTestClient.connect(resp!).catch(() => undefined);
      if (cl) {
        clients.push(cl);
        answer = await cl.one('SET', 'solo', '1').catch(() => undefined);
      }
      if (answer !== 'OK') await sleep(100);
    }
    assert.equal(answer, 'OK', out);
    const idle = clients[clients.length - 1]!;
    assert.equal(await idle.one('GET', 'solo'), '1');
    // A half-sent command on another connection must not hold the process either.
    const partial = await RespTestClient.connect(resp!);
    clients.push(partial);
    partial.write('*2\r\n$3\r\nGET\r\n');
  } finally {
    child.kill('SIGINT');
  }
  const code = await Promise.race([exited, sleep(15_000).then(() => 'still running' as const)]);
  if (code === 'still running') child.kill('SIGKILL');
  assert.equal(code, 0, out);
  for (const cl of clients) await cl.closed;
  assert.match(out, /node stopped/);
});
