// The router as its fronts see it (shard/router-front.ts): one front for
// every connection, whose reads say what they cannot answer instead of
// answering from an empty state, and whose status tells no Raft indexes it
// does not have. A router with one shard that is never started: nothing
// here reaches a node.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeLogger } from '../../src/common/logger.js';
import { startRespFront, type RespFront } from '../../src/resp/server.js';
import { routerFront } from '../../src/shard/router-front.js';
import { Router } from '../../src/shard/router.js';
import { RespTestClient } from '../helpers/resp-client.js';

const router = new Router({ shards: [{ id: 's0', slots: [[0, 16383]], members: [{ id: 'n0', http: '127.0.0.1:1', raft: '127.0.0.1:2' }] }], timeoutMs: 500, clusterToken: 'router-front-test' });
const front = routerFront(router, () => ({ http: '127.0.0.1:7000', resp: '127.0.0.1:7001' }));
let resp: RespFront;

before(async () => {
  resp = await startRespFront({ host: '127.0.0.1', port: 0, front, logger: makeLogger(() => {}, 'error') });
});
after(async () => {
  await resp?.close();
  router.close();
});

test('a read of no keys asks no shard, and its view refuses the whole keyspace, revisions and expiry by name', async () => {
  const view = await front.read('linearizable', []);
  assert.throws(() => view.sortedKeys('KEYS'), (e: Error) => e.message === "KEYS is not served by the router: send it to a node of each shard, or use the router's GET /keys");
  assert.throws(() => view.revision('k'), (e: Error & { code?: string }) => e.code === 'RAFTKV_ERR_BAD_REQUEST' && /values only/.test(e.message));
  assert.throws(() => view.pttl('k'), /values only/);
  assert.throws(() => view.deadline('k'), /values only/);
  assert.equal(view.get('k'), undefined);
});

test('its status is a router\'s: no Raft state, no admin, the addresses it listens on', () => {
  const st = front.status();
  assert.deepEqual(st, { id: 'router', role: 'router', leader: 'router', leaderHttp: '127.0.0.1:7000', members: { router: { raft: '', http: '127.0.0.1:7000', resp: '127.0.0.1:7001' } }, keys: 0 });
  assert.equal(front.admin, undefined);
  assert.equal(front.extras?.watch, undefined);
  assert.equal(front.extras?.health, undefined);
});

test('over RESP: KEYS and SCAN refused with their names, INFO without Raft indexes, the router a master', async () => {
  const cl = await RespTestClient.connect(resp.port);
  try {
    const [keys, scan, ping] = await cl.call(['KEYS', '*'], ['SCAN', '0'], ['PING']);
    assert.deepEqual(keys, { error: "ERR KEYS is not served by the router: send it to a node of each shard, or use the router's GET /keys" });
    assert.deepEqual(scan, { error: "ERR SCAN is not served by the router: send it to a node of each shard, or use the router's GET /keys" });
    assert.equal(ping, 'PONG');
    const info = String(await cl.one('INFO', 'replication'));
    assert.match(info, /\r\nrole:master\r\n/);
    assert.match(info, /\r\nraft_role:router\r\n/);
    assert.doesNotMatch(info, /raft_term|raft_commit_index|connected_slaves/);
    assert.equal(await cl.one('DBSIZE'), 0);
  } finally {
    cl.close();
  }
});
