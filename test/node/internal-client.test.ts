// The internal HTTP client against local servers on free loopback ports:
// its time bounds, how it decodes answers into NodeErrors, the one retry
// policy (BUSY included, for the forwarder too) and relaying an answer as bytes.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { TOKEN_HEADER } from '../../src/common/cluster-identity.js';
import { NodeError } from '../../src/common/errors.js';
import { Forwarder } from '../../src/node/forwarder.js';
import { failureOf, InternalClient, RETRYABLE, retrying } from '../../src/node/internal-client.js';
import { freePorts } from '../../src/kit/ports.js';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A server on a free loopback port; returns its host:port and how many requests it saw. */
async function serve(handler: Handler): Promise<{ addr: string; hits: () => number }> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    hits++;
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => handler(req, body, res));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { addr: `127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

const reply = (res: http.ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('one exchange', () => {
  test('a call that gets no answer gives up after its timeout, as "timeout"', async () => {
    const { addr } = await serve(() => {}); // never answers
    const client = new InternalClient({ timeoutMs: 5000 });
    const started = Date.now();
    const e = await client.call('GET', addr, '/status', { timeoutMs: 150 }).catch((x: unknown) => x);
    assert.ok(Date.now() - started < 2000, 'the call’s own bound wins over the client’s');
    assert.equal(failureOf(e), 'timeout');
  });

  test('a refused connection is a failure named by its socket code', async () => {
    const [port] = await freePorts(1);
    const e = await new InternalClient({ timeoutMs: 2000 }).call('GET', `127.0.0.1:${port}`, '/').catch((x: unknown) => x);
    assert.equal(failureOf(e), 'ECONNREFUSED');
  });

  test('the cluster token, the bearer and a JSON body go with the call; a named Authorization wins', async () => {
    const seen: { token?: string; auth?: string; type?: string; body?: string }[] = [];
    const { addr } = await serve((req, body, res) => {
      seen.push({ token: req.headers[TOKEN_HEADER] as string | undefined, auth: req.headers.authorization, type: req.headers['content-type'], body });
      reply(res, 200, { ok: true });
    });
    const client = new InternalClient({ clusterToken: 'tok', bearer: 'adm', timeoutMs: 2000 });
    assert.deepEqual(await client.json('POST', addr, '/x', { body: { a: 1 } }), { ok: true });
    await client.call('GET', addr, '/y', { headers: { authorization: 'Bearer other' } });
    await client.call('POST', addr, '/z', { rawBody: '{"broken' });
    assert.deepEqual(seen[0], { token: 'tok', auth: 'Bearer adm', type: 'application/json', body: '{"a":1}' });
    assert.equal(seen[1]!.auth, 'Bearer other');
    assert.equal(seen[2]!.body, '{"broken');
    assert.notEqual(seen[2]!.type, 'application/json');
  });

  test('an error answer comes back as the NodeError it stands for: code, message, leader hint, details', async () => {
    const { addr } = await serve((req, _b, res) => {
      if (req.url === '/moved') reply(res, 421, { error: 'slot 5 is on s1', code: 'RAFTKV_ERR_WRONG_SHARD', shard: 's1', slot: 5 });
      else if (req.url === '/follower') reply(res, 503, { error: 'not the leader', code: 'RAFTKV_ERR_NOT_LEADER', leader: 'node2' });
      else if (req.url === '/html') {
        res.writeHead(502);
        res.end('<html>bad gateway</html>');
      } else {
        res.writeHead(400);
        res.end('no');
      }
    });
    const client = new InternalClient({ timeoutMs: 2000 });
    const err = (p: string): Promise<NodeError> => client.json('GET', addr, p).then(() => assert.fail('resolved'), (e: NodeError) => e);
    const moved = await err('/moved');
    assert.ok(moved instanceof NodeError);
    assert.equal(moved.code, 'RAFTKV_ERR_WRONG_SHARD');
    assert.equal(moved.message, 'slot 5 is on s1');
    assert.deepEqual(moved.details, { shard: 's1', slot: 5 });
    const follower = await err('/follower');
    assert.equal(follower.code, 'RAFTKV_ERR_NOT_LEADER');
    assert.equal(follower.leader, 'node2');
    assert.equal((await err('/html')).code, 'RAFTKV_ERR_INTERNAL');
    assert.equal((await err('/other')).code, 'RAFTKV_ERR_BAD_REQUEST');
    const raw = await client.call('GET', addr, '/html');
    assert.equal(raw.status, 502);
    assert.equal(raw.json, undefined);
    assert.equal(raw.text, '<html>bad gateway</html>');
  });
});

describe('the retry policy', () => {
  const busy = (): NodeError => new NodeError('RAFTKV_ERR_BUSY', 'too many uncommitted bytes');

  test('one list of retryable errors, BUSY among them, and not the errors of a bad request', () => {
    for (const code of ['RAFTKV_ERR_NO_LEADER', 'RAFTKV_ERR_NOT_LEADER', 'RAFTKV_ERR_SHUTTING_DOWN', 'RAFTKV_ERR_PROPOSAL_DROPPED', 'RAFTKV_ERR_BUSY', 'RAFTKV_ERR_TIMEOUT'] as const) assert.ok(RETRYABLE.has(code), code);
    for (const code of ['RAFTKV_ERR_BAD_REQUEST', 'RAFTKV_ERR_WRONG_SHARD', 'RAFTKV_ERR_FORBIDDEN', 'RAFTKV_ERR_INTERNAL'] as const) assert.ok(!RETRYABLE.has(code), code);
  });

  test('retryable failures are retried until one succeeds; others are thrown at once', async () => {
    let n = 0;
    assert.equal(await retrying(async () => (++n < 3 ? Promise.reject(busy()) : 'done'), { timeoutMs: 2000, what: 'x', pause: async () => {} }), 'done');
    assert.equal(n, 3);
    n = 0;
    await assert.rejects(retrying(async () => (n++, Promise.reject(new NodeError('RAFTKV_ERR_BAD_REQUEST', 'no'))), { timeoutMs: 2000, what: 'x' }), { code: 'RAFTKV_ERR_BAD_REQUEST' });
    assert.equal(n, 1);
  });

  test('out of budget: the last NO_LEADER if that was it, else a TIMEOUT naming what timed out', async () => {
    await assert.rejects(retrying(() => Promise.reject(busy()), { timeoutMs: 60, what: 'the thing' }), { code: 'RAFTKV_ERR_TIMEOUT', message: 'the thing did not finish within 60 ms' });
    await assert.rejects(retrying(() => Promise.reject(new Error('ECONNREFUSED')), { timeoutMs: 60, what: 'x' }), (e: NodeError) => e.code === 'RAFTKV_ERR_NO_LEADER' && /could not be reached/.test(e.message));
  });

  test('a follower forwarding a write retries the leader’s BUSY, as the router does', async () => {
    const fwd = new Forwarder('n1', 2000, 'tok');
    let n = 0;
    const result = await fwd.run(
      () => ({ raft: '127.0.0.1:1', http: '127.0.0.1:2' }),
      async () => (++n < 3 ? Promise.reject(busy()) : { ok: true } as never),
      () => false,
      () => assert.fail('not the leader'),
    );
    assert.deepEqual(result, { ok: true });
    assert.equal(n, 3);
    fwd.close();
  });
});

describe('relaying an answer (a follower sends a request on to its leader)', () => {
  test('the body comes back as the bytes that were sent, not decoded as text', async () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x41]); // not UTF-8
    const { addr } = await serve((_r, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(bytes);
    });
    const client = new InternalClient();
    const a = await client.exchange('GET', client.url(addr, '/key/k?raw'), { timeoutMs: 2000 });
    assert.equal(a.status, 200);
    assert.equal(a.headers.get('content-type'), 'application/octet-stream');
    assert.deepEqual(a.body, bytes);
  });

  test('the time bound covers the whole body: an answer cut off midway fails as "timeout"', async () => {
    const { addr } = await serve((_r, _b, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"half": '); // and never the rest
    });
    const client = new InternalClient();
    const e = await client.exchange('GET', client.url(addr, '/status'), { timeoutMs: 200 }).catch((x: unknown) => x);
    assert.equal(failureOf(e), 'timeout');
  });
});
