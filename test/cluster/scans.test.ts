// Key scans on a real 3-node cluster: GET /keys and /range paging through
// 10,000 keys in order, KEYS and DBSIZE, and SCAN's guarantee (a key present
// for the whole scan is returned at least once) under concurrent writes, as a
// property over random COUNTs and write mixes.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { http } from '../helpers/test-cluster.js';
import { useRespCluster } from '../helpers/resp-cluster.js';
import type { RespTestClient } from '../helpers/resp-client.js';

describe('scans on a 3-node cluster', () => {
  const h = useRespCluster();
  const resp = (id: string): Promise<RespTestClient> => h.resp(id);

  test('GET /keys and /range page through 10,000 keys in order, at every read level', async () => {
    const w = await resp(h.leader);
    const all: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const args = ['MSET'];
      for (let i = 0; i < 1000; i++) {
        const k = `page:${String(batch * 1000 + i).padStart(5, '0')}`;
        all.push(k);
        args.push(k, `v${batch * 1000 + i}`);
      }
      assert.equal(await w.one(...args), 'OK');
    }
    for (const level of ['linearizable', 'stale']) {
      const seen: string[] = [];
      let after = '';
      for (let pages = 0; ; pages++) {
        assert.ok(pages <= 11, 'at most 11 pages of 1000');
        const r = await http('GET', h.c.url(h.follower, `/keys?prefix=page:&limit=1000&level=${level}${after ? `&after=${after}` : ''}`));
        assert.equal(r.status, 200, r.text);
        seen.push(...(r.json.keys as string[]));
        if (!r.json.more) break;
        after = encodeURIComponent(r.json.next);
      }
      if (level === 'linearizable') assert.deepEqual(seen, all);
      else assert.deepEqual(seen, all.slice(0, seen.length), 'a stale page is a prefix of the keys, in order');
    }
    const range = await http('GET', h.c.url(h.leader, '/range?from=page:01000&to=page:01005&limit=3'));
    assert.deepEqual(
      range.json.kvs.map((kv: { key: string; value: string }) => `${kv.key}=${kv.value}`),
      ['page:01000=v1000', 'page:01001=v1001', 'page:01002=v1002'],
    );
    assert.equal(range.json.more, true);
    assert.ok(range.json.kvs.every((kv: { revision: number }) => kv.revision > 0));
    const rest = await http('GET', h.c.url(h.leader, `/range?from=page:01000&to=page:01005&after=${encodeURIComponent(range.json.next)}`));
    assert.deepEqual(rest.json.kvs.map((kv: { key: string }) => kv.key), ['page:01003', 'page:01004']);
    assert.equal(rest.json.more, false);
    for (const bad of ['/keys?limit=0', '/keys?limit=x', '/range?limit=100001', '/keys?level=nope']) assert.equal((await http('GET', h.c.url(h.leader, bad))).status, 400, bad);
    // DBSIZE is exact: the 10,000 keys and nothing else; an expired key stops counting at once.
    assert.equal(await w.one('DBSIZE'), 10_000);
    assert.deepEqual(await w.call(['SET', 'gone', 'v', 'PX', '1'], ['DBSIZE']), ['OK', 10_000]);
    assert.equal(await w.one('DEL', ...all), 10_000);
  });

  test('KEYS matches Redis glob patterns', async () => {
    const w = await resp(h.follower);
    await w.one('MSET', 'hello', '1', 'hallo', '2', 'hxllo', '3', 'hllo', '4', 'heeeello', '5', 'h[a]llo', '6');
    assert.deepEqual(await w.one('KEYS', 'h?llo'), ['hallo', 'hello', 'hxllo']);
    assert.deepEqual(await w.one('KEYS', 'h*llo'), ['h[a]llo', 'hallo', 'heeeello', 'hello', 'hllo', 'hxllo']);
    assert.deepEqual(await w.one('KEYS', 'h[ae]llo'), ['hallo', 'hello']);
    assert.deepEqual(await w.one('KEYS', 'h[^e]llo'), ['hallo', 'hxllo']);
    assert.deepEqual(await w.one('KEYS', 'h[a-b]llo'), ['hallo']);
    assert.deepEqual(await w.one('KEYS', 'h\\[a\\]llo'), ['h[a]llo']);
    assert.deepEqual(await w.call(['SCAN', 'nope'], ['SCAN', '0', 'COUNT', '0'], ['SCAN', '0', 'MATCH']), [{ error: 'ERR invalid cursor' }, { error: 'ERR syntax error' }, { error: 'ERR syntax error' }]);
    await w.one('DEL', 'hello', 'hallo', 'hxllo', 'hllo', 'heeeello', 'h[a]llo');
  });

  test('SCAN returns every key present for the whole scan, under concurrent writes (property)', async () => {
    const stable = Array.from({ length: 300 }, (_, i) => `stable:${i}`);
    const w = await resp(h.leader);
    await w.one('MSET', ...stable.flatMap((k) => [k, 'v']));
    const writer = await resp(h.leader);
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { minLength: 20, maxLength: 80 }), fc.constantFrom(h.leader, h.follower), async (count, churn, node) => {
        round++;
        const scanner = await resp(node);
        const seen = new Set<string>();
        let cursor = '0';
        let step = 0;
        do {
          // Between pages, keys come and go before and after the cursor.
          const [add, n] = churn[step++ % churn.length]!;
          const key = `churn:${round}:${n}`;
          await writer.one(...(add ? ['SET', key, 'v'] : ['DEL', key]));
          const [next, keys] = (await scanner.one('SCAN', cursor, 'COUNT', String(count))) as [string, string[]];
          for (const k of keys) seen.add(k);
          cursor = next;
        } while (cursor !== '0');
        scanner.close();
        const missing = stable.filter((k) => !seen.has(k));
        assert.deepEqual(missing, [], `COUNT ${count} on ${node}`);
      }),
      { numRuns: 6, seed: 15 },
    );
  });

  test('scans see keys of every type: KEYS, SCAN (TYPE filters), DBSIZE, EXISTS, GET /keys and /range (typed values as JSON with their type)', async () => {
    const w = await resp(h.leader);
    const before = (await w.one('DBSIZE')) as number;
    await w.call(['SET', 'ty:s', 'v'], ['HSET', 'ty:h', 'f', 'v'], ['RPUSH', 'ty:l', 'a', 'b'], ['SADD', 'ty:set', 'm'], ['ZADD', 'ty:z', '1.5', 'm']);
    const f = await resp(h.follower);
    await f.one('READLEVEL', 'linearizable');
    assert.deepEqual(await f.one('KEYS', 'ty:*'), ['ty:h', 'ty:l', 'ty:s', 'ty:set', 'ty:z']);
    assert.equal(await f.one('DBSIZE'), before + 5);
    assert.equal(await f.one('EXISTS', 'ty:s', 'ty:h', 'ty:l', 'ty:set', 'ty:z', 'ty:none'), 5);
    const scanAll = async (...opts: string[]): Promise<string[]> => {
      const out: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = (await f.one('SCAN', cursor, 'MATCH', 'ty:*', 'COUNT', '1000', ...opts)) as [string, string[]];
        out.push(...keys);
        cursor = next;
      } while (cursor !== '0');
      return out;
    };
    assert.deepEqual(await scanAll(), ['ty:h', 'ty:l', 'ty:s', 'ty:set', 'ty:z']);
    assert.deepEqual(await scanAll('TYPE', 'hash'), ['ty:h']);
    assert.deepEqual(await scanAll('TYPE', 'zset'), ['ty:z']);
    assert.deepEqual(await scanAll('TYPE', 'string'), ['ty:s']);
    const keys = (await http('GET', h.c.url(h.follower, '/keys?prefix=ty:'))).json;
    assert.deepEqual(keys.keys, ['ty:h', 'ty:l', 'ty:s', 'ty:set', 'ty:z']);
    const range = (await http('GET', h.c.url(h.follower, '/range?from=ty:&to=ty;'))).json;
    assert.deepEqual(
      range.kvs.map((e: { key: string; type?: string; value: unknown }) => [e.key, e.type, e.value]),
      [['ty:h', 'hash', { f: 'v' }], ['ty:l', 'list', ['a', 'b']], ['ty:s', undefined, 'v'], ['ty:set', 'set', ['m']], ['ty:z', 'zset', [['m', 1.5]]]],
    );
    for (const e of range.kvs as { revision: number }[]) assert.ok(e.revision > 0, 'every type has its revision');
    await w.one('DEL', 'ty:s', 'ty:h', 'ty:l', 'ty:set', 'ty:z');
    assert.deepEqual(await f.one('KEYS', 'ty:*'), []);
  });
});
