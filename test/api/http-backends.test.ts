// The two HTTP servers (a native uWS build, and the node:http binding used
// where none loads: Node 22+ on glibc < 2.38, Node 26 everywhere) answer every
// route of the API alike: same statuses, the headers we set, the same bodies,
// query strings, percent-encoding and body limits. Both serve the same node.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { httpBackend } from '../../src/api/http-backend.js';
import type { HttpServeOptions } from '../../src/api/http-exchange.js';
import { listenNodeHttp } from '../../src/api/http-node.js';
import { listenUws, type ListeningServer } from '../../src/api/http-uws.js';
import type { RequestContext } from '../../src/api/router.js';
import { ROUTES } from '../../src/api/routes.js';
import { newClusterToken, TOKEN_HEADER } from '../../src/common/cluster-identity.js';
import { silentLogger } from '../../src/common/logger.js';
import { runNode, type RunningNode } from '../../src/start/run-node.js';
import { freePorts } from '../../src/kit/ports.js';
import { rawHttp, type RawResponse } from '../helpers/raw-http.js';
import { sleep } from '../helpers/test-cluster.js';

const MAX_BODY = 4096;

function request(method: string, path: string, body?: string, headers: Record<string, string> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  if (body !== undefined && !('Content-Length' in headers) && !('Transfer-Encoding' in headers)) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

/** What must be the same on both servers. */
function comparable(r: RawResponse | undefined, path: string): unknown {
  if (!r) return 'no answer';
  let body: unknown = r.body;
  try {
    body = JSON.parse(r.body) as unknown;
  } catch {
    // a raw value
  }
  // Status bodies carry times and the server's own name.
  if (path === '/status') body = typeof body === 'object' && body !== null && 'role' in body ? 'a status' : body;
  return { status: r.status, type: r.headers['content-type'], retryAfter: r.headers['retry-after'], body };
}

describe('uWS and node:http answer alike', () => {
  let node: RunningNode;
  const token = newClusterToken();
  const servers: ListeningServer[] = [];
  let uwsPort = 0;
  let nodePort = 0;
  const native = httpBackend().uws;

  before(async () => {
    const [hp, rp] = await freePorts(2);
    const addrs = { http: `127.0.0.1:${hp}`, raft: `127.0.0.1:${rp}` };
    node = await runNode(
      { id: 'solo', dir: '.', inMemory: true, durability: 'os', addrs, founders: { solo: addrs }, clusterToken: token, tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: 10_000, maxBodyBytes: MAX_BODY },
      silentLogger,
    );
    for (let i = 0; i < 500 && node.node.status().role !== 'leader'; i++) await sleep(10);
    const opts: HttpServeOptions<RequestContext> = {
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      maxBodyBytes: MAX_BODY,
      clusterToken: token,
      routes: ROUTES,
      context: (request) => ({ ...request, front: node.front, clusterToken: token }),
    };
    const n = await listenNodeHttp(opts);
    servers.push(n);
    nodePort = n.port;
    if (native) {
      const u = await listenUws(native, opts);
      servers.push(u);
      uwsPort = u.port;
    }
  });
  after(async () => {
    for (const s of servers) s.close();
    await node?.stop();
  });

  test('node:http answers POST /key without a query string (the request the uWS emulation crashed on, Node 24)', async () => {
    const { responses } = await rawHttp(nodePort, request('POST', '/key', '{"user1":"batman"}'));
    assert.equal(responses[0]?.status, 200);
    const read = await rawHttp(nodePort, request('GET', '/key/user1'));
    assert.deepEqual(JSON.parse(read.responses[0]!.body), { user1: 'batman' });
  });

  // In order: later requests read what earlier ones wrote, on each server's own keys.
  const cases: [string, (k: string) => string][] = [
    ['a write', (k) => request('POST', '/key', JSON.stringify({ [k]: 'v1', [`${k}-é`]: 'ü' }))],
    ['a linearizable read', (k) => request('GET', `/key/${k}`)],
    ['a stale read with a percent-encoded level', (k) => request('GET', `/key/${k}?level=st%61le`)],
    ['a raw read', (k) => request('GET', `/key/${k}?raw`)],
    ['a percent-encoded key', (k) => request('GET', `/key/${encodeURIComponent(`${k}-é`)}`)],
    ['an unknown read level', (k) => request('GET', `/key/${k}?level=eventual`)],
    ['a missing key', () => request('GET', '/key/never-written')],
    ['malformed percent-encoding', () => request('GET', '/key/%zz')],
    ['a raw PUT', (k) => request('PUT', `/key/${k}-raw`, 'raw bytes')],
    ['a raw GET through /files', (k) => request('GET', `/files/${k}-raw`)],
    ['a delete', (k) => request('DELETE', `/key/${k}-raw`)],
    ['the hraftd prefix', (k) => request('GET', `/hraftd/key/${k}`)],
    ['a multi-key read by query', (k) => request('GET', `/mget?k=${k}&k=absent`)],
    ['a cas', (k) => request('POST', '/cas', JSON.stringify({ key: k, expect: 'v1', value: 'v2' }))],
    ['an unknown route', () => request('GET', '/nope')],
    ['a wrong method', (k) => request('PATCH', `/key/${k}`, '')],
    ['malformed JSON', () => request('POST', '/key', '{"a":')],
    ['a JSON array body', () => request('POST', '/key', '["a"]')],
    ['a non-string value', () => request('POST', '/key', '{"k": true}')],
    ['an empty body', () => request('POST', '/key', '')],
    ['a body over the limit, declared', () => request('POST', '/key', 'x'.repeat(MAX_BODY + 1))],
    ['a body over the limit, chunked', () => request('POST', '/key', `${(MAX_BODY + 10).toString(16)}\r\n${'x'.repeat(MAX_BODY + 10)}\r\n0\r\n\r\n`, { 'Transfer-Encoding': 'chunked' })],
    ['a members-only route without the token', () => request('POST', '/internal/propose', '[]')],
    ['a members-only route with the token', () => request('POST', '/internal/propose', '[{"cmd":{"op":"set","kv":[["m","1"]]}}]', { [TOKEN_HEADER]: token })],
    ['a cross-site write', (k) => request('POST', '/key', JSON.stringify({ [k]: 'x' }), { Origin: 'http://evil.example' })],
    ['a GET with a body', (k) => request('GET', `/key/${k}`, 'ignored body')],
    ['the status', () => request('GET', '/status')],
    ['raft stats', () => request('GET', '/raft/stats')],
  ];

  for (const [name, make] of cases) {
    test(name, { skip: native ? false : 'no native uWS build on this Node/platform: node:http alone serves' }, async () => {
      const [u, n] = await Promise.all([rawHttp(uwsPort, make('ku')), rawHttp(nodePort, make('kn'))]);
      const path = make('k').split(' ')[1]!;
      // Each server writes its own keys (ku…, kn…): compare with the name made the same.
      const norm = (v: unknown): string => JSON.stringify(v).replace(/\bk[un]\b/g, 'k');
      assert.equal(norm(comparable(n.responses[0], path)), norm(comparable(u.responses[0], path)));
    });
  }
});
