// Replies of runs that need not wait (local commands, reads at level stale
// or leader) leave the RESP connection together, in one socket write (one
// syscall), and a reply is never held back by a run that waits.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { Front } from '../../src/api/front.js';
import { KvState, type KvResult } from '../../src/node/kv-state.js';
import { limitsWith } from '../../src/common/limits.js';
import { silentLogger } from '../../src/common/logger.js';
import type { Command, ServerView } from '../../src/resp/command.js';
import { COMMANDS } from '../../src/resp/commands/index.js';
import { RespConnection } from '../../src/resp/connection.js';
import { frame, plain, RespTestClient } from '../helpers/resp-client.js';

/** Proposals wait here until the test lets them through. */
let releases: (() => void)[] = [];
const kv = new KvState(new Map([['k', 'v']]));
const front: Front = {
  propose: () => new Promise<KvResult>((resolve) => releases.push(() => resolve({ ok: true }))),
  read: () => Promise.resolve(kv),
  status: () => {
    throw new Error('not used by this test');
  },
};
const view: ServerView = { front, port: 0, startedAt: Date.now(), commands: COMMANDS as ReadonlyMap<string, Command>, connectedClients: () => 1, respOf: () => undefined };

let server: net.Server;
/** Socket writes the server side made, per connection, in order of connection. */
const writes: number[] = [];

before(async () => {
  server = net.createServer({ allowHalfOpen: true }, (socket) => {
    const i = writes.push(0) - 1;
    // Each call of _write or _writev is one write of the handle (one syscall).
    const write = socket._write.bind(socket);
    socket._write = (...args: Parameters<typeof write>) => {
      writes[i]!++;
      write(...args);
    };
    const writev = socket._writev!.bind(socket);
    socket._writev = (...args: Parameters<typeof writev>) => {
      writes[i]!++;
      writev(...args);
    };
    new RespConnection(socket, view, i + 1, { limits: limitsWith(), maxBulkBytes: 1 << 20, logger: silentLogger });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const port = (): number => (server.address() as net.AddressInfo).port;

test('runs that need not wait (local commands, reads at level stale or leader, a pipeline split by READLEVEL) are answered in one write', async () => {
  const cl = await RespTestClient.connect(port());
  try {
    // Five runs: each READLEVEL ends one, and none waits for anything.
    const cmds = [['PING'], ['READLEVEL', 'stale'], ['GET', 'k'], ['READLEVEL', 'leader'], ['GET', 'k'], ['READLEVEL', 'stale'], ['ECHO', 'x'], ['READLEVEL', 'stale'], ['GET', 'nope']];
    cl.write(Buffer.concat(cmds.map((c) => frame(...c))));
    assert.deepEqual((await cl.replies(cmds.length)).map(plain), ['PONG', 'OK', 'v', 'OK', 'v', 'OK', 'x', 'OK', null]);
    assert.equal(writes.at(-1), 1, 'one socket write for five runs');
  } finally {
    cl.socket.destroy();
  }
});

test('what was gathered leaves before a linearizable read, which may wait for its barrier', async () => {
  const cl = await RespTestClient.connect(port());
  try {
    cl.write(Buffer.concat([frame('PING'), frame('ECHO', 'a'), frame('READLEVEL', 'linearizable'), frame('GET', 'k'), frame('PING')]));
    assert.deepEqual((await cl.replies(5)).map(plain), ['PONG', 'a', 'OK', 'v', 'PONG']);
    assert.equal(writes.at(-1), 2);
  } finally {
    cl.socket.destroy();
  }
});

test('a reply ready now is not held back by a run that waits (on Raft)', async () => {
  releases = [];
  const cl = await RespTestClient.connect(port());
  try {
    cl.write(Buffer.concat([frame('PING'), frame('READLEVEL', 'stale'), frame('SET', 'a', '1'), frame('PING')]));
    assert.deepEqual((await cl.replies(2)).map(plain), ['PONG', 'OK'], 'answered while the write still waits');
    assert.equal(writes.at(-1), 1);
    for (const release of releases) release();
    assert.deepEqual((await cl.replies(2)).map(plain), ['OK', 'PONG']);
    assert.equal(writes.at(-1), 2, 'the write and the PING after it leave together, once the write is applied');
  } finally {
    cl.socket.destroy();
  }
});
