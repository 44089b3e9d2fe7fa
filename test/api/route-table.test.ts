// The one HTTP route table (api/routes.ts): a front serves the rows whose
// optional parts it has, and the router's own rows are added or put in
// place of the node's; a row both serve is one handler, not two.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROUTES, needsOf, routeTable } from '../../src/api/routes.js';
import type { Front } from '../../src/api/front.js';
import { ROUTER_OWN_ROUTES, ROUTER_ROUTES } from '../../src/shard/router-routes.js';

const names = (routes: readonly { method: string; pattern: string }[]): string[] => routes.map((r) => `${r.method} ${r.pattern}`);
const refuse = (): Promise<never> => Promise.reject(new Error('not used'));

test('a node serves every row of the table', () => {
  const node: Front = {
    propose: refuse,
    read: refuse,
    status: () => ({ id: 'n', role: 'leader', leader: 'n', leaderHttp: '', members: {}, keys: 0 }),
    admin: { join: refuse, remove: refuse, transferLeadership: refuse, proposeLocal: refuse, httpOf: () => undefined },
    extras: { health: () => ({ ok: true, leader: 'n', commit: 0, applied: 0, applyLag: 0, maxApplyLag: 1 }), watch: {} as never },
  };
  assert.deepEqual(routeTable(needsOf(node)), [...ROUTES]);
});

test("the router serves the shared rows with the node's handlers, its own rows in place of the node's scans and status, and none of admin, health or watch", () => {
  const table = names(ROUTER_ROUTES);
  for (const gone of ['POST /join', 'POST /raft/remove', 'DELETE /raft/remove', 'POST /raft/transfer-leadership', 'POST /internal/propose', 'GET /raft/stats', 'GET /raft/cluster', 'GET /health', 'GET /readyz', 'GET /watch']) {
    assert.ok(!table.includes(gone), `${gone} is not the router's`);
  }
  assert.equal(new Set(table).size, table.length, 'each method and path once');
  for (const own of ROUTER_OWN_ROUTES) assert.ok(ROUTER_ROUTES.includes(own), `${own.method} ${own.pattern}`);
  for (const shared of ['POST /key', 'GET /key/:k', 'PUT /key/:k', 'DELETE /key/:k', 'POST /cas', 'GET /mget', 'POST /mget', 'POST /txn', 'GET /metrics']) {
    const [method, pattern] = shared.split(' ');
    const mine = ROUTER_ROUTES.find((r) => r.method === method && r.pattern === pattern);
    const node = ROUTES.find((r) => r.method === method && r.pattern === pattern);
    assert.ok(mine && node && mine.handler === node.handler, `${shared}: one handler for both`);
  }
  for (const replaced of ['GET /keys', 'GET /range', 'GET /status']) {
    const [method, pattern] = replaced.split(' ');
    const mine = ROUTER_ROUTES.find((r) => r.method === method && r.pattern === pattern);
    assert.ok(mine && ROUTER_OWN_ROUTES.includes(mine), `${replaced} is the router's own`);
  }
});
