// The HTTP server both the node and the router serve through (serveHttp),
// with test-only routes: whatever a request or a handler does, the server
// answers it (or, the client gone, nothing) and goes on serving.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serveHttp, type HttpFront } from '../../src/api/http-server.js';
import type { RequestBase, Route } from '../../src/api/router.js';
import { crossSite } from '../../src/api/same-origin.js';
import { makeLogger, type LogRecord } from '../../src/common/logger.js';
import { rawHttp, sendAndLeave, type RawExchange } from '../helpers/raw-http.js';

const LIMIT = 1000;

describe('serveHttp under hostile input', () => {
  const logs: LogRecord[] = [];
  let front: HttpFront;
  let port: number;
  let echoed = 0;
  let releaseSlow: (() => void) | undefined;
  let slowDone = 0;

  const routes: Route<RequestBase>[] = [
    { method: 'GET', pattern: '/ok', body: false, handler: async () => ({ status: 200, json: { ok: true } }) },
    {
      method: 'POST',
      pattern: '/echo',
      body: true,
      handler: async (ctx) => {
        echoed++;
        return { status: 200, json: { got: ctx.body.toString('utf8') } };
      },
    },
    { method: 'PUT', pattern: '/echo', body: true, handler: async (ctx) => ({ status: 200, json: { got: ctx.body.toString('utf8') } }) },
    { method: 'GET', pattern: '/item/:k', body: false, handler: async (ctx) => ({ status: 200, json: { k: ctx.params[0] } }) },
    { method: 'DELETE', pattern: '/item/:k', body: false, handler: async (ctx) => ({ status: 200, json: { deleted: ctx.params[0] } }) },
    // Bugs of every kind a handler can have.
    {
      method: 'GET',
      pattern: '/bug/sync',
      body: false,
      handler: () => {
        throw new TypeError('a synchronous bug');
      },
    },
    {
      method: 'GET',
      pattern: '/bug/async',
      body: false,
      handler: async () => {
        throw new RangeError('an asynchronous bug');
      },
    },
    { method: 'GET', pattern: '/bug/reply', body: false, handler: async () => ({ status: 200, json: { n: 1n } }) },
    { method: 'GET', pattern: '/bug/context', body: false, handler: async () => ({ status: 200, json: {} }) },
    {
      method: 'GET',
      pattern: '/slow',
      body: false,
      handler: async () => {
        await new Promise<void>((r) => (releaseSlow = r));
        slowDone++;
        return { status: 200, json: { late: true } };
      },
    },
  ];

  before(async () => {
    front = await serveHttp({
      host: '127.0.0.1',
      port: 0,
      logger: makeLogger((r) => logs.push(r), 'debug'),
      maxBodyBytes: LIMIT,
      routes,
      context: (request) => {
        if (request.path === '/bug/context') throw new Error('a bug while building the context');
        return request;
      },
    });
    port = front.port;
  });
  after(() => front?.close());

  const get = (path: string, headers = ''): Promise<RawExchange> => rawHttp(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${headers}\r\n`);
  const alive = async (): Promise<void> => {
    const r = await fetch(`http://127.0.0.1:${port}/ok`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { ok: true });
  };

  test('a handler that throws (synchronously or not), a reply that cannot be rendered, a broken context: 500 with a JSON error, logged as a bug', async () => {
    for (const [path, message] of [
      ['/bug/sync', /a synchronous bug/],
      ['/bug/async', /an asynchronous bug/],
      ['/bug/reply', /could not be rendered/],
      ['/bug/context', /a bug while building the context/],
    ] as const) {
      const { responses } = await get(path);
      assert.equal(responses[0]?.status, 500, path);
      assert.equal(responses[0]!.headers['content-type'], 'application/json');
      const body = JSON.parse(responses[0]!.body) as { error: string; code: string };
      assert.equal(body.code, 'RAFTKV_ERR_INTERNAL');
      assert.match(body.error, message);
      assert.ok(
        logs.some((r) => r.level === 'error' && /a bug/.test(r.msg) && (message.test(String(r.error)) || message.test(r.msg))),
        `${path} is logged as a bug with its stack`,
      );
    }
    await alive();
  });

  test('malformed percent-encoding in a path parameter is a 400; a well-formed one is decoded', async () => {
    const bad = (await get('/item/%zz')).responses[0]!;
    assert.equal(bad.status, 400);
    assert.match(bad.body, /percent-encoding/);
    assert.equal((await get('/item/%E0%A4%A')).responses[0]!.status, 400);
    assert.deepEqual(JSON.parse((await get('/item/a%20b')).responses[0]!.body), { k: 'a b' });
  });

  test('unknown routes are 404 and wrong methods 405, as JSON', async () => {
    const nope = (await get('/nope/deeper/still')).responses[0]!;
    assert.equal(nope.status, 404);
    assert.equal(JSON.parse(nope.body).code, 'RAFTKV_ERR_NOT_FOUND');
    const extra = (await get('/ok/extra')).responses[0]!;
    assert.equal(extra.status, 404);
    const method = (await rawHttp(port, `PATCH /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`)).responses[0]!;
    assert.equal(method.status, 405);
    assert.match(JSON.parse(method.body).error, /allowed: POST, PUT/);
  });

  test('a huge declared Content-Length is refused before any body is read', async () => {
    // Over the limit: 413, and the connection closes (nothing of the body is read).
    for (const path of ['POST /echo', 'GET /ok']) {
      // Infinity: read until the server closes.
      const r = await rawHttp(port, `${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n{"a":`, Infinity);
      assert.equal(r.responses[0]?.status, 413, path);
      assert.equal(r.responses[0]!.headers.connection, 'close');
      assert.equal(JSON.parse(r.responses[0]!.body).code, 'RAFTKV_ERR_TOO_LARGE');
      assert.ok(r.closed, 'the connection is closed after a 413');
    }
    // A length uWS cannot even parse: it closes the connection without an answer (node:http answers 413 first).
    const absurd = await rawHttp(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n{}`, Infinity);
    assert.ok(absurd.responses.length === 0 || absurd.responses[0]!.status === 413, JSON.stringify(absurd.responses));
    assert.ok(absurd.closed);
    // A chunked body that grows past the limit: 413 once it does.
    const chunked = await rawHttp(port, `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(LIMIT + 10).toString(16)}\r\n${'a'.repeat(LIMIT + 10)}\r\n0\r\n\r\n`);
    assert.equal(chunked.responses[0]?.status, 413);
    await alive();
  });

  test('a body sent to a route that reads none (a GET with a body) is ignored, and the connection stays usable', async () => {
    const twice = `GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldGET /item/next HTTP/1.1\r\nHost: x\r\n\r\n`;
    const r = await rawHttp(port, twice, 2);
    assert.deepEqual(
      r.responses.map((x) => [x.status, JSON.parse(x.body)]),
      [
        [200, { ok: true }],
        [200, { k: 'next' }],
      ],
    );
    const chunked = `GET /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n`;
    assert.deepEqual(
      (await rawHttp(port, chunked, 2)).responses.map((x) => x.status),
      [200, 200],
    );
  });

  test('a state-changing request from another site (Origin) is refused 403; same-origin and Origin-less ones are served', async () => {
    const post = (origin: string | undefined, method = 'POST', path = '/echo', host = `127.0.0.1:${port}`) =>
      rawHttp(port, `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${origin !== undefined ? `Origin: ${origin}\r\n` : ''}Content-Length: 2\r\n\r\nhi`).then((r) => r.responses[0]!);
    const before = echoed;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, 'null', `https://localhost:${port}`, 'not a url']) {
      const r = await post(origin);
      assert.equal(r.status, 403, origin);
      assert.equal(JSON.parse(r.body).code, 'RAFTKV_ERR_FORBIDDEN');
      assert.match(JSON.parse(r.body).error, /cross-site/);
    }
    assert.equal((await post('http://evil.example', 'PUT')).status, 403);
    assert.equal((await rawHttp(port, `DELETE /item/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://evil.example\r\n\r\n`)).responses[0]!.status, 403);
    assert.equal(echoed, before, 'no refused request reached its handler');

    assert.equal((await post(`http://127.0.0.1:${port}`)).status, 200);
    assert.equal((await post(`http://LOCALHOST:${port}`, 'POST', '/echo', `localhost:${port}`)).status, 200);
    assert.equal((await post(undefined)).status, 200);
    // Reads change nothing: a page elsewhere may GET (the browser keeps the answer from it without CORS).
    assert.equal((await get('/ok', 'Origin: http://evil.example\r\n')).responses[0]!.status, 200);
    // fetch from Node sends no Origin.
    assert.equal((await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: 'x' })).status, 200);
  });

  test('a client that leaves mid-body or before its answer does no harm', async () => {
    const before = echoed;
    for (let i = 0; i < 20; i++) await sendAndLeave(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"half":`);
    await alive();
    assert.equal(echoed, before, 'a cut-short body never reaches the handler');

    // The answer comes after the client is gone: it is dropped, nothing throws.
    await sendAndLeave(port, `GET /slow HTTP/1.1\r\nHost: x\r\n\r\n`);
    await waitUntil(() => releaseSlow !== undefined, 'the slow handler to start');
    // A round trip on another connection, so the server has seen the first one go.
    await alive();
    releaseSlow!();
    await waitUntil(() => slowDone === 1, 'the slow handler to finish');
    await alive();
    assert.ok(!logs.some((r) => r.level === 'error' && /slow/.test(String(r.url))), 'nothing was logged for the dropped answer');
  });
});

test('crossSite: only state-changing methods, only a different host:port', () => {
  assert.equal(crossSite('POST', '', 'a:1'), false);
  assert.equal(crossSite('GET', 'http://evil', 'a:1'), false);
  assert.equal(crossSite('POST', 'http://a:1', 'a:1'), false);
  assert.equal(crossSite('POST', 'http://A:80', 'a'), false);
  assert.equal(crossSite('POST', 'http://a', 'a:80'), false);
  assert.equal(crossSite('DELETE', 'http://a:2', 'a:1'), true);
  assert.equal(crossSite('PUT', 'null', 'a:1'), true);
  assert.equal(crossSite('POST', 'http://a:1', ''), true);
  assert.equal(crossSite('POST', 'file:///x', 'a:1'), true);
});

async function waitUntil(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
