// Watch on a real 3-node cluster: GET /watch as Server-Sent Events and as a
// WebSocket, on any node; every change with its revision, resumable with
// from= (or Last-Event-ID) without loss or repeats, across a leader's death;
// a revision out of the node's window is answered `compacted`.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, http, sleep } from '../helpers/test-cluster.js';
import { watchSse, watchWs, type Change, type WatchStream } from '../helpers/watch-client.js';
import { RespTestClient, plain } from '../helpers/resp-client.js';

const HISTORY = 500;

describe('watch on a 3-node cluster', () => {
  let c: TestCluster;
  const streams: WatchStream[] = [];
  const sse = async (url: string, headers?: Record<string, string>): Promise<WatchStream> => {
    const s = await watchSse(url, headers);
    streams.push(s);
    return s;
  };
  const until = async (s: WatchStream, n: number, what: string): Promise<void> => c.waitFor(async () => s.events.length >= n, 10_000, what);

  before(async () => {
    c = await TestCluster.start({ watchHistory: HISTORY });
  });
  after(async () => {
    for (const s of streams) s.close();
    await c?.stop();
  });

  test('changes stream as SSE and over a WebSocket: put, delete and expire, by prefix, with revisions; resume with from= or Last-Event-ID', async () => {
    const leader = await c.waitForLeader();
    const [f1, f2] = c.followers(leader) as [string, string];
    const s = await sse(c.url(f1, '/watch?prefix=w/'));
    const ws = await watchWs(c.url(f2, '/watch?prefix=w/').replace('http:', 'ws:'));
    streams.push(ws);
    await http('POST', c.url(leader, '/key'), { 'w/a': '1', other: 'x' });
    await http('DELETE', c.url(f2, '/key/w%2Fa'));
    await http('POST', c.url(leader, '/key?ttl=0.2'), { 'w/t': 'soon' });
    await until(s, 4, 'four changes by SSE');
    await until(ws, 4, 'four changes by WebSocket');
    const shape = (e: Change): string => `${e.type} ${e.key} ${e.value}`;
    assert.deepEqual(s.events.map(shape), ['put w/a 1', 'delete w/a null', 'put w/t soon', 'expire w/t null']);
    assert.deepEqual(ws.events, s.events, 'both transports carry the same changes');
    const revs = s.events.map((e) => e.revision);
    assert.deepEqual(revs, [...revs].sort((a, b) => a - b));
    assert.equal(new Set(revs).size, revs.length);
    assert.equal(s.lastId, String(revs[3]));
    // from= the first revision: the rest again, from another node.
    const again = await sse(c.url(leader, `/watch?prefix=w/&from=${revs[0]}`));
    await until(again, 3, 'replay');
    assert.deepEqual(again.events, s.events.slice(1));
    // An EventSource resumes with Last-Event-ID.
    const resumed = await sse(c.url(f2, '/watch?prefix=w/'), { 'last-event-id': String(revs[1]) });
    await until(resumed, 2, 'resume by Last-Event-ID');
    assert.deepEqual(resumed.events, s.events.slice(2));
    for (const bad of ['/watch?from=-1', '/watch?from=x']) assert.equal((await http('GET', c.url(leader, bad))).status, 400, bad);
  });

  test('SUBSCRIBE and PSUBSCRIBE get keyspace notifications of every node, as notify-keyspace-events KEA does', async () => {
    const leader = await c.waitForLeader();
    const follower = c.followers(leader)[0]!;
    const sub = await RespTestClient.connect(c.respPort(follower));
    const w = await RespTestClient.connect(c.respPort(leader));
    try {
      assert.deepEqual(await sub.call(['SUBSCRIBE', '__keyspace@0__:ks1', '__keyevent@0__:expired']), [['subscribe', '__keyspace@0__:ks1', 1]]);
      assert.deepEqual((await sub.replies(1)).map(plain), [['subscribe', '__keyevent@0__:expired', 2]]);
      assert.deepEqual(await sub.call(['PSUBSCRIBE', '__keyspace@0__:ks*']), [['psubscribe', '__keyspace@0__:ks*', 3]]);
      assert.deepEqual(await sub.call(['GET', 'ks1']), [{ error: "ERR Can't execute 'get': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context" }]);
      await w.call(['SET', 'ks1', 'a'], ['DEL', 'ks1'], ['SET', 'ks2', 'b', 'PX', '100']);
      const got = (await sub.replies(7)).map(plain);
      assert.deepEqual(got, [
        ['message', '__keyspace@0__:ks1', 'set'],
        ['pmessage', '__keyspace@0__:ks*', '__keyspace@0__:ks1', 'set'],
        ['message', '__keyspace@0__:ks1', 'del'],
        ['pmessage', '__keyspace@0__:ks*', '__keyspace@0__:ks1', 'del'],
        ['pmessage', '__keyspace@0__:ks*', '__keyspace@0__:ks2', 'set'],
        ['pmessage', '__keyspace@0__:ks*', '__keyspace@0__:ks2', 'expired'],
        ['message', '__keyevent@0__:expired', 'ks2'],
      ]);
      assert.deepEqual(await sub.call(['UNSUBSCRIBE']), [['unsubscribe', '__keyspace@0__:ks1', 2]]);
      assert.deepEqual((await sub.replies(1)).map(plain), [['unsubscribe', '__keyevent@0__:expired', 1]]);
      assert.deepEqual(await sub.call(['PUNSUBSCRIBE'], ['GET', 'ks1']), [['punsubscribe', '__keyspace@0__:ks*', 0], null]);
    } finally {
      sub.close();
      w.close();
    }
  });

  test('a watch from a revision out of the window is answered compacted, with the oldest revision served', async () => {
    const leader = await c.waitForLeader();
    const start = (await http('GET', c.url(leader, '/status'))).json.applied as number;
    for (let i = 0; i < 3; i++) {
      const body: Record<string, string> = {};
      for (let k = 0; k < 300; k++) body[`fill/${i}/${k}`] = 'v';
      assert.equal((await http('POST', c.url(leader, '/key'), body)).status, 200);
    }
    for (const id of c.launcher.ids) {
      await c.waitFor(async () => (await http('GET', c.url(id, `/watch?from=${start}`))).status === 410, 10_000, `${id} compacted ${start}`);
      const r = await http('GET', c.url(id, `/watch?from=${start}`));
      assert.equal(r.json.code, 'RAFTKV_ERR_COMPACTED');
      assert.ok(r.json.oldest > start, `oldest ${r.json.oldest}`);
      // The oldest revision it names can be served.
      const ok = await sse(c.url(id, `/watch?from=${r.json.oldest}`));
      ok.close();
      const ws = await watchWs(c.url(id, `/watch?from=${start}`).replace('http:', 'ws:'));
      await ws.done;
      assert.equal(ws.error?.code, 'RAFTKV_ERR_COMPACTED');
    }
  });

  test('a watcher on a follower across a killed leader gets every acknowledged write exactly once, in order; a resume elsewhere continues it', async () => {
    const leader = await c.waitForLeader();
    const [watched, writerNode] = c.followers(leader) as [string, string];
    const s = await sse(c.url(watched, '/watch?prefix=fo-'));
    const acked: string[] = [];
    let killedAt = -1;
    let n = 0;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (killedAt < 0 || acked.length - killedAt < 30)) {
      const key = `fo-${++n}`;
      const r = await fetch(c.url(writerNode, '/key'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [key]: `v${n}` }) }).catch(() => undefined);
      if (r) await r.arrayBuffer();
      if (r?.ok) acked.push(key);
      else await sleep(20);
      if (killedAt < 0 && acked.length >= 30) {
        await c.launcher.stopNode(leader);
        killedAt = acked.length;
      }
    }
    assert.ok(killedAt > 0 && acked.length - killedAt >= 30, `${acked.length} writes acknowledged, ${killedAt} before the leader died`);
    const last = acked[acked.length - 1]!;
    await c.waitFor(async () => s.events.some((e) => e.key === last), 10_000, 'the last write to reach the watcher');
    const keys = s.events.map((e) => e.key);
    assert.equal(new Set(keys).size, keys.length, 'no change twice');
    const revs = s.events.map((e) => e.revision);
    assert.deepEqual(revs, [...revs].sort((a, b) => a - b), 'in revision order');
    const ackedSet = new Set(acked);
    assert.deepEqual(
      keys.filter((k) => ackedSet.has(k)),
      acked,
      'every acknowledged write, once, in the order acknowledged',
    );
    // Resume on the other survivor from the middle: exactly the rest.
    const mid = s.events[Math.floor(s.events.length / 2)]!;
    const rest = await sse(c.url(writerNode, `/watch?prefix=fo-&from=${mid.revision}`));
    const expected = s.events.filter((e) => e.revision > mid.revision);
    await until(rest, expected.length, 'the resumed watch');
    assert.deepEqual(rest.events, expected);
    await c.launcher.startNode(leader);
  });

  test('the data types: one change per key and command, with its revision, type and Redis event name; deletes and expiries too; keyspace notifications name them', async () => {
    const leader = await c.waitForLeader();
    const follower = c.followers(leader)[0]!;
    const s = await sse(c.url(follower, '/watch?prefix=wt:'));
    const sub = await RespTestClient.connect(c.respPort(follower));
    const w = await RespTestClient.connect(c.respPort(leader));
    try {
      assert.deepEqual(await sub.call(['PSUBSCRIBE', '__keyevent@0__:*']), [['psubscribe', '__keyevent@0__:*', 1]]);
      await w.call(
        ['HSET', 'wt:h', 'a', '1', 'b', '2'],
        ['RPUSH', 'wt:l', 'x'],
        ['LPOP', 'wt:l'],
        ['SADD', 'wt:s', 'm'],
        ['ZADD', 'wt:z', '1', 'm'],
        ['RENAME', 'wt:z', 'wt:z2'],
        ['DEL', 'wt:s'],
        ['SET', 'wt:str', 'v'],
        ['COPY', 'wt:str', 'wt:copy'],
        ['PEXPIRE', 'wt:h', '150'],
      );
      await until(s, 11, 'the changes of the data types');
      const shape = (e: Change): string => `${e.type} ${e.key} ${e.valueType ?? ''} ${e.event ?? ''}`.trim();
      // The LPOP emptied the list: a delete. The expiry of the hash comes once its deadline passed (reaped by the leader).
      assert.deepEqual(s.events.map(shape), [
        'put wt:h hash hset',
        'put wt:l list rpush',
        'delete wt:l',
        'put wt:s set sadd',
        'put wt:z zset zadd',
        'delete wt:z  rename_from',
        'put wt:z2 zset rename_to',
        'delete wt:s',
        'put wt:str',
        'put wt:copy  copy_to',
        'expire wt:h',
      ]);
      const revs = s.events.map((e) => e.revision);
      assert.deepEqual(revs, [...revs].sort((a, b) => a - b), 'in revision order');
      // A revision a put carried is the key's revision, on any node.
      const z2 = (await http('GET', c.url(leader, '/key/wt:z2?revision'))).json;
      assert.equal(z2.revision, s.events[6]!.revision);
      // A string put by COPY: its value too.
      assert.equal(s.events[9]!.value, 'v');
      assert.equal(z2.type, 'zset');
      // The subscriber hears every key: a node restarted by the test before may still be applying the fo- writes.
      const events: string[] = [];
      while (events.length < 11) {
        const [m] = (await sub.replies(1)).map(plain) as string[][];
        if (String(m![3]).startsWith('wt:')) events.push(`${String(m![2]).slice('__keyevent@0__:'.length)} ${m![3]}`);
      }
      assert.deepEqual(events, ['hset wt:h', 'rpush wt:l', 'del wt:l', 'sadd wt:s', 'zadd wt:z', 'rename_from wt:z', 'rename_to wt:z2', 'del wt:s', 'set wt:str', 'copy_to wt:copy', 'expired wt:h']);
    } finally {
      sub.close();
      w.close();
    }
  });
});
