// Hostile input never stops a node: malformed control requests get JSON
// errors and change nothing, and an exception nobody catches in a node's
// thread is logged while the node goes on serving.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_CONTROL_BODY, startControlServer, type ControlServer } from '../../src/cluster/control-server.js';
import { TestCluster, http } from '../helpers/test-cluster.js';
import { rawHttp, sendAndLeave } from '../helpers/raw-http.js';

describe('the control API and node threads under hostile input', () => {
  let c: TestCluster;
  let control: ControlServer;
  let hooksBefore: string | undefined;

  before(async () => {
    // The crash-test hooks exist only with this set, in the launcher and (inherited) in every node thread.
    hooksBefore = process.env.RAFTKV_TEST_HOOKS;
    process.env.RAFTKV_TEST_HOOKS = '1';
    c = await TestCluster.start();
    control = await startControlServer(c.launcher, '127.0.0.1', 0);
    await c.waitForLeader();
    await writeThrough('node0', 'earlier', 'data');
  });
  after(async () => {
    await control?.close();
    await c?.stop();
    if (hooksBefore === undefined) delete process.env.RAFTKV_TEST_HOOKS;
    else process.env.RAFTKV_TEST_HOOKS = hooksBefore;
  });

  /** A write through `id` that succeeds (on a loaded machine a first try may time out: it is tried again). */
  const writeThrough = (id: string, key: string, value: string): Promise<void> =>
    c.waitFor(async () => (await http('POST', c.url(id, '/key'), { [key]: value }).catch(() => undefined))?.status === 200, 15_000, `a write through ${id}`);
  const api = (method: string, path: string, body?: unknown) => http(method, `http://127.0.0.1:${control.port}${path}`, body);
  const rawApi = (method: string, path: string, body: string) =>
    http(method, `http://127.0.0.1:${control.port}${path}`, body, true, { 'content-type': 'application/json' });

  /** Launcher alive, every node alive, a write through every node, the data from before intact. */
  const everythingServes = async (tag: string): Promise<void> => {
    const st = await api('GET', '/status');
    assert.equal(st.status, 200);
    assert.deepEqual(
      st.json.nodes.map((n: { id: string; state: string }) => [n.id, n.state]),
      c.launcher.ids.map((id) => [id, 'alive']),
    );
    for (const id of c.launcher.ids) await writeThrough(id, `${tag}-${id}`, 'ok');
    for (const id of c.launcher.ids) assert.deepEqual((await http('GET', c.url(id, '/key/earlier'))).json, { earlier: 'data' });
  };

  test('the reproduction: GET /status/% is a 400, and everything goes on serving', async () => {
    const r = await rawHttp(control.port, `GET /status/% HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.equal(r.responses[0]?.status, 400);
    assert.match(JSON.parse(r.responses[0]!.body).error, /malformed percent-encoding/);
    await everythingServes('after-percent');
  });

  test('malformed paths: unknown commands, extra segments, wrong methods, missing or unknown nodes', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['GET', '/nope', 404, /no control command GET \/nope/],
      ['GET', '//', 404, /commands: GET \/status/],
      ['POST', '/', 405, /use GET/],
      ['POST', '/metrics', 405, /use GET/],
      ['GET', '/status/extra', 404, /takes no argument/],
      ['POST', '/kill/node0/extra', 404, /takes one argument/],
      ['GET', '/leader/a/b', 404, /takes one argument/],
      ['POST', '/status', 405, /use GET/],
      ['GET', '/kill/node0', 405, /use POST/],
      ['POST', '/kill', 400, /needs a node/],
      ['POST', '/kill/nobody', 404, /unknown node "nobody"/],
      ['POST', '/kill/%E0%A4%A', 400, /malformed percent-encoding/],
      ['GET', '/leader/s9', 404, /no shards/],
    ];
    for (const [method, path, status, error] of cases) {
      const r = await rawHttp(control.port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n`);
      assert.equal(r.responses[0]?.status, status, `${method} ${path}`);
      assert.equal(r.responses[0]!.headers['content-type'], 'application/json');
      assert.match(JSON.parse(r.responses[0]!.body).error, error, `${method} ${path}`);
    }
    await everythingServes('after-paths');
  });

  test('malformed bodies: not JSON, not an object, wrong field types, unknown fields', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['/partition', '{"groups": ', 400, /malformed JSON/],
      ['/partition', '[["node0"], ["node1"]]', 400, /must be a JSON object/],
      ['/partition', 'null', 400, /must be a JSON object/],
      ['/partition', '"node0"', 400, /must be a JSON object/],
      ['/partition', '{"groups": 5}', 400, /expected \{"groups"/],
      ['/partition', '{"groups": [["node0"]]}', 400, /at least two groups/],
      ['/partition', '{"groups": [["node0"], []]}', 400, /never empty/],
      ['/partition', '{"groups": [["node0"], [5]]}', 400, /groups\.1\.0/],
      ['/partition', '{"groups": [["node0"], ["node0", "node1"]]}', 400, /two groups/],
      ['/partition', '{"groups": [["node0"], ["nobody"]]}', 404, /unknown node/],
      ['/partition', '{"from": "node0"}', 400, /expected/],
      ['/partition', '{"from": 1, "to": 2}', 400, /expected/],
      ['/delay', '{"ms": "x"}', 400, /ms/],
      ['/delay', '{"ms": -1}', 400, /ms/],
      ['/delay', '{"ms": 1e12}', 400, /at most an hour/],
      ['/delay', '{"ms": 5, "nodes": "a"}', 400, /nodes/],
      ['/delay', '{"ms": 5, "nodes": []}', 400, /at least one node/],
      ['/delay', '{"ms": 5, "nodes": ["nobody"]}', 404, /unknown node/],
      ['/delay', '{"ms": 5, "extra": true}', 400, /extra/],
      ['/loss', '{"pct": 101}', 400, /pct/],
      ['/loss', '{}', 400, /pct/],
      ['/heal', '{"everything": true}', 400, /no body/],
      ['/kill/node0', '{"now": true}', 400, /no body/],
      ['/crash-test/node0', '{"kind": "meteor"}', 400, /kind/],
    ];
    for (const [path, body, status, error] of cases) {
      const r = await rawApi('POST', path, body);
      assert.equal(r.status, status, `${path} ${body}: ${r.text}`);
      assert.match(r.json.error, error, `${path} ${body}`);
    }
    // None of them changed anything.
    assert.deepEqual((await api('GET', '/status')).json.faults, { cuts: [], degraded: [] });
    // An empty body and {} are both "no body".
    assert.equal((await rawApi('POST', '/heal', '')).status, 200);
    assert.equal((await rawApi('POST', '/heal', '{}')).status, 200);
    await everythingServes('after-bodies');
  });

  test('a body over 64 KiB is a 413 without being read; one cut short by its client does nothing', async () => {
    // Declared: refused from the headers alone, and the connection closed.
    const declared = await rawHttp(control.port, `POST /delay HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${MAX_CONTROL_BODY + 1}\r\n\r\n{"ms":`, Infinity);
    assert.equal(declared.responses[0]?.status, 413);
    assert.match(JSON.parse(declared.responses[0]!.body).error, /exceeds the limit/);
    assert.ok(declared.closed);
    // Chunked: refused once it grows past the limit.
    const big = JSON.stringify({ ms: 1, nodes: Array.from({ length: 10_000 }, () => 'node0') });
    assert.ok(big.length > MAX_CONTROL_BODY);
    const chunked = await rawHttp(control.port, `POST /delay HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`, Infinity);
    assert.equal(chunked.responses[0]?.status, 413);
    // Cut short: the client leaves mid-body.
    for (let i = 0; i < 10; i++) await sendAndLeave(control.port, `POST /delay HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ms": 500`);
    // Garbage instead of HTTP.
    const garbage = await rawHttp(control.port, 'HELLO\r\n\r\n', Infinity);
    assert.equal(garbage.responses[0]?.status, 400);
    assert.deepEqual((await api('GET', '/status')).json.faults, { cuts: [], degraded: [] });
    await everythingServes('after-big');
  });

  test('an uncaught exception or unhandled rejection in a node thread is logged, and the node keeps serving', async () => {
    for (const kind of ['exception', 'rejection'] as const) {
      const r = await api('POST', '/crash-test/node1', { kind });
      assert.equal(r.status, 200, r.text);
      const logged = kind === 'exception' ? /uncaught exception \(a bug\); the node keeps serving/ : /unhandled rejection \(a bug\); the node keeps serving/;
      await c.waitFor(async () => c.logs.some((l) => l.id === 'node1' && l.level === 'error' && logged.test(l.msg) && /crash-test/.test(String(l.error))), 5000, `the ${kind} logged`);
    }
    assert.ok(!c.logs.some((l) => l.id === 'node1' && l.msg === 'node stopping'), 'node1 did not stop');
    await everythingServes('after-crash');
    assert.deepEqual((await http('GET', c.url('node1', '/key/after-crash-node0'))).json, { 'after-crash-node0': 'ok' });
  });
});
