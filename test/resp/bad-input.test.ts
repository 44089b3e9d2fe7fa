// Bad input on the Redis port: broken frames, clients that vanish mid-pipeline,
// and random bytes. The node keeps serving every other connection.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { TestCluster, sleep } from '../helpers/test-cluster.js';
import { RespTestClient, frame, plain } from '../helpers/resp-client.js';

describe('bad input on the RESP port', () => {
  let c: TestCluster;
  let leader: string;
  let port: number;

  before(async () => {
    c = await TestCluster.start({ maxBodyBytes: 4096 });
    leader = await c.waitForLeader();
    port = c.respPort(leader);
  });
  after(async () => {
    await c?.stop();
  });

  for (const [name, bytes, error] of [
    ['a non-numeric multibulk count', '*x\r\n', 'ERR Protocol error: invalid multibulk length'],
    ['a negative bulk length', '*1\r\n$-3\r\n', 'ERR Protocol error: invalid bulk length'],
    ['a bulk string declared larger than the limit', '*1\r\n$999999\r\n', 'ERR Protocol error: invalid bulk length'],
    ['a wrong bulk length', '*1\r\n$3\r\nPINGG\r\n', 'ERR Protocol error: expected CRLF after a bulk string'],
    ['a missing CRLF', '*1\r\n$4\r\nPINGxx', 'ERR Protocol error: expected CRLF after a bulk string'],
    ['unbalanced quotes inline', 'SET "a b\r\n', 'ERR Protocol error: unbalanced quotes in request'],
  ] as const) {
    test(`${name}: commands before it are answered, then the error, then the connection closes`, async () => {
      const cl = await RespTestClient.connect(port);
      cl.write(Buffer.concat([frame('SET', 'before-error', '1'), frame('PING'), Buffer.from(bytes, 'latin1')]));
      assert.deepEqual((await cl.replies(3)).map(plain), ['OK', 'PONG', { error }]);
      await cl.closed;
      const other = await RespTestClient.connect(port);
      assert.equal(await other.one('GET', 'before-error'), '1');
      other.close();
    });
  }

  test('a client that closes mid-pipeline: its complete commands still apply, the node serves on', async () => {
    const cl = await RespTestClient.connect(port);
    const pipeline = Buffer.concat(Array.from({ length: 50 }, () => frame('INCR', 'mid-pipeline')).concat([frame('SET', 'mid', 'x')]));
    // Everything but the last 5 bytes: the SET is cut in half.
    cl.write(pipeline.subarray(0, pipeline.length - 5));
    cl.close();
    const other = await RespTestClient.connect(port);
    await c.waitFor(async () => (await other.one('GET', 'mid-pipeline')) === '50', 5000, 'the 50 INCRs');
    assert.equal(await other.one('EXISTS', 'mid'), 0);
    other.close();
  });

  test('a client that half-closes after its pipeline still gets every answer', async () => {
    const cl = await RespTestClient.connect(port);
    cl.socket.end(Buffer.concat([frame('SET', 'half', 'v'), frame('GET', 'half')]));
    assert.deepEqual((await cl.replies(2)).map(plain), ['OK', 'v']);
    await cl.closed;
  });

  test('property: random bytes on some connections never disturb valid pipelines on others', async () => {
    const deadline = Date.now() + 45_000;
    let round = 0;
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.array(fc.constantFrom('*', '$', '1', '2', '-1', '\r\n', 'SET', 'GET', 'k', ' ', '"', '9999999'), { minLength: 1, maxLength: 40 }).map((a) => Buffer.from(a.join(''))),
    );
    const cmd = fc.oneof(
      fc.tuple(fc.constantFrom('SET'), fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 50 })).map(([n, k, v]) => {
        // A prefix no garbage command can name.
        const key = Buffer.concat([Buffer.from('good:'), k]);
        return { args: [n, key, Buffer.from(v)], key, value: Buffer.from(v) };
      }),
      fc.constant({ args: ['PING'], key: undefined, value: undefined }),
    );
    await fc.assert(
      fc.asyncProperty(garbage, fc.array(cmd, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), async (noise, cmds, cuts) => {
        if (Date.now() > deadline) return;
        round++;
        const bad = await RespTestClient.connect(port);
        const good = await RespTestClient.connect(port);
        try {
          bad.write(noise);
          // The valid pipeline, SETs each followed by a GET of its key, split at random points.
          const bytes = Buffer.concat(cmds.flatMap((x) => (x.key ? [frame(...x.args), frame('GET', x.key)] : [frame(...x.args)])));
          const points = [...new Set(cuts.map((n) => n % bytes.length))].sort((a, b) => a - b);
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            good.write(bytes.subarray(prev, p));
            prev = p;
            await sleep(0);
          }
          const expected = cmds.flatMap((x) => (x.key ? [{ status: 'OK' }, x.value] : [{ status: 'PONG' }]));
          const got = await good.replies(expected.length);
          assert.deepEqual(got.map((r) => (Buffer.isBuffer(r) ? r.toString('hex') : r)), expected.map((r) => (Buffer.isBuffer(r) ? r.toString('hex') : r)));
        } finally {
          bad.close();
          good.close();
        }
      }),
      { numRuns: 60 },
    );
    assert.ok(round > 0);
    // The node is alive and answers a fresh connection.
    const fresh = await RespTestClient.connect(port);
    assert.equal(await fresh.one('PING'), 'PONG');
    fresh.close();
    assert.equal((await c.launcher.statuses()).get(leader)?.role, 'leader');
  });
});
