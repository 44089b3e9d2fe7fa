// Transactions on a real 3-node cluster: MULTI/EXEC with WATCH over RESP
// and POST /txn in etcd's shape, each applied as one log entry.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { http } from '../helpers/test-cluster.js';
import { useRespCluster } from '../helpers/resp-cluster.js';
import type { RespTestClient } from '../helpers/resp-client.js';

describe('transactions on a 3-node cluster', () => {
  const h = useRespCluster();
  const resp = (id: string): Promise<RespTestClient> => h.resp(id);

  test('MULTI/EXEC queues and applies; WATCH makes EXEC answer nil when a watched key changed', async () => {
    const a = await resp(h.follower);
    const b = await resp(h.leader);
    assert.deepEqual(await a.call(['MULTI'], ['SET', 'm1', 'x'], ['INCR', 'm2'], ['GET', 'm1'], ['EXEC']), ['OK', 'QUEUED', 'QUEUED', 'QUEUED', ['OK', 1, 'x']]);
    // Untouched watched key: EXEC runs.
    assert.deepEqual(await a.call(['WATCH', 'm1'], ['MULTI'], ['SET', 'm1', 'y'], ['EXEC']), ['OK', 'OK', 'QUEUED', ['OK']]);
    // Changed by another client between WATCH and EXEC: nil, nothing applied.
    assert.deepEqual(await a.call(['WATCH', 'm1', 'm3'], ['GET', 'm1']), ['OK', 'y']);
    assert.equal(await b.one('SET', 'm1', 'theirs'), 'OK');
    assert.deepEqual(await a.call(['MULTI'], ['SET', 'm1', 'mine'], ['SET', 'm3', 'mine'], ['EXEC']), ['OK', 'QUEUED', 'QUEUED', null]);
    assert.deepEqual(await a.call(['GET', 'm1'], ['GET', 'm3']), ['theirs', null]);
    // A key created while watched aborts too; UNWATCH forgets; EXEC clears the watch.
    assert.deepEqual(await a.call(['WATCH', 'm4']), ['OK']);
    await b.one('SET', 'm4', 'new');
    assert.deepEqual(await a.call(['MULTI'], ['GET', 'm4'], ['EXEC']), ['OK', 'QUEUED', null]);
    assert.deepEqual(await a.call(['WATCH', 'm4'], ['UNWATCH']), ['OK', 'OK']);
    await b.one('SET', 'm4', 'newer');
    assert.deepEqual(await a.call(['MULTI'], ['GET', 'm4'], ['EXEC']), ['OK', 'QUEUED', ['newer']]);
  });

  test('errors: nested MULTI, EXEC/DISCARD without MULTI, EXECABORT after a refused command, WATCH inside MULTI', async () => {
    const a = await resp(h.follower);
    assert.deepEqual(await a.call(['EXEC'], ['DISCARD']), [{ error: 'ERR EXEC without MULTI' }, { error: 'ERR DISCARD without MULTI' }]);
    assert.deepEqual(await a.call(['MULTI'], ['MULTI'], ['SET', 'e1', 'v'], ['DISCARD'], ['GET', 'e1']), ['OK', { error: 'ERR MULTI calls can not be nested' }, 'QUEUED', 'OK', null]);
    const aborted = await a.call(['MULTI'], ['SET', 'e1', 'v'], ['SET', 'e1'], ['NOSUCH'], ['EXEC'], ['GET', 'e1']);
    assert.equal(aborted[0], 'OK');
    assert.equal(aborted[1], 'QUEUED');
    assert.match((aborted[2] as { error: string }).error, /wrong number of arguments/);
    assert.match((aborted[3] as { error: string }).error, /unknown command/);
    assert.deepEqual(aborted.slice(4), [{ error: 'EXECABORT Transaction discarded because of previous errors.' }, null]);
    assert.deepEqual(await a.call(['MULTI'], ['WATCH', 'x'], ['INCR', 'e2'], ['EXEC']), ['OK', { error: 'ERR WATCH inside MULTI is not allowed' }, 'QUEUED', [1]]);
    // A command that fails when it runs fails alone, as in Redis.
    assert.deepEqual(await a.call(['SET', 'e3', 'abc'], ['MULTI'], ['INCR', 'e3'], ['SET', 'e4', 'ok'], ['EXEC']), ['OK', 'OK', 'QUEUED', 'QUEUED', [{ error: 'ERR value is not an integer or out of range' }, 'OK']]);
    assert.deepEqual(await a.call(['MULTI'], ['EXEC']), ['OK', []]);
  });

  test('atomicity: a reader never sees half of an EXEC', async () => {
    const w = await resp(h.leader);
    const readers = await Promise.all([resp(h.follower), resp(h.leader)]);
    await readers[0]!.one('READLEVEL', 'stale');
    let stop = false;
    let torn = 0;
    let reads = 0;
    const readLoop = async (r: RespTestClient): Promise<void> => {
      while (!stop) {
        const [a, b] = (await r.one('MGET', 'atom-a', 'atom-b')) as (string | null)[];
        reads++;
        if (a !== b) torn++;
      }
    };
    const loops = readers.map(readLoop);
    const until = Date.now() + 1500;
    let i = 0;
    while (Date.now() < until) {
      i++;
      const r = await w.call(['MULTI'], ['SET', 'atom-a', String(i)], ['SET', 'atom-b', String(i)], ['EXEC']);
      assert.deepEqual(r[3], ['OK', 'OK']);
    }
    stop = true;
    await Promise.all(loops);
    assert.ok(i > 5 && reads > 5, `${i} transactions, ${reads} reads`);
    assert.equal(torn, 0, `${torn} of ${reads} reads saw half a transaction`);
  });

  test('POST /txn answers as etcd does, and bad bodies are refused with 400', async () => {
    await http('POST', h.c.url(h.leader, '/key'), { a: 'x' });
    const body = { compare: [{ key: 'a', target: 'value', result: 'equal', value: 'x' }], success: [{ put: { key: 'b', value: 'y' } }], failure: [{ get: { key: 'a' } }] };
    const r = await http('POST', h.c.url(h.follower, '/txn'), body);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { succeeded: true, results: [{ put: {} }] });
    const again = await http('POST', h.c.url(h.follower, '/txn'), { ...body, compare: [{ key: 'a', target: 'value', result: 'equal', value: 'nope' }] });
    assert.equal(again.json.succeeded, false);
    assert.equal(again.json.results[0].get.value, 'x');
    assert.ok(again.json.results[0].get.revision > 0);
    const rev = (await http('GET', h.c.url(h.follower, '/key/b?revision'))).json.revision;
    const cmp = await http('POST', h.c.url(h.leader, '/txn'), {
      compare: [
        { key: 'b', target: 'revision', result: 'equal', revision: rev },
        { key: 'nokey', target: 'exists', result: 'equal', exists: false },
        { key: 'a', target: 'value', result: 'greater', value: 'w' },
      ],
      success: [{ delete: { key: 'b' } }, { get: { key: 'b' } }, { put: { key: 'c', value: 'z', ttl: 100 } }],
    });
    assert.deepEqual(cmp.json, { succeeded: true, results: [{ delete: { deleted: 1 } }, { get: { key: 'b', value: null, revision: 0 } }, { put: {} }] });
    const ttl = (await http('GET', h.c.url(h.leader, '/key/c?ttl'))).json.ttl;
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    for (const bad of [
      { compare: 'x' },
      { compare: [{ key: 'a', target: 'size', result: 'equal' }] },
      { compare: [{ key: 'a', target: 'value', result: 'equal' }] },
      { compare: [{ key: 'a', target: 'revision', result: 'equal', revision: -1 }] },
      { success: [{ put: { key: 'a' } }] },
      { success: [{ put: { key: 'a', value: 'v' }, get: { key: 'a' } }] },
      { success: [{ range: { key: 'a' } }] },
      { success: [{ put: { key: '', value: 'v' } }] },
      { oops: [] },
    ]) {
      const res = await http('POST', h.c.url(h.leader, '/txn'), bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal(res.json.code, 'RAFTKV_ERR_BAD_REQUEST');
    }
  });

  test('an etcd-style CAS loop of 16 clients incrementing one counter ends at the right total', async () => {
    const ids = h.c.launcher.ids;
    const perClient = 8;
    let conflicts = 0;
    const client = async (n: number): Promise<void> => {
      const node = ids[n % ids.length]!;
      let done = 0;
      let seen: { value: number; revision: number } | undefined;
      while (done < perClient) {
        if (!seen) {
          const g = await http('GET', h.c.url(node, '/key/counter?revision'));
          seen = g.status === 404 ? { value: 0, revision: 0 } : { value: Number(g.json.value), revision: g.json.revision };
        }
        const r = await http('POST', h.c.url(node, '/txn'), {
          compare: [{ key: 'counter', target: 'revision', result: 'equal', revision: seen.revision }],
          success: [{ put: { key: 'counter', value: String(seen.value + 1) } }, { get: { key: 'counter' } }],
          failure: [{ get: { key: 'counter' } }],
        });
        if (r.status !== 200) {
          seen = undefined;
          continue;
        }
        const got = r.json.results[r.json.succeeded ? 1 : 0].get;
        seen = { value: Number(got.value ?? 0), revision: got.revision };
        if (r.json.succeeded) done++;
        else conflicts++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, i) => client(i)));
    const final = await http('GET', h.c.url(h.leader, '/key/counter'));
    assert.equal(final.json.counter, String(16 * perClient), `${conflicts} conflicts`);
  });

  test('MULTI/EXEC queues the data types (writes, reads, a blocking pop that does not block) in one entry; WATCH on a hash aborts EXEC when it changed', async () => {
    const a = await resp(h.follower);
    const b = await resp(h.leader);
    assert.deepEqual(
      await a.call(['MULTI'], ['HSET', 'mt:h', 'f', '1'], ['RPUSH', 'mt:l', 'x', 'y'], ['HINCRBY', 'mt:h', 'f', '2'], ['HGET', 'mt:h', 'f'], ['BLPOP', 'mt:l', '0'], ['BLPOP', 'mt:none', '0'], ['LRANGE', 'mt:l', '0', '-1'], ['TYPE', 'mt:h'], ['EXEC']),
      ['OK', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', [1, 2, 3, '3', ['mt:l', 'x'], null, ['y'], 'hash']],
    );
    // A WRONGTYPE inside EXEC is that command's answer; the others still apply (Redis's rule).
    assert.deepEqual(await a.call(['MULTI'], ['GET', 'mt:h'], ['SADD', 'mt:s', 'm'], ['EXEC']), ['OK', 'QUEUED', 'QUEUED', [{ error: 'WRONGTYPE Operation against a key holding the wrong kind of value' }, 1]]);
    // WATCH sees a change of an element of a hash, and of a list's content, as a change of the key.
    assert.deepEqual(await a.call(['WATCH', 'mt:h', 'mt:l']), ['OK']);
    assert.equal(await b.one('HSET', 'mt:h', 'g', 'theirs'), 1);
    assert.deepEqual(await a.call(['MULTI'], ['HSET', 'mt:h', 'g', 'mine'], ['EXEC']), ['OK', 'QUEUED', null]);
    assert.equal(await a.one('HGET', 'mt:h', 'g'), 'theirs');
    assert.deepEqual(await a.call(['WATCH', 'mt:l']), ['OK']);
    assert.equal(await b.one('LPOP', 'mt:l'), 'y');
    assert.deepEqual(await a.call(['MULTI'], ['RPUSH', 'mt:l', 'mine'], ['EXEC']), ['OK', 'QUEUED', null]);
    assert.equal(await a.one('EXISTS', 'mt:l'), 0);
    // Untouched: EXEC runs.
    assert.deepEqual(await a.call(['WATCH', 'mt:s'], ['MULTI'], ['SADD', 'mt:s', 'n'], ['SCARD', 'mt:s'], ['EXEC']), ['OK', 'OK', 'QUEUED', 'QUEUED', [1, 2]]);
    // POST /txn stays string-only, but sees the data types: exists and revision compares, delete, and a get that says why it has no value.
    const rev = (await http('GET', h.c.url(h.leader, '/key/mt:s?revision'))).json.revision;
    assert.ok(rev > 0);
    const t = await http('POST', h.c.url(h.follower, '/txn'), {
      compare: [{ key: 'mt:s', target: 'exists', result: 'equal', exists: true }, { key: 'mt:s', target: 'revision', result: 'equal', revision: rev }],
      success: [{ get: { key: 'mt:s' } }, { delete: { key: 'mt:s' } }],
    });
    assert.equal(t.status, 200);
    assert.equal(t.json.succeeded, true);
    assert.equal(t.json.results[0].get.error.code, 'RAFTKV_ERR_WRONGTYPE');
    assert.deepEqual(t.json.results[1], { delete: { deleted: 1 } });
    assert.equal(await a.one('EXISTS', 'mt:s'), 0);
  });
});
