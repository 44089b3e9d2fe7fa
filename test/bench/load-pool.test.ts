// The load generator against a local HTTP server: the quota of a round is
// kept, non-2xx answers are errors, a fill writes each key once, and the
// latency histogram holds exactly the successful requests.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { LoadPool, split, type LoadTarget } from '../../bench/load/load-pool.js';

test('split shares out evenly', () => {
  assert.deepEqual(split(64, 2), [32, 32]);
  assert.deepEqual(split(50, 3), [17, 17, 16]);
  assert.deepEqual(split(1, 1), [1]);
});

test('rounds, errors and a fill against a real HTTP server, with two load threads', async () => {
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const key = req.method === 'POST' ? Object.keys(JSON.parse(body) as object)[0]! : decodeURIComponent(req.url!.split('/')[2]!.split('?')[0]!);
      seen.set(key, (seen.get(key) ?? 0) + 1);
      // Every key ending in 7 is "missing": a 404 is an error for the load generator.
      const status = req.method === 'GET' && key.endsWith('7') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const pool = new LoadPool(2);
  try {
    const space = { keys: 100, valueBytes: 16, prefix: 'k' };
    const base = { proto: 'http' as const, host: '127.0.0.1', port, space, pipeline: 1, requestTimeoutMs: 5000 };
    const fillTarget: LoadTarget = { ...base, cacheKey: 'fill', spec: { api: 'raftkv', op: 'set' }, conns: 8 };
    const fill = await pool.fill(fillTarget, 10_000);
    assert.equal(fill.ok, 100);
    assert.equal(fill.errors, 0);
    assert.equal(seen.size, 100);
    assert.ok([...seen.values()].every((n) => n === 1), 'each key written once');

    const getTarget: LoadTarget = { ...base, cacheKey: 'get', spec: { api: 'raftkv', op: 'get', level: 'stale' }, conns: 4 };
    const round = await pool.round(getTarget, 400, 10_000);
    assert.equal(round.ok + round.errors, 400);
    assert.ok(round.errors > 0 && round.errors < 100, `about a tenth are 404s (${round.errors})`);
    assert.deepEqual(round.errorSamples, ['HTTP 404']);
    assert.equal(round.histogram.totalCount, round.ok);

    // A round bounded by time instead of a quota.
    const timed = await pool.round(getTarget, Infinity, 200);
    assert.ok(timed.ok > 0);
    assert.ok(timed.wallMs < 5000);
  } finally {
    await pool.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a server that is not there: every request fails, the round still ends on time', async () => {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const pool = new LoadPool(1);
  try {
    const target: LoadTarget = { cacheKey: 'dead', proto: 'resp', host: '127.0.0.1', port, spec: { api: 'resp', op: 'get' }, space: { keys: 10, valueBytes: 16, prefix: 'k' }, conns: 2, pipeline: 4, requestTimeoutMs: 1000 };
    const started = performance.now();
    const r = await pool.round(target, 1000, 300);
    assert.equal(r.ok, 0);
    assert.ok(r.errors > 0);
    assert.ok(performance.now() - started < 3000);
  } finally {
    await pool.destroy();
  }
});
