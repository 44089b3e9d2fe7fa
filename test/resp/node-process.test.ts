// `raftkv node --resp ADDR`: one node in its own process serves RESP, and
// stops cleanly on SIGINT even with clients still connected; hostile input
// never ends the process.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../src/kit/ports.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { sleep } from '../helpers/test-cluster.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

interface Solo {
  child: ChildProcess;
  resp: number;
  exited: Promise<number | null>;
  output(): string;
}

function startSolo(ports: number[]): Solo {
  const [h, r, resp] = ports;
  const child = spawn(process.execPath, [CLI, 'node', '--id', 'solo', '--http', `127.0.0.1:${h}`, '--raft', `127.0.0.1:${r}`, '--resp', `127.0.0.1:${resp}`, '--inmem'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, resp: resp!, exited, output: () => out };
}

/** A connection on which SET answered OK (the node is up and leads), or undefined after 15 s. */
async function firstWrite(solo: Solo, clients: RespTestClient[]): Promise<RespTestClient | undefined> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const cl = await RespTestClient.connect(solo.resp).catch(() => undefined);
    if (cl) {
      clients.push(cl);
      if ((await cl.one('SET', 'solo', '1').catch(() => undefined)) === 'OK') return cl;
    }
    await sleep(100);
  }
  return undefined;
}

/** SIGINT, then the exit code (SIGKILL after 15 s). */
async function interrupt(solo: Solo): Promise<number | null | 'still running'> {
  solo.child.kill('SIGINT');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([solo.exited, new Promise<'still running'>((done) => (timer = setTimeout(() => done('still running'), 15_000)))]);
  // A pending 15 s timer would hold the test process that long.
  clearTimeout(timer);
  if (code === 'still running') solo.child.kill('SIGKILL');
  return code;
}

test('raftkv node --resp serves Redis clients and stops on SIGINT with connections open', async () => {
  const solo = startSolo(await freePorts(3));
  const clients: RespTestClient[] = [];
  let code: number | null | 'still running';
  try {
    const idle = await firstWrite(solo, clients);
    assert.ok(idle, solo.output());
    assert.equal(await idle.one('GET', 'solo'), '1');
    // A half-sent command on another connection must not hold the process either.
    const partial = await RespTestClient.connect(solo.resp);
    clients.push(partial);
    partial.write('*2\r\n$3\r\nGET\r\n');
  } finally {
    code = await interrupt(solo);
  }
  assert.equal(code, 0, solo.output());
  for (const cl of clients) await cl.closed;
  assert.match(solo.output(), /node stopped/);
});

test('GET "" on raftkv node\'s Redis port is answered with an error and the process keeps serving', async () => {
  const solo = startSolo(await freePorts(3));
  const clients: RespTestClient[] = [];
  let code: number | null | 'still running';
  try {
    const cl = await firstWrite(solo, clients);
    assert.ok(cl, solo.output());
    // The issue: this ended the whole process.
    assert.deepEqual(await cl.call(['GET', ''], ['MGET', 'solo', ''], ['STRLEN', 'k'.repeat(64 * 1024 + 1)]), [
      { error: 'ERR the key is empty' },
      { error: 'ERR the key is empty' },
      { error: 'ERR the key is longer than 65536 bytes (limits.maxKeyBytes)' },
    ]);
    // HTTP on the Redis port: the connection is closed, nothing runs.
    await assert.rejects(fetch(`http://127.0.0.1:${solo.resp}/`, { method: 'POST', body: 'SET fetched 1\r\n' }));
    const fresh = await RespTestClient.connect(solo.resp);
    clients.push(fresh);
    assert.deepEqual(await fresh.call(['SET', 'after', '2'], ['MGET', 'solo', 'after', 'fetched']), ['OK', ['1', '2', null]]);
    assert.equal(solo.child.exitCode, null, 'the process still runs');
  } finally {
    code = await interrupt(solo);
  }
  assert.equal(code, 0, solo.output());
  assert.doesNotMatch(solo.output(), /unhandled|uncaught/i);
});
