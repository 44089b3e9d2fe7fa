// A bug behind a command (an exception nobody meant) must not stop the
// node: the RESP front answers that command `ERR internal error: ...`, logs
// it loudly, and serves on. A front over a stub node that throws.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Front } from '../../src/api/front.js';
import { NodeError } from '../../src/common/errors.js';
import { KvState } from '../../src/node/kv-state.js';
import { makeLogger, type LogRecord } from '../../src/common/logger.js';
import { startRespFront, type RespFront } from '../../src/resp/server.js';
import { RespTestClient } from '../helpers/resp-client.js';

/** What the stub node does next; each test sets the faults it needs. */
const faults = { propose: false, barrier: false, statusOnce: false };
const logs: LogRecord[] = [];
const rejections: unknown[] = [];
const onRejection = (e: unknown): void => void rejections.push(e);
let front: RespFront;

const node: Front = {
  propose: (cmd) => (faults.propose ? Promise.reject(new TypeError('propose bug')) : Promise.resolve(cmd.op === 'batch' ? { ok: true, results: cmd.cmds.map(() => ({ ok: true as const })) } : { ok: true })),
  read: () => {
    // Thrown, not rejected: a synchronous bug in the barrier.
    if (faults.barrier) throw new TypeError('barrier bug');
    // A NOTLEADER answer makes the connection look up the leader's address (status()), outside any command.
    if (faults.statusOnce) return Promise.reject(new NodeError('RAFTKV_ERR_NOT_LEADER', 'not the leader', 'elsewhere'));
    return Promise.resolve(new KvState(new Map([['k', 'v']])));
  },
  status: () => {
    if (faults.statusOnce) {
      faults.statusOnce = false;
      throw new TypeError('state bug');
    }
    throw new Error('not used by this test');
  },
};

before(async () => {
  process.on('unhandledRejection', onRejection);
  front = await startRespFront({ host: '127.0.0.1', port: 0, front: node, logger: makeLogger((r) => logs.push(r), 'debug') });
});
after(async () => {
  await front?.close();
  process.off('unhandledRejection', onRejection);
  assert.deepEqual(rejections, [], 'nothing escaped as an unhandled rejection');
});

test('a write whose proposal throws a bug is answered "ERR internal error", logged, and the connection goes on', async () => {
  faults.propose = true;
  const cl = await RespTestClient.connect(front.port);
  try {
    assert.deepEqual(await cl.call(['SET', 'a', '1'], ['SET', 'b', '2'], ['PING']), [{ error: 'ERR internal error: propose bug' }, { error: 'ERR internal error: propose bug' }, 'PONG']);
    faults.propose = false;
    assert.equal(await cl.one('SET', 'a', '1'), 'OK');
  } finally {
    faults.propose = false;
    cl.close();
  }
  assert.ok(logs.some((r) => r.level === 'error' && r.msg === 'RESP command crashed' && /propose bug/.test(String(r.error))));
});

test('a read barrier that throws synchronously is answered "ERR internal error" for the reads of the run', async () => {
  faults.barrier = true;
  const cl = await RespTestClient.connect(front.port);
  try {
    assert.deepEqual(await cl.call(['GET', 'k'], ['MGET', 'k', 'x']), [{ error: 'ERR internal error: barrier bug' }, { error: 'ERR internal error: barrier bug' }]);
    faults.barrier = false;
    assert.equal(await cl.one('GET', 'k'), 'v');
  } finally {
    faults.barrier = false;
    cl.close();
  }
});

test('a bug outside any command closes only its connection; the front serves the others', async () => {
  const other = await RespTestClient.connect(front.port);
  const victim = await RespTestClient.connect(front.port);
  try {
    faults.statusOnce = true;
    victim.write('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n');
    await victim.closed;
    assert.ok(logs.some((r) => r.level === 'error' && r.msg === 'RESP connection crashed' && /state bug/.test(String(r.error))));
    assert.equal(await other.one('GET', 'k'), 'v');
    const fresh = await RespTestClient.connect(front.port);
    assert.equal(await fresh.one('PING'), 'PONG');
    fresh.close();
  } finally {
    faults.statusOnce = false;
    other.close();
    victim.close();
  }
});
