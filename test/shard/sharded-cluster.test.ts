// A sharded cluster from the shipped cluster.sharded.json (moved to free
// ports): 2 Raft groups of 3 nodes behind the router. Keys land on the shard
// that owns their slot, hash tags keep keys together, misrouted keys and
// cross-shard writes are refused, and a shard's leader dying costs the
// other shard nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { performance } from 'node:perf_hooks';
import { DEFAULT_LIMITS } from '../../src/common/limits.js';
import { COMMANDS } from '../../src/resp/commands/index.js';
import { Router } from '../../src/shard/router.js';
import { routerFront } from '../../src/shard/router-front.js';
import { keySlot } from '../../src/common/slots.js';
import { rawHttp } from '../helpers/raw-http.js';
import { http, sleep } from '../helpers/test-cluster.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { ShardedTestCluster, onFreePorts, readShippedShardedConfig } from '../helpers/sharded-cluster.js';

let c: ShardedTestCluster;

before(async () => {
  c = await ShardedTestCluster.start({ raw: await onFreePorts(readShippedShardedConfig()) });
  await c.waitForLeaders();
});

after(async () => {
  await c?.stop();
});

const shardOfSlot = (slot: number): string => (slot <= 8191 ? 's0' : 's1');

/** `n` keys with `prefix` that hash to `shard`. */
function keysOn(shard: string, prefix: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) if (shardOfSlot(keySlot(`${prefix}${i}`)) === shard) keys.push(`${prefix}${i}`);
  return keys;
}

test('keys land on the shard that owns their slot, and only there', async () => {
  const keys = Array.from({ length: 40 }, (_, i) => `user:${i}`);
  for (const k of keys) assert.equal((await http('POST', c.routerUrl('/key'), { [k]: `v-${k}` })).status, 200, k);
  const owners = new Set(keys.map((k) => shardOfSlot(keySlot(k))));
  assert.deepEqual([...owners].sort(), ['s0', 's1'], 'the keys spread over both shards');
  for (const k of keys) {
    const owner = shardOfSlot(keySlot(k));
    for (const id of c.launcher.ids) {
      const r = await http('GET', c.nodeUrl(id, `/key/${encodeURIComponent(k)}`));
      if (c.launcher.shardOf(id) === owner) assert.deepEqual(r.json, { [k]: `v-${k}` }, `${k} on ${id}`);
      else {
        assert.equal(r.status, 421, `${k} refused on ${id} of the other shard`);
        assert.equal(r.json.code, 'RAFTKV_ERR_WRONG_SHARD');
        assert.equal(r.json.shard, owner);
      }
    }
  }
  // And nothing else is stored anywhere: each node holds exactly its shard's keys (this runs first, on empty shards).
  for (const id of c.launcher.ids) {
    const mine = keys.filter((k) => shardOfSlot(keySlot(k)) === c.launcher.shardOf(id)).length;
    assert.equal((await http('GET', c.nodeUrl(id, '/status'))).json.keys, mine, `${id} holds the ${mine} keys of its shard`);
  }
});

test('a misrouted key is refused on a node, leader or follower, naming the shard that owns it', async () => {
  const leaders = await c.waitForLeaders();
  const key = 'foo'; // slot 12182: shard s1
  for (const id of c.nodesOf('s0')) {
    const w = await http('POST', c.nodeUrl(id, '/key'), { [key]: 'x' });
    assert.equal(w.status, 421, `${id} (${leaders.get('s0') === id ? 'leader' : 'follower'}): ${w.text}`);
    assert.equal(w.json.code, 'RAFTKV_ERR_WRONG_SHARD');
    assert.match(w.json.error, /slot 12182, owned by shard s1 \(slots 8192-16383\)/);
    assert.equal(w.json.slot, 12182);
    assert.equal((await http('POST', c.nodeUrl(id, '/cas'), { key, expect: null, value: 'y' })).status, 421);
    assert.equal((await http('DELETE', c.nodeUrl(id, `/key/${key}`))).status, 421);
    assert.equal((await http('GET', c.nodeUrl(id, `/mget?k=bar&k=${key}`))).status, 421);
  }
  // A write of several keys with one misrouted is refused whole.
  const s0Key = keysOn('s0', 'whole-', 1)[0]!;
  assert.equal((await http('POST', c.nodeUrl(leaders.get('s0')!, '/key'), { [s0Key]: 'a', [key]: 'b' })).status, 421);
  assert.equal((await http('GET', c.nodeUrl(leaders.get('s0')!, `/key/${s0Key}`))).status, 404);
});

test('a misrouted key is refused on a node\'s Redis port too, reads included', async () => {
  const leader = (await c.waitForLeaders()).get('s0')!;
  const resp = c.launcher.entry(leader).resp!;
  const client = await RespTestClient.connect(Number(resp.slice(resp.lastIndexOf(':') + 1)));
  try {
    const [set, get, mget] = await client.call(['SET', 'foo', 'x'], ['GET', 'foo'], ['MGET', 'bar', 'foo']);
    for (const reply of [set, get, mget]) assert.match(JSON.stringify(reply), /WRONGSHARD .*slot 12182, owned by shard s1/);
  } finally {
    client.close();
  }
});

test('the router speaks RESP: a pipeline spanning both shards lands on each owner; cross-shard MSET is refused', async () => {
  const leaders = await c.waitForLeaders();
  const addr = c.router!.respAddr!;
  const client = await RespTestClient.connect(Number(addr.slice(addr.lastIndexOf(':') + 1)));
  try {
    const s0 = keysOn('s0', 'resp-', 2);
    const s1 = keysOn('s1', 'resp-', 2);
    // One pipeline, writes to both shards, then reads of the same keys: in order, each read sees the writes before it.
    const replies = await client.call(['SET', s0[0]!, 'a'], ['SET', s1[0]!, 'b'], ['INCR', s0[1]!], ['MGET', s0[0]!, s1[0]!, s0[1]!, 'missing'], ['PING']);
    assert.deepEqual(replies, ['OK', 'OK', 1, ['a', 'b', '1', null], 'PONG']);
    // Each key is on the shard that owns it.
    assert.deepEqual((await http('GET', c.nodeUrl(leaders.get('s1')!, `/key/${s1[0]}`))).json, { [s1[0]!]: 'b' });
    assert.deepEqual((await http('GET', c.nodeUrl(leaders.get('s0')!, `/key/${s0[0]}`))).json, { [s0[0]!]: 'a' });
    const [cross] = await client.call(['MSET', s0[1]!, 'x', s1[1]!, 'y']);
    assert.match(JSON.stringify(cross), /CROSSSLOT/);
    // A pipeline's writes go as one batch per shard: one command spanning shards refuses the batch, as a misrouted key does on a node.
    const [alsoRefused, refused] = await client.call(['SET', s0[0]!, 'changed'], ['MSET', s0[1]!, 'x', s1[1]!, 'y']);
    assert.match(JSON.stringify(alsoRefused), /CROSSSLOT/);
    assert.match(JSON.stringify(refused), /CROSSSLOT/);
    const [tagged, got] = await client.call(['MSET', '{t}a', '1', '{t}b', '2'], ['MGET', s0[0]!, s0[1]!, s1[1]!, '{t}a', '{t}b']);
    assert.equal(tagged, 'OK');
    assert.deepEqual(got, ['a', '1', null, '1', '2'], 'nothing of the refused writes was written');
  } finally {
    client.close();
  }
});

test('GET "" and every read of an empty or too long key through the router\'s Redis port: errors, and the router and every node keep serving', async () => {
  const addr = c.router!.respAddr!;
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  const client = await RespTestClient.connect(port);
  const earlier = [...keysOn('s0', 'hostile-', 1), ...keysOn('s1', 'hostile-', 1)];
  try {
    assert.deepEqual(await client.call(...earlier.map((k) => ['SET', k, `v-${k}`])), ['OK', 'OK']);
    // The issue's reproduction: this stopped the whole process.
    assert.deepEqual(await client.call(['GET', ''], ['PING']), [{ error: 'ERR the key is empty' }, 'PONG']);
    const tooLong = 'k'.repeat(DEFAULT_LIMITS.maxKeyBytes + 1);
    for (const cmd of [...COMMANDS.values()].filter((x) => x.kind === 'read' && x.keys[0] > 0)) {
      for (const [key, error] of [
        ['', 'ERR the key is empty'],
        [tooLong, `ERR the key is longer than ${DEFAULT_LIMITS.maxKeyBytes} bytes (limits.maxKeyBytes)`],
      ] as const) {
        // As many words as the command takes (HGET key field...), the bad key at its first key position.
        const words: string[] = Array.from({ length: Math.max(2, Math.abs(cmd.arity)) }, () => '0');
        words[0] = cmd.name;
        words[cmd.keys[0]] = key;
        assert.deepEqual(await client.call(words, ['PING']), [{ error }, 'PONG'], `${cmd.name} of a key of ${key.length} bytes`);
      }
    }
    // HTTP to the router's Redis port runs nothing.
    await assert.rejects(fetch(`http://${addr}/`, { method: 'POST', body: 'SET fetched-via-router 1\r\n' }));
    assert.equal(await client.one('EXISTS', 'fetched-via-router'), 0);
  } finally {
    client.close();
  }
  const again = await RespTestClient.connect(port);
  try {
    assert.deepEqual(await again.one('MGET', ...earlier), earlier.map((k) => `v-${k}`));
  } finally {
    again.close();
  }
  for (const id of c.launcher.ids) {
    assert.equal(c.launcher.stateOf(id), 'alive', id);
    const resp = c.launcher.entry(id).resp!;
    const node = await RespTestClient.connect(Number(resp.slice(resp.lastIndexOf(':') + 1)));
    try {
      // A follower forwards the write to its shard's leader; the key is one of the node's own shard.
      const [key] = keysOn(c.launcher.shardOf(id)!, `alive-${id}-`, 1);
      assert.equal(await node.one('SET', key!, 'yes'), 'OK', id);
    } finally {
      node.close();
    }
  }
});

test('the data types through the router: writes land on each owner, reads come back typed, multi-key commands follow the same-slot rule', async () => {
  const addr = c.router!.respAddr!;
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  const client = await RespTestClient.connect(port);
  const blocked = await RespTestClient.connect(port);
  try {
    const [h0] = keysOn('s0', 'typed-h-', 1);
    const [l1] = keysOn('s1', 'typed-l-', 1);
    const replies = await client.call(
      ['HSET', h0!, 'f', 'v', 'g', 'w'], ['RPUSH', l1!, 'a', 'b'], ['SADD', '{t}s1', 'x', 'y'], ['SADD', '{t}s2', 'y'], ['ZADD', '{t}z', '2', 'b', '1', 'a'],
      ['HGETALL', h0!], ['LRANGE', l1!, '0', '-1'], ['SINTER', '{t}s1', '{t}s2'], ['ZRANGE', '{t}z', '0', '-1', 'WITHSCORES'], ['TYPE', h0!], ['TYPE', l1!], ['GET', h0!],
    );
    assert.deepEqual(replies, [2, 2, 2, 1, 2, ['f', 'v', 'g', 'w'], ['a', 'b'], ['y'], ['a', '1', 'b', '2'], 'hash', 'list', { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }]);
    const [crossMove] = await client.call(['LMOVE', l1!, h0!, 'LEFT', 'LEFT']);
    assert.match(JSON.stringify(crossMove), /CROSSSLOT/);
    const [crossStore] = await client.call(['SINTERSTORE', h0!, '{t}s1']);
    assert.match(JSON.stringify(crossStore), /CROSSSLOT/);
    assert.deepEqual(await client.call(['SINTERSTORE', '{t}dest', '{t}s1', '{t}s2'], ['LLEN', l1!]), [1, 2], 'the refused LMOVE moved nothing');
    assert.deepEqual((await http('GET', c.routerUrl(`/key/${h0}`))).json, { [h0!]: { f: 'v', g: 'w' } });
    // A blocking pop through the router is served by a push that lands on the shard.
    const waiting = blocked.call(['BLPOP', '{t}q', '5']);
    await sleep(200);
    assert.deepEqual(await client.call(['RPUSH', '{t}q', 'job']), [1]);
    assert.deepEqual(await waiting, [['{t}q', 'job']]);
  } finally {
    client.close();
    blocked.close();
  }
});

test('hash tags keep keys on one shard: a multi-key write of tagged keys is atomic there', async () => {
  const following = '{user1000}.following';
  const followers = '{user1000}.followers';
  assert.equal(keySlot(following), keySlot(followers));
  const r = await http('POST', c.routerUrl('/key'), { [following]: 'a,b', [followers]: 'c' });
  assert.equal(r.status, 200, r.text);
  const owner = c.nodesOf(shardOfSlot(keySlot(following)))[0]!;
  assert.deepEqual((await http('GET', c.nodeUrl(owner, `/mget?k=${encodeURIComponent(following)}&k=${encodeURIComponent(followers)}`))).json, { [following]: 'a,b', [followers]: 'c' });
  // Different keys of one shard (different slots) may be written together too.
  const [a, b] = keysOn('s1', 'same-shard-', 2);
  assert.equal((await http('POST', c.routerUrl('/key'), { [a!]: '1', [b!]: '2' })).status, 200);
});

test('a write of keys on several shards is refused (CROSSSLOT) and nothing of it is written', async () => {
  const [a] = keysOn('s0', 'cross-', 1);
  const [b] = keysOn('s1', 'cross-', 1);
  const r = await http('POST', c.routerUrl('/key'), { [a!]: '1', [b!]: '2' });
  assert.equal(r.status, 400, r.text);
  assert.equal(r.json.code, 'RAFTKV_ERR_CROSSSLOT');
  assert.match(r.json.error, /one shard/);
  assert.match(r.json.error, /hash tag/);
  for (const k of [a!, b!]) assert.equal((await http('GET', c.routerUrl(`/key/${k}`))).status, 404);
});

test('the router serves the node API: reads at every level, delete, cas, raw values, multi-key reads gathered across shards', async () => {
  const [a] = keysOn('s0', 'api-', 1);
  const [b] = keysOn('s1', 'api-', 1);
  assert.equal((await http('POST', c.routerUrl('/key'), { [a!]: 'A' })).status, 200);
  assert.equal((await http('PUT', c.routerUrl(`/key/${b}`), 'B raw', true)).status, 200);
  for (const level of ['stale', 'leader', 'linearizable']) assert.deepEqual((await http('GET', c.routerUrl(`/key/${a}?level=${level}`))).json, { [a!]: 'A' }, level);
  assert.equal((await http('GET', c.routerUrl(`/key/${b}?raw`))).text, 'B raw');
  assert.equal((await http('GET', c.routerUrl(`/key/${a}?level=soon`))).status, 400);
  const m = await http('GET', c.routerUrl(`/mget?k=${a}&k=${b}&k=absent-key`));
  assert.deepEqual(m.json, { [a!]: 'A', [b!]: 'B raw', 'absent-key': null });
  assert.deepEqual((await http('POST', c.routerUrl('/mget'), { keys: [b, a] })).json, { [b!]: 'B raw', [a!]: 'A' });
  assert.deepEqual((await http('POST', c.routerUrl('/cas'), { key: a, expect: 'A', value: 'A2' })).json, { ok: true, swapped: true, value: 'A2' });
  assert.deepEqual((await http('POST', c.routerUrl('/cas'), { key: a, expect: 'A', value: 'A3' })).json, { ok: true, swapped: false, value: 'A2' });
  assert.deepEqual((await http('DELETE', c.routerUrl(`/key/${b}`))).json, { ok: true, deleted: 1 });
  const gone = await http('GET', c.routerUrl(`/key/${b}`));
  assert.equal(gone.status, 404);
  assert.equal(gone.json.code, 'RAFTKV_ERR_NOT_FOUND');
  assert.equal((await http('POST', c.routerUrl('/key'), { [a!]: 7 })).status, 400);
  assert.equal((await http('GET', c.routerUrl('/nowhere'))).status, 404);
});

test('the router refuses hostile HTTP as a node does: malformed percent-encoding, cross-site writes', async () => {
  const bad = await http('GET', c.routerUrl('/key/%zz'));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'RAFTKV_ERR_BAD_REQUEST');
  const addr = new URL(c.routerUrl('/')).host;
  const body = JSON.stringify({ 'csrf-key': 'v' });
  const evil = await rawHttp(Number(addr.split(':')[1]), `POST /key HTTP/1.1\r\nHost: ${addr}\r\nOrigin: http://evil.example\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  assert.equal(evil.responses[0]?.status, 403);
  assert.equal((await http('GET', c.routerUrl('/key/csrf-key'))).status, 404);
});

test("POST /set takes the old distributor's {clave, valor} and {key, value}", async () => {
  const r1 = await http('POST', c.routerUrl('/set'), { clave: 'foo', valor: 'uno' });
  assert.deepEqual(r1.json, { ok: true, shard: 's1' });
  const r2 = await http('POST', c.routerUrl('/set'), { key: 'bar', value: 'dos' });
  assert.deepEqual(r2.json, { ok: true, shard: 's0' });
  assert.deepEqual((await http('GET', c.routerUrl('/mget?k=foo&k=bar'))).json, { foo: 'uno', bar: 'dos' });
  assert.equal((await http('POST', c.routerUrl('/set'), { clave: 'foo' })).status, 400);
});

test('GET /shards shows slot ranges, members, leaders and terms', async () => {
  const leaders = await c.waitForLeaders();
  const v = (await http('GET', c.routerUrl('/shards'))).json;
  assert.equal(v.slots, 16384);
  assert.deepEqual(v.shards.map((s: { id: string; slots: string }) => [s.id, s.slots]), [['s0', '0-8191'], ['s1', '8192-16383']]);
  for (const s of v.shards) {
    assert.equal(s.leader, leaders.get(s.id));
    assert.ok(s.term >= 1);
    assert.deepEqual(s.members.map((m: { id: string }) => m.id), c.nodesOf(s.id));
    assert.equal(s.members.filter((m: { role: string }) => m.role === 'leader').length, 1);
  }
});

test('killing the leader of shard 0 under writes to both shards: shard 1 never notices, shard 0 recovers through the router', async (t) => {
  const leaders = await c.waitForLeaders();
  const victim = leaders.get('s0')!;
  const failures = { s0: 0, s1: 0 };
  const acked: string[] = [];
  let stop = false;
  let killedAt = 0;
  let dead = false;
  let recoveredMs: number | undefined;
  const writer = async (shard: 's0' | 's1', w: number): Promise<void> => {
    const keys = keysOn(shard, `kill-${w}-`, 400);
    for (let i = 0; !stop && i < keys.length; i++) {
      // Only a write sent once the old leader is gone shows the new one at work.
      const afterKill = dead;
      const r = await http('POST', c.routerUrl('/key'), { [keys[i]!]: 'v' }).catch(() => undefined);
      if (r?.status === 200) {
        acked.push(keys[i]!);
        if (shard === 's0' && afterKill && recoveredMs === undefined) recoveredMs = performance.now() - killedAt;
      } else failures[shard]++;
    }
  };
  const load = [writer('s0', 0), writer('s0', 1), writer('s1', 2), writer('s1', 3)];
  await sleep(300);
  killedAt = performance.now();
  await c.launcher.killNode(victim);
  dead = true;
  // Bounded in time: the new leader must take shard 0's writes well within 10 s.
  const deadline = Date.now() + 10_000;
  while (recoveredMs === undefined && Date.now() < deadline) await sleep(20);
  await sleep(300);
  stop = true;
  await Promise.all(load);
  assert.ok(recoveredMs !== undefined, 'shard 0 took writes again after its leader died');
  assert.equal(failures.s1, 0, 'shard 1 lost no write');
  t.diagnostic(`shard 0 leader killed -> first write acknowledged through the router: ${recoveredMs!.toFixed(0)} ms; shard 0 writes failed meanwhile: ${failures.s0}`);
  const newLeaders = await c.waitForLeaders(10_000, [victim]);
  assert.notEqual(newLeaders.get('s0'), victim);
  assert.equal(newLeaders.get('s1'), leaders.get('s1'), 'shard 1 kept its leader');
  await c.launcher.startNode(victim);
  const values = await Promise.all(acked.map((k) => http('GET', c.routerUrl(`/key/${k}`))));
  values.forEach((r, i) => assert.equal(r.status, 200, acked[i]));
});

test('restarting the router loses nothing: a new router finds the leaders and every acknowledged write', async () => {
  const keys = Array.from({ length: 100 }, (_, i) => `restart-${i}`);
  for (const k of keys) assert.equal((await http('POST', c.routerUrl('/key'), { [k]: k })).status, 200);
  await c.stopRouter();
  // Let this process's HTTP client see its keep-alive connections to the old router close
  // (a POST on a connection the server already closed fails, whatever the server).
  await sleep(100);
  await c.startRouter();
  const values = await http('POST', c.routerUrl('/mget'), { keys });
  assert.equal(values.status, 200, values.text);
  for (const k of keys) assert.equal(values.json[k], k);
  // A write right after the restart, before any status poll, finds its way too.
  assert.equal((await http('POST', c.routerUrl('/key'), { 'after-restart': 'yes' })).status, 200);
});

test('the router as its fronts call it (router-front.ts): read, set, del, cas, propose, CROSSSLOT', async () => {
  const router = c.router!.router;
  assert.ok(router instanceof Router);
  const front = routerFront(router, () => ({ http: c.router!.httpAddr }));
  await router.set([['{t}a', '1'], ['{t}b', '2']]);
  const keys = ['{t}a', '{t}b', 'foo', 'nope'];
  const view = await front.read('linearizable', keys);
  assert.deepEqual(keys.map((k) => view.get(k)), ['1', '2', 'uno', undefined]);
  assert.equal((await front.read('stale', ['{t}a'])).get('{t}a'), '1');
  const cas = await front.propose({ op: 'cas', key: '{t}a', expect: '1', value: '10' });
  assert.deepEqual('swapped' in cas && { swapped: cas.swapped, value: cas.value }, { swapped: true, value: '10' });
  assert.deepEqual(await front.propose({ op: 'incr', key: '{t}n', by: 5 }), { ok: true, number: 5 });
  const del = await front.propose({ op: 'del', keys: ['{t}a', '{t}b', '{t}c'] });
  assert.equal('count' in del && del.count, 2);
  await assert.rejects(front.propose({ op: 'del', keys: ['foo', 'bar'] }), (e: Error & { code?: string }) => e.code === 'RAFTKV_ERR_CROSSSLOT');
  await assert.rejects(front.read('stale', ['']), (e: Error & { code?: string }) => e.code === 'RAFTKV_ERR_BAD_REQUEST');
});

test('the router merges scans of both shards in key order, and keeps a transaction in one slot', async () => {
  const keys = [...keysOn('s0', 'scan-', 30), ...keysOn('s1', 'scan-', 30)];
  for (const k of keys) assert.equal((await http('POST', c.routerUrl('/key'), { [k]: `v-${k}` })).status, 200, k);
  const sorted = [...keys].sort();
  const paged: string[] = [];
  let after: string | undefined;
  for (;;) {
    const r = await http('GET', c.routerUrl(`/keys?prefix=scan-&limit=7${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`));
    assert.equal(r.status, 200, r.text);
    paged.push(...(r.json.keys as string[]));
    if (!r.json.more) break;
    after = r.json.next;
  }
  assert.deepEqual(paged, sorted, 'every key once, in order, across both shards');
  const range = await http('GET', c.routerUrl(`/range?from=${sorted[10]}&to=${sorted[20]}`));
  assert.deepEqual(
    range.json.kvs.map((kv: { key: string; value: string }) => [kv.key, kv.value]),
    sorted.slice(10, 20).map((k) => [k, `v-${k}`]),
  );
  const [a, b] = [keysOn('s0', 'tx-', 1)[0]!, keysOn('s1', 'tx-', 1)[0]!];
  const cross = await http('POST', c.routerUrl('/txn'), { success: [{ put: { key: a, value: '1' } }, { put: { key: b, value: '1' } }] });
  assert.equal(cross.status, 400, cross.text);
  assert.equal(cross.json.code, 'RAFTKV_ERR_CROSSSLOT');
  const tagged = await http('POST', c.routerUrl('/txn'), { compare: [{ key: '{t}a', target: 'exists', result: 'equal', exists: false }], success: [{ put: { key: '{t}a', value: '1' } }, { put: { key: '{t}b', value: '2' } }] });
  assert.deepEqual(tagged.json, { succeeded: true, results: [{ put: {} }, { put: {} }] });
  const respAddr = c.router!.respAddr!;
  const r = await RespTestClient.connect(Number(respAddr.slice(respAddr.lastIndexOf(':') + 1)));
  try {
    assert.match(((await r.one('KEYS', '*')) as { error: string }).error, /KEYS is not served by the router/);
    assert.deepEqual(await r.call(['MULTI'], ['SET', a, 'x'], ['SET', b, 'y'], ['EXEC']), ['OK', 'QUEUED', 'QUEUED', { error: `CROSSSLOT keys of one transaction must hash to one slot: ${JSON.stringify(a)} is in slot ${keySlot(a)}, ${JSON.stringify(b)} in slot ${keySlot(b)}; a hash tag keeps keys together, e.g. {user1}.name and {user1}.email` }]);
  } finally {
    r.close();
  }
});
