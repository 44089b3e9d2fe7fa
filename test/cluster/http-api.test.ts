// The HTTP API of a real 3-node cluster (worker threads, TCP, SQLite, uWS),
// including every curl example of the README.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawHttp } from '../helpers/raw-http.js';
import { TestCluster, http, writeMany } from '../helpers/test-cluster.js';

describe('HTTP API on a 3-node cluster', () => {
  let c: TestCluster;
  let leader: string;
  let follower: string;

  before(async () => {
    c = await TestCluster.start({ maxBodyBytes: 4096 });
    leader = await c.waitForLeader();
    follower = c.followers(leader)[0]!;
  });
  after(async () => {
    await c?.stop();
  });

  test('README: set a key on one node, read it on another (hraftd example)', async () => {
    // curl -XPOST localhost:11000/key -d '{"user1": "batman"}'; curl -XGET localhost:11001/key/user1
    const set = await http('POST', c.url('node0', '/key'), { user1: 'batman' });
    assert.equal(set.status, 200);
    const get = await http('GET', c.url('node1', '/key/user1'));
    assert.equal(get.status, 200);
    assert.equal(get.text, '{"user1":"batman"}');
  });

  test('a write on the leader is readable on every node at every level', async () => {
    assert.equal((await http('POST', c.url(leader, '/key'), { a: '1', b: '2' })).status, 200);
    for (const id of c.launcher.ids) {
      assert.deepEqual((await http('GET', c.url(id, '/key/a'))).json, { a: '1' });
      await c.waitFor(async () => (await http('GET', c.url(id, '/key/b?level=stale'))).json?.b === '2', 5000, `stale read on ${id}`);
    }
    assert.deepEqual((await http('GET', c.url(leader, '/key/b?level=leader'))).json, { b: '2' });
    // level=leader on a follower is answered by the leader.
    assert.deepEqual((await http('GET', c.url(follower, '/key/b?level=leader'))).json, { b: '2' });
  });

  test('writes sent to a follower are forwarded to the leader', async () => {
    const r = await http('POST', c.url(follower, '/key'), { fwd: 'yes' });
    assert.equal(r.status, 200);
    assert.deepEqual((await http('GET', c.url(leader, '/key/fwd?level=leader'))).json, { fwd: 'yes' });
  });

  test('many concurrent writes to a follower are forwarded (in batches) and each lands once', async () => {
    const acked = await writeMany(c.url(follower, ''), 'many-', 300, 64);
    assert.equal(acked.length, 300);
    for (const key of ['many-0', 'many-150', 'many-299']) assert.equal((await http('GET', c.url(leader, `/key/${key}`))).json[key], `v${key.slice(5)}`);
  });

  test('the internal forwarding endpoint refuses a request without the cluster token (403), and writes nothing', async () => {
    for (const headers of [{}, { 'x-raftkv-cluster-token': 'not-the-token-of-this-cluster' }] as Record<string, string>[]) {
      const r = await http('POST', c.url(leader, '/internal/propose'), [{ cmd: { op: 'set', kv: [['forged', 'y']] } }], false, headers);
      assert.equal(r.status, 403);
      assert.equal(r.json.code, 'RAFTKV_ERR_FORBIDDEN');
    }
    const join = await http('POST', c.url(leader, '/join'), { id: 'intruder', addr: '127.0.0.1:1', http: '127.0.0.1:2' });
    assert.equal(join.status, 403);
    assert.equal((await http('GET', c.url(leader, '/key/forged'))).status, 404);
    assert.deepEqual((await http('GET', c.url(leader, '/status'))).json.voters.includes('intruder'), false);
  });

  test('POST /internal/propose [{"cmd":{"op":"set","kv":[["k",true]]}}], even from a member, is refused before the log; every node keeps serving', async () => {
    const forged = [
      { cmd: { op: 'set', kv: [['k', true]] } },
      { cmd: { op: 'set', kv: [['\u0000member/ghost', '{}']] } },
      { cmd: { op: 'nope' } },
      { c: 'someone-else', s: -1, cmd: { op: 'del', keys: ['x'] } },
      { cmd: { op: 'set', kv: [['fine', 'yes']] } },
    ];
    const r = await http('POST', c.url(leader, '/internal/propose'), forged, false, c.memberHeaders);
    assert.equal(r.status, 200);
    const codes = (r.json.results as { code?: string }[]).map((a) => a.code ?? 'ok');
    assert.deepEqual(codes, ['RAFTKV_ERR_BAD_REQUEST', 'RAFTKV_ERR_BAD_REQUEST', 'RAFTKV_ERR_BAD_REQUEST', 'RAFTKV_ERR_BAD_REQUEST', 'ok']);
    for (const id of c.launcher.ids) {
      assert.equal(c.launcher.stateOf(id), 'alive', id);
      assert.equal((await http('POST', c.url(id, '/key'), { [`after-${id}`]: 'v' })).status, 200, id);
      assert.deepEqual((await http('GET', c.url(id, '/key/fine'))).json, { fine: 'yes' });
      assert.equal((await http('GET', c.url(id, '/key/k'))).status, 404);
    }
  });

  test('the internal forwarding endpoint refuses what is not a batch of commands', async () => {
    const r = await http('POST', c.url(leader, '/internal/propose'), { cmd: { op: 'set', kv: [['x', 'y']] } }, false, c.memberHeaders);
    assert.equal(r.status, 400);
    assert.match(r.json.error, /array of commands/);
  });

  test('a forwarded command retried after a lost answer is applied once (client session)', async () => {
    const env = { c: 'test-client', s: 1, a: 1, cmd: { op: 'incr', key: 'counter', by: 5 } };
    const first = await http('POST', c.url(leader, '/internal/propose'), [env], false, c.memberHeaders);
    const retry = await http('POST', c.url(leader, '/internal/propose'), [env], false, c.memberHeaders);
    assert.deepEqual(first.json.results, [{ result: { ok: true, number: 5 } }]);
    assert.deepEqual(retry.json.results, [{ result: { ok: true, number: 5 } }]);
    assert.deepEqual((await http('GET', c.url(follower, '/key/counter'))).json, { counter: '5' });
  });

  test('delete removes a key; a missing key is a 404 with a JSON error', async () => {
    await http('POST', c.url(leader, '/key'), { gone: 'x' });
    const del = await http('DELETE', c.url(follower, '/key/gone'));
    assert.equal(del.status, 200);
    assert.equal(del.json.deleted, 1);
    const get = await http('GET', c.url(leader, '/key/gone'));
    assert.equal(get.status, 404);
    assert.equal(get.json.code, 'RAFTKV_ERR_NOT_FOUND');
  });

  test('raw values: PUT /key/:k and GET ?raw, and the /files aliases', async () => {
    assert.equal((await http('PUT', c.url(follower, '/key/blob'), 'raw bytes here', true)).status, 200);
    const raw = await http('GET', c.url(leader, '/key/blob?raw'));
    assert.equal(raw.text, 'raw bytes here');
    assert.equal(raw.headers.get('content-type'), 'application/octet-stream');
    assert.equal((await http('POST', c.url(leader, '/files/notes.txt'), 'line 1\nline 2', true)).status, 200);
    assert.equal((await http('GET', c.url(follower, '/files/notes.txt'))).text, 'line 1\nline 2');
  });

  test('every route is also served under /hraftd', async () => {
    assert.equal((await http('POST', c.url(follower, '/hraftd/key'), { h: 'v' })).status, 200);
    assert.deepEqual((await http('GET', c.url(leader, '/hraftd/key/h'))).json, { h: 'v' });
    assert.equal((await http('GET', c.url(leader, '/hraftd/status'))).json.id, leader);
  });

  test('compare-and-set swaps only from the expected value', async () => {
    const first = await http('POST', c.url(follower, '/cas'), { key: 'lock', expect: null, value: 'me' });
    assert.deepEqual(first.json, { ok: true, swapped: true, value: 'me' });
    const second = await http('POST', c.url(leader, '/cas'), { key: 'lock', expect: null, value: 'you' });
    assert.deepEqual(second.json, { ok: true, swapped: false, value: 'me' });
  });

  test('status, stats and cluster views', async () => {
    const st = (await http('GET', c.url(leader, '/status'))).json;
    assert.equal(st.role, 'leader');
    assert.deepEqual(st.voters, ['node0', 'node1', 'node2']);
    const stats = (await http('GET', c.url(follower, '/raft/stats'))).json;
    assert.equal(stats.state, 'Follower');
    assert.equal(stats.num_peers, '2');
    const cl = (await http('GET', c.url(follower, '/raft/cluster'))).json;
    assert.equal(cl.leader.id, leader);
    assert.equal(cl.current.id, follower);
    assert.equal(cl.servers.length, 3);
  });

  describe('bad input gets a clear error and changes nothing', () => {
    const bad = async (method: string, path: string, body: string | undefined, status: number, code: string, pattern?: RegExp) => {
      const r = await http(method, c.url(leader, path), body, true);
      assert.equal(r.status, status, r.text);
      assert.equal(r.json?.code, code, r.text);
      if (pattern) assert.match(r.json.error, pattern);
    };
    test('malformed JSON', () => bad('POST', '/key', '{"a": ', 400, 'RAFTKV_ERR_BAD_REQUEST', /malformed JSON/));
    test('a body that is not an object', () => bad('POST', '/key', '["a","b"]', 400, 'RAFTKV_ERR_BAD_REQUEST', /JSON object/));
    test('a non-string value', () => bad('POST', '/key', '{"n": 5}', 400, 'RAFTKV_ERR_BAD_REQUEST', /must be a string/));
    test('an empty key', () => bad('POST', '/key', '{"": "v"}', 400, 'RAFTKV_ERR_BAD_REQUEST', /empty/));
    test('an empty body', () => bad('POST', '/key', '', 400, 'RAFTKV_ERR_BAD_REQUEST', /empty/));
    test('an unknown route', () => bad('GET', '/nope', undefined, 404, 'RAFTKV_ERR_NOT_FOUND'));
    test('a wrong method', () => bad('PATCH', '/key/a', undefined, 405, 'RAFTKV_ERR_METHOD', /allowed: GET, PUT, DELETE/));
    test('an unknown read level', () => bad('GET', '/key/a?level=eventual', undefined, 400, 'RAFTKV_ERR_BAD_REQUEST', /read level/));
    test('malformed percent-encoding in a key', () => bad('GET', '/key/%E0%A4%A', undefined, 400, 'RAFTKV_ERR_BAD_REQUEST', /percent-encoding/));
    test('malformed percent-encoding like %zz', () => bad('GET', '/key/%zz', undefined, 400, 'RAFTKV_ERR_BAD_REQUEST', /percent-encoding/));
    test('a cross-site write (Origin of another host:port) is refused 403 and writes nothing; a same-origin one is served', async () => {
      const { host, port } = hostPort(c.launcher.entry(leader).http);
      const post = (origin: string, key: string) =>
        rawHttp(port, `POST /key HTTP/1.1\r\nHost: ${host}:${port}\r\nOrigin: ${origin}\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify({ [key]: 'v' }).length}\r\n\r\n${JSON.stringify({ [key]: 'v' })}`, 1, host);
      const evil = (await post('http://evil.example', 'csrf')).responses[0]!;
      assert.equal(evil.status, 403);
      assert.equal(JSON.parse(evil.body).code, 'RAFTKV_ERR_FORBIDDEN');
      assert.equal((await http('GET', c.url(leader, '/key/csrf'))).status, 404);
      assert.equal((await post(`http://${host}:${port}`, 'same-origin')).responses[0]!.status, 200);
      assert.deepEqual((await http('GET', c.url(leader, '/key/same-origin'))).json, { 'same-origin': 'v' });
    });
    test('a GET with a body is answered as a GET; a huge declared body is a 413 before it is read', async () => {
      const { host, port } = hostPort(c.launcher.entry(leader).http);
      const withBody = await rawHttp(port, `GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"x":"y"}GET /key/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n`, 2, host);
      assert.deepEqual(
        withBody.responses.map((r) => r.status),
        [200, 404],
      );
      const huge = await rawHttp(port, `PUT /key/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\nxx`, Infinity, host);
      assert.equal(huge.responses[0]?.status, 413);
      assert.equal((await http('GET', c.url(leader, '/key/huge'))).status, 404);
    });
    test('a body over the limit is a 413', async () => {
      const r = await http('POST', c.url(leader, '/key'), { big: 'x'.repeat(10_000) });
      assert.equal(r.status, 413);
      assert.equal(r.json.code, 'RAFTKV_ERR_TOO_LARGE');
      assert.equal((await http('GET', c.url(leader, '/key/big'))).status, 404);
    });
    test('a client that disconnects mid-request does no harm', async () => {
      const { host, port } = hostPort(c.launcher.entry(leader).http);
      for (let i = 0; i < 20; i++) {
        const s = net.connect(port, host);
        await new Promise((r) => s.once('connect', r));
        s.write(`POST /key HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"half":`);
        s.destroy();
      }
      assert.equal((await http('GET', c.url(leader, '/key/half'))).status, 404);
      assert.equal((await http('POST', c.url(leader, '/key'), { after: 'ok' })).status, 200);
    });
  });
});

function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}
