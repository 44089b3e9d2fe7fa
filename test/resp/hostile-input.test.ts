// Hostile input on the Redis port never stops a node: bad keys of every
// command, every limit of the config's `limits`, and HTTP sent to the RESP
// port. Each test checks afterwards that every node is alive, takes a write
// through its RESP port and still has the data written before.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Limits } from '../../src/common/limits.js';
import { COMMANDS } from '../../src/resp/commands/index.js';
import { TestCluster } from '../helpers/test-cluster.js';
import { RespTestClient, frame, plain } from '../helpers/resp-client.js';

const LIMITS = {
  maxKeyBytes: 64,
  maxValueBytes: 1024,
  maxArgs: 16,
  maxCommandBytes: 4096,
  maxInlineBytes: 256,
  maxReplyBytes: 8192,
} satisfies Partial<Limits>;

const EARLIER = { 'earlier:a': 'alpha', 'earlier:b': 'beta' };

let checks = 0;

/** Every node alive, taking a write through its own RESP port, with the data written before intact. */
async function assertServing(c: TestCluster): Promise<void> {
  const round = ++checks;
  for (const id of c.launcher.ids) {
    assert.equal(c.launcher.stateOf(id), 'alive', `${id} is alive`);
    const cl = await RespTestClient.connect(c.respPort(id));
    try {
      assert.equal(await cl.one('SET', `alive:${round}:${id}`, 'yes'), 'OK', `a write through ${id}`);
      assert.deepEqual(await cl.one('MGET', ...Object.keys(EARLIER)), Object.values(EARLIER), `earlier data on ${id}`);
    } finally {
      cl.close();
    }
  }
}

/** Send raw bytes on a fresh connection; the replies that came before the node closed it. */
async function sendUntilClosed(port: number, bytes: Buffer | string): Promise<unknown[]> {
  const cl = await RespTestClient.connect(port);
  cl.write(bytes);
  await cl.closed;
  return cl.unread.map(plain);
}

/** A command with `key` at every key position and small valid arguments elsewhere. */
function withKey(name: string, key: Buffer): Buffer[] {
  const cmd = COMMANDS.get(name)!;
  const n = Math.abs(cmd.arity);
  const [first, last, step] = cmd.keys;
  const lastKey = last < 0 ? n + last : last;
  const args: Buffer[] = [Buffer.from(name.toUpperCase())];
  for (let i = 1; i < n; i++) {
    args.push(i >= first && i <= lastKey && (i - first) % step === 0 ? key : Buffer.from('1'));
  }
  return args;
}

const KEYED = [...COMMANDS.values()].filter((c) => c.keys[0] > 0);
const READS = KEYED.filter((c) => c.kind === 'read');
const WRITES = KEYED.filter((c) => c.kind === 'write');
const EMPTY = Buffer.alloc(0);
const TOO_LONG = Buffer.alloc(LIMITS.maxKeyBytes + 1, 'k');
const KEY_TOO_LONG = `ERR the key is longer than ${LIMITS.maxKeyBytes} bytes (limits.maxKeyBytes)`;

describe('hostile input on the RESP port', () => {
  let c: TestCluster;
  let port: number;

  before(async () => {
    c = await TestCluster.start({ maxBodyBytes: 64 * 1024, limits: LIMITS });
    port = c.respPort(await c.waitForLeader());
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('MSET', ...Object.entries(EARLIER).flat()), 'OK');
    cl.close();
  });
  after(async () => {
    await c?.stop();
  });

  test('GET "" (the issue: it stopped node0) then PING, on every node: an error, PONG, and the nodes keep serving', async () => {
    for (const id of c.launcher.ids) {
      const cl = await RespTestClient.connect(c.respPort(id));
      assert.deepEqual(await cl.call(['GET', ''], ['PING']), [{ error: 'ERR the key is empty' }, 'PONG']);
      cl.close();
    }
    await assertServing(c);
  });

  test('a pipeline SET, GET "", GET: only the bad command fails', async () => {
    const cl = await RespTestClient.connect(port);
    assert.deepEqual(await cl.call(['SET', 'pipe', '1'], ['GET', ''], ['GET', 'pipe'], ['MGET', 'pipe', '', 'pipe']), ['OK', { error: 'ERR the key is empty' }, '1', { error: 'ERR the key is empty' }]);
    cl.close();
    await assertServing(c);
  });

  assert.ok(READS.length >= 4, 'the command table has reads with keys');
  for (const cmd of READS) {
    for (const [what, key, error] of [
      ['""', EMPTY, 'ERR the key is empty'],
      [`a key of ${TOO_LONG.length} bytes`, TOO_LONG, KEY_TOO_LONG],
    ] as const) {
      test(`${cmd.name.toUpperCase()} ${what} is answered with an error and the node keeps serving`, async () => {
        for (const id of c.launcher.ids) {
          const cl = await RespTestClient.connect(c.respPort(id));
          assert.deepEqual(await cl.call(withKey(cmd.name, key), ['PING']), [{ error }, 'PONG'], id);
          cl.close();
        }
        await assertServing(c);
      });
    }
  }

  test('every write with an empty key or a key past limits.maxKeyBytes is answered with an error and writes nothing', async () => {
    const cl = await RespTestClient.connect(port);
    for (const cmd of WRITES) {
      assert.deepEqual(await cl.call(withKey(cmd.name, EMPTY)), [{ error: 'ERR the key is empty' }], cmd.name);
      assert.deepEqual(await cl.call(withKey(cmd.name, TOO_LONG)), [{ error: KEY_TOO_LONG }], cmd.name);
    }
    assert.equal(await cl.one('EXISTS', TOO_LONG.subarray(0, LIMITS.maxKeyBytes)), 0);
    cl.close();
    await assertServing(c);
  });

  test('a key of exactly limits.maxKeyBytes is accepted', async () => {
    const key = Buffer.alloc(LIMITS.maxKeyBytes, 'x');
    const cl = await RespTestClient.connect(port);
    assert.deepEqual(await cl.call(['SET', key, 'v'], ['GET', key]), ['OK', 'v']);
    cl.close();
    await assertServing(c);
  });

  test('SET, MSET and APPEND with a value past limits.maxValueBytes are answered with an error and write nothing', async () => {
    const big = Buffer.alloc(LIMITS.maxValueBytes + 1, 'v');
    const fits = Buffer.alloc(LIMITS.maxValueBytes, 'v');
    const error = { error: `ERR the value is longer than ${LIMITS.maxValueBytes} bytes (limits.maxValueBytes)` };
    const cl = await RespTestClient.connect(port);
    assert.deepEqual(await cl.call(['SET', 'big', big], ['MSET', 'big-a', 'a', 'big-b', big], ['APPEND', 'big-c', big], ['SETNX', 'big-d', big]), [error, error, error, error]);
    assert.deepEqual(await cl.call(['EXISTS', 'big', 'big-a', 'big-b', 'big-c', 'big-d'], ['SET', 'fits', fits], ['STRLEN', 'fits']), [0, 'OK', LIMITS.maxValueBytes]);
    cl.close();
    await assertServing(c);
  });

  test(`a command of more than limits.maxCommandBytes (${LIMITS.maxCommandBytes}) bytes is a protocol error and closes the connection`, async () => {
    const value = Buffer.alloc(1000, 'v');
    const args = ['MSET', ...['cmd-a', 'cmd-b', 'cmd-c', 'cmd-d', 'cmd-e'].flatMap((k) => [k, value])];
    const replies = await sendUntilClosed(port, Buffer.concat([frame('PING'), frame(...args)]));
    assert.equal(replies.length, 2);
    assert.equal(replies[0], 'PONG');
    assert.match((replies[1] as { error: string }).error, new RegExp(`^ERR Protocol error: command of \\d+ bytes exceeds the limit of ${LIMITS.maxCommandBytes} bytes`));
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('EXISTS', 'cmd-a', 'cmd-b', 'cmd-c', 'cmd-d', 'cmd-e'), 0);
    cl.close();
    await assertServing(c);
  });

  test(`a command of more than limits.maxArgs (${LIMITS.maxArgs}) arguments is a protocol error and closes the connection`, async () => {
    const args = ['DEL', ...Array.from({ length: LIMITS.maxArgs }, (_, i) => `arg-${i}`)];
    assert.deepEqual(await sendUntilClosed(port, frame(...args)), [{ error: `ERR Protocol error: invalid multibulk length: ${LIMITS.maxArgs + 1} arguments exceed the limit of ${LIMITS.maxArgs} (limits.maxArgs)` }]);
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('DEL', ...args.slice(1, LIMITS.maxArgs)), 0, 'a command at the limit runs');
    cl.close();
    await assertServing(c);
  });

  test(`an inline line longer than limits.maxInlineBytes (${LIMITS.maxInlineBytes}) is a protocol error and closes the connection`, async () => {
    const line = `SET inline-long ${'x'.repeat(LIMITS.maxInlineBytes)}\r\n`;
    assert.deepEqual(await sendUntilClosed(port, line), [{ error: `ERR Protocol error: too big inline request (over the limit of ${LIMITS.maxInlineBytes} bytes, limits.maxInlineBytes)` }]);
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('EXISTS', 'inline-long'), 0);
    cl.close();
    await assertServing(c);
  });

  test(`MGET of values past limits.maxReplyBytes (${LIMITS.maxReplyBytes}) is answered with an error and the connection goes on`, async () => {
    const value = Buffer.alloc(1000, 'r');
    const keys = Array.from({ length: 10 }, (_, i) => `reply-${i}`);
    const cl = await RespTestClient.connect(port);
    assert.deepEqual(await cl.call(...keys.map((k) => ['SET', k, value])), Array(keys.length).fill('OK'));
    const error = { error: `ERR reply exceeds the limit of ${LIMITS.maxReplyBytes} bytes (limits.maxReplyBytes)` };
    assert.deepEqual(await cl.call(['MGET', ...keys], ['PING']), [error, 'PONG']);
    // Within the limit it is served.
    assert.deepEqual(await cl.one('MGET', ...keys.slice(0, 4)), Array(4).fill(value.toString()));
    cl.close();
    await assertServing(c);
  });

  test('a pipeline of GETs whose replies cross limits.maxReplyBytes: the replies before come, the crossing ones are errors', async () => {
    const value = Buffer.alloc(1000, 'p');
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('SET', 'reply-pipe', value), 'OK');
    const replies = await cl.call(...Array.from({ length: 12 }, () => ['GET', 'reply-pipe']));
    const ok = replies.filter((r) => r === value.toString()).length;
    assert.ok(ok >= 7 && ok <= 8, `${ok} replies fit in ${LIMITS.maxReplyBytes} bytes`);
    assert.deepEqual(replies.slice(ok), Array(12 - ok).fill({ error: `ERR reply exceeds the limit of ${LIMITS.maxReplyBytes} bytes (limits.maxReplyBytes)` }));
    assert.equal(await cl.one('PING'), 'PONG');
    cl.close();
    await assertServing(c);
  });

  test('an HTTP POST (fetch) to the RESP port runs nothing and the connection is closed', async () => {
    // What a web page could make a browser send: headers, then Redis commands as the body.
    const body = 'SET fetched 1\r\n*3\r\n$3\r\nSET\r\n$8\r\nfetched2\r\n$1\r\n1\r\n';
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body }));
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('EXISTS', 'fetched', 'fetched2'), 0);
    cl.close();
    assert.ok(c.logs.some((r) => r.level === 'warn' && /SECURITY ATTACK/.test(r.msg)), 'a warning is logged');
    await assertServing(c);
  });

  test('GET / HTTP/1.1 as the first line closes the connection without an answer', async () => {
    assert.deepEqual(await sendUntilClosed(port, 'GET / HTTP/1.1\r\nSET http-get 1\r\n\r\n'), []);
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('EXISTS', 'http-get'), 0);
    cl.close();
    await assertServing(c);
  });

  test('a Host: line closes the connection; the commands after it do not run', async () => {
    assert.deepEqual(await sendUntilClosed(port, 'PING\r\nHost: example.com\r\nSET host-line 1\r\n'), ['PONG']);
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('EXISTS', 'host-line'), 0);
    cl.close();
    await assertServing(c);
  });
});

describe('connection limits on the RESP port', () => {
  const limits = { maxConnections: 4, idleTimeoutMs: 1000 } satisfies Partial<Limits>;
  let c: TestCluster;
  let port: number;

  before(async () => {
    c = await TestCluster.start({ nodes: 1, limits });
    port = c.respPort(await c.waitForLeader());
    const cl = await RespTestClient.connect(port);
    assert.equal(await cl.one('MSET', ...Object.entries(EARLIER).flat()), 'OK');
    cl.close();
  });
  after(async () => {
    await c?.stop();
  });

  test(`the connection past limits.maxConnections (${limits.maxConnections}) gets "max number of clients reached" and is closed`, async () => {
    const first = await RespTestClient.connect(port);
    const open = [first];
    try {
      // Connections of earlier tests may still be closing on the server: wait until this one is the only one.
      await c.waitFor(async () => /connected_clients:1\r\n/.test(String(await first.one('INFO', 'clients'))), 10_000, 'one connected client');
      while (open.length < limits.maxConnections) {
        const cl = await RespTestClient.connect(port);
        open.push(cl);
        assert.equal(await cl.one('PING'), 'PONG');
      }
      const refused = await RespTestClient.connect(port);
      open.push(refused);
      await refused.closed;
      assert.deepEqual(refused.unread.map(plain), [{ error: 'ERR max number of clients reached' }]);
      // The connections taken go on.
      assert.equal(await first.one('PING'), 'PONG');
    } finally {
      for (const cl of open) cl.close();
    }
    // Once they are gone, connections are taken again.
    await c.waitFor(
      async () => {
        const cl = await RespTestClient.connect(port);
        const ok = (await cl.call(['PING']).catch(() => [])).at(0) === 'PONG';
        cl.close();
        return ok;
      },
      10_000,
      'a connection to be taken again',
    );
    await assertServing(c);
  });

  test(`a connection idle for limits.idleTimeoutMs (${limits.idleTimeoutMs} ms) is closed, a half-sent command too`, async () => {
    const idle = await RespTestClient.connect(port);
    assert.equal(await idle.one('PING'), 'PONG');
    const partial = await RespTestClient.connect(port);
    partial.write('*2\r\n$3\r\nGET\r\n');
    await Promise.all([idle.closed, partial.closed]);
    await assertServing(c);
  });
});
