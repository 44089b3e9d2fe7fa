// A secure cluster (TLS on every listener and link, users with tokens and
// roles) on free loopback ports, shared by every case: what each port asks
// of its callers, and that nothing without the CA, a certificate or a token
// gets in, while the cluster keeps working.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Front } from '../../src/api/front.js';
import { startControlServer, type ControlServer } from '../../src/cluster/control-server.js';
import type { ClusterConfig } from '../../src/cluster/config.js';
import { runCtl } from '../../src/cluster/ctl.js';
import { clusterIdentity } from '../../src/common/cluster-identity.js';
import { makeLogger } from '../../src/common/logger.js';
import { runNode, type RunningNode } from '../../src/start/run-node.js';
import { MessageType } from '../../src/raft/types.js';
import { Authenticator } from '../../src/security/auth.js';
import { issueLeaf, makeCa } from '../../src/security/dev-certs.js';
import { internalHttp } from '../../src/security/internal-http.js';
import { startRespFront } from '../../src/resp/server.js';
import { runRouter, type RunningRouter } from '../../src/start/run-router.js';
import { encodeBatchFrame, encodeHelloFrame } from '../../src/transport/codec.js';
import { freePorts } from '../../src/kit/ports.js';
import { Procs, until } from '../helpers/raftkv-processes.js';
import { TestCluster, http } from '../helpers/test-cluster.js';
import { RespTestClient, plain } from '../helpers/resp-client.js';
import { watchSse, watchWs, type WatchStream } from '../helpers/watch-client.js';

const run = promisify(execFile);
let c: TestCluster;
let leader: string;

before(async () => {
  c = await TestCluster.start({ nodes: 3, inMemory: true, secure: true });
  leader = await c.waitForLeader();
});
after(async () => {
  await c?.stop();
});

/** A request with exactly these headers (no default token), trusting the cluster CA. */
async function bare(method: string, url: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const res = await internalHttp(c.ca).fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

describe('HTTP front', () => {
  test('a token and the CA: a write through a follower (forwarded over https) reads back on every node', async () => {
    const follower = c.followers(leader)[0]!;
    const w = await http('POST', c.url(follower, '/key'), { secure1: 'v1' }, false, bearer(c.tokens!.rw));
    assert.equal(w.status, 200, w.text);
    for (const id of c.launcher.ids) {
      const r = await http('GET', c.url(id, '/key/secure1'), undefined, false, bearer(c.tokens!.ro));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.secure1, 'v1');
    }
  });

  test('no token: 401 with WWW-Authenticate; a wrong token: 401; nothing is written', async () => {
    const none = await bare('POST', c.url(leader, '/key'), { 'content-type': 'application/json' }, '{"nope":"1"}');
    assert.equal(none.status, 401);
    assert.equal(none.json.code, 'RAFTKV_ERR_UNAUTHENTICATED');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const wrong = await bare('GET', c.url(leader, '/key/secure1'), bearer(`${c.tokens!.admin}x`));
    assert.equal(wrong.status, 401);
    assert.equal((await bare('GET', c.url(leader, '/status'), { authorization: 'Basic bm9ib2R5Om5vdGhpbmc=' })).status, 401);
    const r = await http('GET', c.url(leader, '/key/nope'));
    assert.equal(r.status, 404, 'the refused write left nothing');
  });

  test('roles: readonly reads but does not write; readwrite writes but does not change membership; HTTP Basic names the user', async () => {
    const ro = bearer(c.tokens!.ro);
    assert.equal((await bare('GET', c.url(leader, '/status'), ro)).status, 200);
    assert.equal((await bare('POST', c.url(leader, '/mget'), ro, '{"keys":["secure1"]}')).status, 200, 'POST /mget is a read');
    const denied = await bare('POST', c.url(leader, '/key'), ro, '{"k":"v"}');
    assert.equal(denied.status, 403);
    assert.match(String(denied.json.error), /user "ro" \(role readonly\)/);
    const rw = bearer(c.tokens!.rw);
    assert.equal((await bare('POST', c.url(leader, '/raft/transfer-leadership'), rw, '{}')).status, 403);
    assert.equal((await bare('DELETE', c.url(leader, '/raft/remove'), rw, '{"id":"node2"}')).status, 403);
    assert.equal((await bare('POST', c.url(leader, '/join'), rw, '{"id":"x","addr":"127.0.0.1:1"}')).status, 403);
    const basic = { authorization: `Basic ${Buffer.from(`rw:${c.tokens!.rw}`).toString('base64')}` };
    assert.equal((await bare('PUT', c.url(leader, '/key/basic'), basic, 'b')).status, 200);
    const wrongUser = { authorization: `Basic ${Buffer.from(`ro:${c.tokens!.rw}`).toString('base64')}` };
    assert.equal((await bare('GET', c.url(leader, '/key/basic'), wrongUser)).status, 401, "rw's token is not ro's");
  });

  test('plaintext to the HTTPS port fails cleanly, and global fetch without the CA refuses the certificate', async () => {
    const plain = await fetch(`http://${c.launcher.entry(leader).http}/status`).then(
      (r) => `answered ${r.status}`,
      (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
    );
    assert.notEqual(plain.slice(0, 8), 'answered', 'plaintext got no HTTP answer');
    await assert.rejects(fetch(`https://${c.launcher.entry(leader).http}/status`));
    assert.equal((await http('GET', c.url(leader, '/status'))).status, 200, 'the node serves on');
  });
});

describe('a RESP front over TLS, on its own', () => {
  test('clients that hang up before their handshake are closed (close() ends at once); one that half-closes after PING still gets +PONG', async () => {
    const ca = await makeCa();
    const leaf = await issueLeaf(ca, { name: 'resp', hosts: ['127.0.0.1'], usage: 'server' });
    // PING touches no node.
    const front = await startRespFront({ host: '127.0.0.1', port: 0, front: {} as unknown as Front, logger: makeLogger(() => {}, 'error'), tls: leaf });
    let closed = false;
    try {
      const raw = await Promise.all(
        Array.from({ length: 20 }, () => new Promise<net.Socket>((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: front.port }, () => resolve(s));
          s.on('error', () => {});
        })),
      );
      for (const s of raw) s.destroy();
      const half = tls.connect({ host: '127.0.0.1', port: front.port, ca: ca.pem });
      half.allowHalfOpen = true;
      half.on('secureConnect', () => half.end('PING\r\n'));
      let got = '';
      half.on('data', (d: Buffer) => (got += d.toString()));
      await new Promise((r) => half.on('close', r));
      assert.equal(got, '+PONG\r\n');
      // A TLS server made half-open kept such connections for good (its handshake timer never fired): close() never ended.
      const closing = front.close().then(() => (closed = true));
      await Promise.race([closing, new Promise((r) => setTimeout(r, 5000))]);
      assert.ok(closed, 'the front closed within 5 s');
    } finally {
      // (Without the fix close() never ends, and this file's process stays up after reporting the failure.)
      if (!closed) void front.close();
    }
  });
});

describe('Redis protocol front', () => {
  const client = (id: string, extra: Record<string, unknown> = {}): Redis =>
    new Redis({ host: '127.0.0.1', port: c.respPort(id), tls: { ca: c.ca!, servername: 'localhost' }, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, ...extra });

  test('AUTH with a user and a token over TLS (ioredis): writes and reads; NOAUTH before, WRONGPASS for a wrong token, NOPERM for a readonly user', async () => {
    const rw = client(c.followers(leader)[0]!, { username: 'rw', password: c.tokens!.rw });
    const anon = client(leader);
    const ro = client(leader, { username: 'ro', password: c.tokens!.ro });
    try {
      await rw.connect();
      assert.equal(await rw.set('resp-secure', 'yes'), 'OK');
      assert.equal(await rw.get('resp-secure'), 'yes');
      await anon.connect();
      await assert.rejects(anon.get('resp-secure'), /^ReplyError: NOAUTH Authentication required\./);
      await assert.rejects(anon.ping(), /NOAUTH/);
      await assert.rejects(anon.call('AUTH', `${c.tokens!.admin}x`), /^ReplyError: WRONGPASS invalid username-password pair/);
      await assert.rejects(anon.call('AUTH', 'rw', c.tokens!.ro), /WRONGPASS/);
      await assert.rejects(anon.call('HELLO', '2'), /NOAUTH HELLO must be called/);
      assert.equal(await anon.call('AUTH', c.tokens!.admin), 'OK', 'one argument: the admin token (user default)');
      assert.equal(await anon.get('resp-secure'), 'yes');
      await ro.connect();
      assert.equal(await ro.get('resp-secure'), 'yes');
      await assert.rejects(ro.set('resp-secure', 'no'), /^ReplyError: NOPERM User ro has no permissions to run the 'set' command/);
      assert.equal(await rw.get('resp-secure'), 'yes');
    } finally {
      rw.disconnect();
      anon.disconnect();
      ro.disconnect();
    }
  });

  test('HELLO 2 AUTH logs in; AUTH pipelined with the commands after it applies to them', async () => {
    const s = tls.connect({ host: '127.0.0.1', port: c.respPort(leader), ca: c.ca!, servername: 'localhost' });
    try {
      await new Promise<void>((resolve, reject) => s.once('secureConnect', resolve).once('error', reject));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.write(`HELLO 2 AUTH rw ${c.tokens!.rw}\r\nSET piped 1\r\nGET piped\r\n`);
      await waitUntil(() => got.endsWith('$1\r\n1\r\n'), () => `replies so far: ${JSON.stringify(got)}`);
      assert.match(got, /^\*14\r\n/);
      assert.doesNotMatch(got, /NOAUTH/);
    } finally {
      s.destroy();
    }
  });

  test('redis-cli --tls --cacert with --user/--pass works; plaintext redis-cli to the TLS port fails cleanly', async (t) => {
    if (!(await run('redis-cli', ['--version']).then(() => true, () => false))) return t.skip('redis-cli is not installed (Debian: redis-tools)');
    const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-cli-'));
    try {
      writeFileSync(path.join(dir, 'ca.pem'), c.ca!);
      const base = ['--tls', '--cacert', path.join(dir, 'ca.pem'), '-h', '127.0.0.1', '-p', String(c.respPort(leader)), '--no-auth-warning'];
      assert.equal((await run('redis-cli', [...base, '--user', 'rw', '--pass', c.tokens!.rw, 'set', 'via-cli', 'ok'])).stdout.trim(), 'OK');
      assert.equal((await run('redis-cli', [...base, '--user', 'ro', '--pass', c.tokens!.ro, 'get', 'via-cli'])).stdout.trim(), 'ok');
      assert.match((await run('redis-cli', [...base, 'get', 'via-cli'])).stdout, /NOAUTH/);
      const plain = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(c.respPort(leader)), 'ping']).then(
        (r) => r.stdout + r.stderr,
        (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
      );
      assert.doesNotMatch(plain, /PONG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the other issues added obeys the roles', () => {
  test('HTTP: /keys, /range, /raft/stats, /raft/cluster and GET /db/K need a token (readonly will do); POST /db/K and /txn need readwrite; /metrics, /health and /readyz need none', async () => {
    assert.equal((await http('POST', c.url(leader, '/key'), { 'scan/a': '1' }, false, bearer(c.tokens!.rw))).status, 200);
    const ro = bearer(c.tokens!.ro);
    for (const p of ['/keys?prefix=scan/', '/range?start=scan/&end=scan0', '/raft/stats', '/raft/cluster', '/db/scan%2Fa']) {
      const none = await bare('GET', c.url(leader, p));
      assert.equal(none.status, 401, `GET ${p} without a token`);
      assert.equal((await bare('GET', c.url(leader, p), ro)).status, 200, `GET ${p} as readonly`);
    }
    assert.equal((await bare('POST', c.url(leader, '/db/raftd'), ro, 'v')).status, 403, 'POST /db/K as readonly');
    assert.equal((await bare('POST', c.url(leader, '/db/raftd'), bearer(c.tokens!.rw), 'v')).status, 200, 'POST /db/K as readwrite');
    const txn = JSON.stringify({ compare: [], success: [{ put: { key: 'txn-secure', value: '1' } }], failure: [] });
    assert.equal((await bare('POST', c.url(leader, '/txn'), { 'content-type': 'application/json' }, txn)).status, 401);
    assert.equal((await bare('POST', c.url(leader, '/txn'), { ...ro, 'content-type': 'application/json' }, txn)).status, 403);
    const ok = await bare('POST', c.url(leader, '/txn'), { ...bearer(c.tokens!.rw), 'content-type': 'application/json' }, txn);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal((await bare('GET', c.url(leader, '/key/txn-secure'), ro)).json['txn-secure'], '1');
    // As etcd serves /metrics and /health on its client URL: counters and health, never keys.
    for (const p of ['/metrics', '/health', '/readyz']) {
      const res = await internalHttp(c.ca).fetch(c.url(leader, p));
      await res.arrayBuffer();
      assert.equal(res.status, 200, `GET ${p} without a token`);
    }
  });

  test('GET /watch: as SSE and as a WebSocket, refused without a token (the socket before its handshake), streamed to a readonly user', async () => {
    const follower = c.followers(leader)[0]!;
    const client = internalHttp(c.ca);
    const streams: WatchStream[] = [];
    try {
      await assert.rejects(watchSse(c.url(follower, '/watch?prefix=wsec/'), {}, client.fetch), (e: { status?: number }) => e.status === 401);
      await assert.rejects(watchWs(c.url(follower, '/watch?prefix=wsec/').replace('https:', 'wss:'), { ca: c.ca! }), /401/);
      const sse = await watchSse(c.url(follower, '/watch?prefix=wsec/'), bearer(c.tokens!.ro), client.fetch);
      streams.push(sse);
      const ws = await watchWs(c.url(follower, '/watch?prefix=wsec/').replace('https:', 'wss:'), { ca: c.ca!, headers: bearer(c.tokens!.ro) });
      streams.push(ws);
      assert.equal((await http('POST', c.url(leader, '/key'), { 'wsec/a': '1' }, false, bearer(c.tokens!.rw))).status, 200);
      await c.waitFor(async () => sse.events.length >= 1 && ws.events.length >= 1, 10_000, 'the change on both streams');
      assert.deepEqual([sse.events[0]!.key, ws.events[0]!.key], ['wsec/a', 'wsec/a']);
    } finally {
      for (const s of streams) s.close();
    }
  });

  test('RESP: data-type writes, blocking pops, MULTI and (P)SUBSCRIBE need AUTH; readonly gets NOPERM for HSET, LPUSH, SADD, ZADD, BLPOP and a queued write (EXECABORT), and may subscribe', async () => {
    const port = c.respPort(leader);
    const anon = await RespTestClient.connectTls(port, c.ca!);
    const ro = await RespTestClient.connectTls(port, c.ca!);
    const rw = await RespTestClient.connectTls(port, c.ca!);
    try {
      const before = await anon.call(['HSET', 'h', 'f', 'v'], ['LPUSH', 'l', 'x'], ['BLPOP', 'l', '0.1'], ['MULTI'], ['SUBSCRIBE', '__keyspace@0__:n1'], ['PSUBSCRIBE', '__keyspace@0__:*']);
      for (const r of before) assert.match((r as { error: string }).error, /^NOAUTH/, JSON.stringify(before));
      assert.equal(await ro.one('AUTH', 'ro', c.tokens!.ro), 'OK');
      assert.equal(await rw.one('AUTH', 'rw', c.tokens!.rw), 'OK');
      for (const cmd of [['HSET', 'h', 'f', 'v'], ['LPUSH', 'l', 'x'], ['SADD', 's', 'm'], ['ZADD', 'z', '1', 'm'], ['BLPOP', 'l', '0.1'], ['BLMOVE', 'l', 'l2', 'LEFT', 'RIGHT', '0.1']]) {
        assert.match(((await ro.one(...cmd)) as { error: string }).error, /^NOPERM User ro has no permissions/, cmd.join(' '));
      }
      assert.deepEqual(await ro.call(['MULTI'], ['HSET', 'h', 'f', 'v'], ['EXEC']), [
        'OK',
        { error: "NOPERM User ro has no permissions to run the 'hset' command" },
        { error: 'EXECABORT Transaction discarded because of previous errors.' },
      ]);
      assert.equal(await rw.one('HSET', 'h', 'f', 'v'), 1);
      assert.deepEqual(await rw.call(['MULTI'], ['LPUSH', 'l', 'x'], ['EXEC']), ['OK', 'QUEUED', [1]]);
      assert.deepEqual(await rw.one('BLPOP', 'l', '0.1'), ['l', 'x']);
      assert.equal(await ro.one('HGET', 'h', 'f'), 'v', 'readonly reads a hash');
      assert.deepEqual(await ro.one('SUBSCRIBE', '__keyspace@0__:n1'), ['subscribe', '__keyspace@0__:n1', 1]);
      assert.equal(await rw.one('SET', 'n1', 'x'), 'OK');
      assert.deepEqual(plain((await ro.replies(1))[0]!), ['message', '__keyspace@0__:n1', 'set'], 'the readonly subscriber is notified');
    } finally {
      anon.close();
      ro.close();
      rw.close();
    }
  });
});

describe('peer port (mutual TLS)', () => {
  /** A Heartbeat from "node1" at a far higher term: obeyed, it would move every node to that term. */
  async function hostileFrames(): Promise<Buffer[]> {
    const st = (await http('GET', c.url(leader, '/status'))).json;
    const identity = clusterIdentity(c.launcher.clusterToken);
    const from = c.followers(leader)[0]!;
    return [encodeHelloFrame(from, identity), encodeBatchFrame([{ type: MessageType.Heartbeat, from, to: leader, term: st.term + 100, index: 0, logTerm: 0, commit: 0 }])];
  }

  async function refusedOn(id: string): Promise<number> {
    return (await http('GET', c.url(id, '/status'))).json.peerInput.refused as number;
  }

  test('no certificate, a certificate of another CA, or plaintext: refused in the handshake, even with the cluster token proof; the term never moves', async () => {
    const addr = c.launcher.entry(leader).raft;
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    const termBefore = (await http('GET', c.url(leader, '/status'))).json.term as number;
    const frames = await hostileFrames();
    const foreign = await makeCa();
    const stranger = await issueLeaf(foreign, { name: 'node1', hosts: ['127.0.0.1'], usage: 'server' });
    const attempts: [string, () => net.Socket][] = [
      ['no certificate', () => tls.connect({ host, port, ca: c.ca!, servername: 'localhost' })],
      ['another CA', () => tls.connect({ host, port, ca: c.ca!, servername: 'localhost', cert: stranger.cert, key: stranger.key })],
      ['plaintext', () => net.connect({ host, port })],
    ];
    for (const [what, open] of attempts) {
      const refused = await refusedOn(leader);
      const s = open();
      s.on('error', () => {});
      s.on('data', () => {});
      // Written at once: TLS sockets queue it until the handshake, which the node refuses.
      for (const f of frames) s.write(f);
      await new Promise<void>((resolve) => s.once('close', () => resolve()));
      await c.waitFor(async () => (await refusedOn(leader)) > refused, 10_000, `${what}: the refusal counted`);
    }
    const after = (await http('GET', c.url(leader, '/status'))).json;
    assert.equal(after.term, termBefore, 'no message got through');
    assert.equal(after.role, 'leader');
    assert.equal((await http('POST', c.url(leader, '/key'), { 'after-peers': '1' })).status, 200);
  });

  test('a node with the cluster token but a certificate of another CA never takes part: no Raft message of its is accepted, it never becomes a voter', async () => {
    const foreign = await makeCa();
    const ports = await freePorts(2);
    const addrs = { http: `127.0.0.1:${ports[0]}`, raft: `127.0.0.1:${ports[1]}` };
    const own = await issueLeaf(foreign, { name: 'intruder', hosts: ['127.0.0.1', 'localhost'], usage: 'server' });
    const refused = await refusedOn(leader);
    let intruder: RunningNode | undefined;
    try {
      intruder = await runNode(
        {
          id: 'intruder', dir: '.', inMemory: true, durability: 'os', addrs, clusterToken: c.launcher.clusterToken, join: [c.launcher.entry(leader).http],
          tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: 10_000, maxBodyBytes: 1 << 20,
          // It trusts the real CA (public), so its join request gets through; its own certificate is not the cluster's.
          tls: { ca: c.ca!, cert: own.cert, key: own.key },
        },
        makeLogger(() => {}, 'error'),
      );
      await c.waitFor(async () => (await refusedOn(leader)) > refused, 15_000, "the leader refusing the intruder's peer connections");
      // Its join makes it a learner; a promotion would be proposed right after
      // (it was, on a log shorter than 64 entries, from match 0): once a write
      // made after that has committed, so would the promotion have.
      const members = async (): Promise<string[]> => {
        const j = (await http('GET', c.url(leader, '/status'))).json as { voters: string[]; learners: string[] };
        return [...j.voters, ...j.learners];
      };
      await c.waitFor(async () => (await members()).includes('intruder'), 15_000, 'the intruder a member (learner or voter)');
      assert.equal((await http('POST', c.url(leader, '/key'), { 'with-intruder': '1' })).status, 200, 'the cluster keeps working');
      const st = (await http('GET', c.url(leader, '/status'))).json;
      assert.ok(!st.voters.includes('intruder'), `not a voter: ${JSON.stringify(st.voters)}`);
      assert.equal(intruder.node.status().applied, 0, 'it received no entry');
      assert.equal((await http('DELETE', c.url(leader, '/raft/remove'), { id: 'intruder' })).status, 200, 'an admin removes it');
    } finally {
      await intruder?.stop();
    }
  });
});

describe('control API and router', () => {
  let control: ControlServer;
  let router: RunningRouter;
  before(async () => {
    const { tls: material, auth } = c.launcher.security;
    control = await startControlServer(c.launcher, '127.0.0.1', 0, { tls: material!.launcher, auth: new Authenticator(auth!) });
    const config: ClusterConfig = { ...c.config, shards: [{ id: 's0', slots: [[0, 16383]], nodes: c.config.nodes }], router: { http: '127.0.0.1:0', resp: '127.0.0.1:0' } };
    router = await runRouter({ config, clusterToken: c.launcher.clusterToken, logger: makeLogger(() => {}, 'error'), tls: material!.launcher, auth: auth! });
  });
  after(async () => {
    await router?.stop();
    await control?.close();
  });

  test('the control API refuses a missing token (401) and a non-admin one (403); ctl with the CA and the admin token works', async () => {
    const addr = `127.0.0.1:${control.port}`;
    assert.equal((await bare('GET', `https://${addr}/status`)).status, 401);
    assert.equal((await bare('POST', `https://${addr}/kill/node0`, bearer(c.tokens!.rw))).status, 403);
    await assert.rejects(runCtl(addr, 'status', [], { ca: c.ca! }), /authentication required/);
    assert.match(await runCtl(addr, 'status', [], { ca: c.ca!, token: c.tokens!.admin }), /node0\s+alive/);
    assert.equal(c.launcher.stateOf('node0'), 'alive', 'the refused kill did nothing');
  });

  test('the dashboard and GET /events over https want the admin token: the login form, then a session cookie (HttpOnly, SameSite=Strict, Secure) for the page, the feed and the buttons; /metrics wants none', async () => {
    const base = `https://127.0.0.1:${control.port}`;
    const f = internalHttp(c.ca).fetch;
    const page = await f(`${base}/`);
    assert.equal(page.status, 401);
    assert.match(await page.text(), /<form method="post" action="\/login">/, 'GET / without a token: the login form');
    const feed = await f(`${base}/events`);
    assert.equal(feed.status, 401, 'GET /events without a token');
    await feed.arrayBuffer();
    const login = (token: string) => f(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}`, redirect: 'manual' });
    const refused = await login(c.tokens!.ro);
    assert.equal(refused.status, 401, 'a readonly token opens no session');
    assert.match(await refused.text(), /needs the admin token/);
    assert.equal(refused.headers.get('set-cookie'), null);
    const ok = await login(c.tokens!.admin);
    await ok.arrayBuffer();
    assert.equal(ok.status, 303);
    const cookie = ok.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^raftkv_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; .*Secure/);
    const session = { cookie: cookie.split(';')[0]! };
    const dash = await f(`${base}/`, { headers: session });
    assert.equal(dash.status, 200);
    assert.match(await dash.text(), /dashboard\/app\.js/);
    const ac = new AbortController();
    const events = await f(`${base}/events`, { headers: session, signal: ac.signal });
    assert.equal(events.status, 200);
    assert.match(events.headers.get('content-type') ?? '', /^text\/event-stream/);
    ac.abort();
    assert.equal((await bare('GET', `${base}/status`, session)).status, 200, 'the buttons: the control API with the cookie');
    // The key form: the control API passes it on to a node over https, as a member.
    const written = await bare('POST', `${base}/write`, { ...session, 'content-type': 'application/json' }, '{"key":"from-dashboard","value":"d1"}');
    assert.equal(written.status, 200, JSON.stringify(written.json));
    assert.equal((await bare('POST', `${base}/read`, { ...session, 'content-type': 'application/json' }, '{"key":"from-dashboard"}')).json.value, 'd1');
    assert.equal((await bare('POST', `${base}/heal`, { ...session, origin: 'https://evil.example' })).status, 403, 'not from another site');
    assert.equal((await bare('GET', `${base}/status`, { cookie: 'raftkv_session=forged' })).status, 401);
    const metrics = await f(`${base}/metrics`);
    assert.equal(metrics.status, 200, "the launcher's /metrics without a token");
    assert.match(await metrics.text(), /raftkv_/);
  });

  test("the router's /metrics needs no token, its /keys a readonly one", async () => {
    const url = `https://${router.httpAddr}`;
    const metrics = await internalHttp(c.ca).fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /raftkv_/);
    assert.equal((await bare('GET', `${url}/keys?prefix=routed`)).status, 401);
    assert.equal((await bare('GET', `${url}/keys?prefix=routed`, bearer(c.tokens!.ro))).status, 200);
  });

  test('raftkv router as its own process: TLS and token flags in both spellings, https to its shards; beyond loopback without them it is refused', async () => {
    const certs = path.join(c.dir, 'certs');
    const procs = new Procs();
    try {
      const [port] = await freePorts(1);
      const shard = `s0=${c.launcher.ids.map((id) => c.launcher.entry(id).http).join(',')}`;
      const flags = ['--tls-ca', path.join(certs, 'ca.pem'), '-tls-cert', path.join(certs, 'cluster.pem'), '--tls-key', path.join(certs, 'cluster-key.pem'), '-auth-token-file', path.join(certs, 'admin.token')];
      procs.raftkv('router', ['router', '--shard', shard, '--token', c.launcher.clusterToken, '--http', `127.0.0.1:${port}`, ...flags]);
      const url = `https://127.0.0.1:${port}`;
      await until('the router to see the shard led', async () => {
        const r = await bare('GET', `${url}/shards`, bearer(c.tokens!.admin)).catch(() => undefined);
        return (r?.json.shards as { leader: string | null }[] | undefined)?.[0]?.leader ? true : undefined;
      }, 30_000, () => procs.outputs());
      assert.equal((await bare('POST', `${url}/key`, { ...bearer(c.tokens!.admin), 'content-type': 'application/json' }, '{"via-router-proc":"1"}')).status, 200);
      assert.equal((await bare('GET', `${url}/key/via-router-proc`)).status, 401);
      assert.equal((await http('GET', c.url(leader, '/key/via-router-proc'))).json['via-router-proc'], '1', 'written through to the shard over https');
      const open = procs.raftkv('open', ['router', '--shard', shard, '--token', c.launcher.clusterToken, '--http', `0.0.0.0:${port + 1}`]);
      assert.equal(await open.exited, 1);
      assert.match(open.output(), /--tls-ca\/--tls-cert\/--tls-key/);
    } finally {
      await procs.stopAll();
    }
  });

  test('the router: https and RESP over TLS with a token; without one 401 / NOAUTH', async () => {
    const url = `https://${router.httpAddr}`;
    const w = await bare('POST', `${url}/key`, { ...bearer(c.tokens!.rw), 'content-type': 'application/json' }, '{"routed":"r1"}');
    assert.equal(w.status, 200, JSON.stringify(w.json));
    assert.equal((await bare('GET', `${url}/key/routed`, bearer(c.tokens!.ro))).json.routed, 'r1');
    assert.equal((await bare('GET', `${url}/key/routed`)).status, 401);
    const port = Number(router.respAddr!.slice(router.respAddr!.lastIndexOf(':') + 1));
    const r = new Redis({ host: '127.0.0.1', port, tls: { ca: c.ca!, servername: 'localhost' }, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await r.connect();
      await assert.rejects(r.get('routed'), /NOAUTH/);
      assert.equal(await r.call('AUTH', 'ro', c.tokens!.ro), 'OK');
      assert.equal(await r.get('routed'), 'r1');
    } finally {
      r.disconnect();
    }
  });
});

async function waitUntil(cond: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
