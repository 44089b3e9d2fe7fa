// Killing the leader's worker: the others elect a new leader and take
// writes; the old node, restarted from its data, catches up.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { TestCluster, http, writeMany } from '../helpers/test-cluster.js';

test('after the leader stops, a new leader takes writes and the old node catches up on restart', async () => {
  const c = await TestCluster.start();
  try {
    const old = await c.waitForLeader();
    const before = await writeMany(c.url(old, ''), 'before-', 200, 16);
    assert.equal(before.length, 200);
    await c.launcher.stopNode(old);
    const survivor = c.followers(old)[0]!;
    const leader = await c.waitForLeader(10_000, [old]);
    assert.notEqual(leader, old);
    const during = await writeMany(c.url(survivor, ''), 'during-', 200, 16);
    assert.equal(during.length, 200);
    await c.launcher.startNode(old);
    const commit = (await http('GET', c.url(leader, '/status'))).json.commit as number;
    await c.waitFor(async () => ((await http('GET', c.url(old, '/status'))).json?.applied ?? 0) >= commit, 10_000, `${old} to catch up`);
    for (const key of [...before, ...during]) {
      const r = await http('GET', c.url(old, `/key/${key}?level=stale`));
      assert.equal(r.status, 200, `${key} on the restarted node`);
    }
  } finally {
    await c.stop();
  }
});

test('a stale read may lag, a linearizable read never does (follower paused)', async () => {
  const c = await TestCluster.start({ requestTimeoutMs: 1000 });
  try {
    const leader = await c.waitForLeader();
    const follower = c.followers(leader)[0]!;
    await http('POST', c.url(leader, '/key'), { k: 'old' });
    await c.waitFor(async () => (await http('GET', c.url(follower, '/key/k?level=stale'))).json?.k === 'old', 5000, 'replication');
    c.launcher.pauseNode(follower);
    assert.equal((await http('POST', c.url(leader, '/key'), { k: 'new' })).status, 200);
    // The paused follower still answers stale reads, from its old state.
    assert.deepEqual((await http('GET', c.url(follower, '/key/k?level=stale'))).json, { k: 'old' });
    // A linearizable read there must not return the old value: it cannot finish while paused.
    const lin = await http('GET', c.url(follower, '/key/k'));
    assert.notDeepEqual(lin.json, { k: 'old' });
    assert.equal(lin.status, 504);
    c.launcher.resumeNode(follower);
    await c.waitFor(async () => (await http('GET', c.url(follower, '/key/k'))).json?.k === 'new', 5000, 'linearizable read after resume');
  } finally {
    await c.stop();
  }
});

/** Write `n` keys, stop the whole cluster, look at what it left (`stopped`), start it again: every key is read back, and every node applies them again. */
async function restartKeepsWrites(c: TestCluster, prefix: string, n: number, stopped: (acked: string[]) => Promise<void> = async () => {}): Promise<string[]> {
  try {
    const leader = await c.waitForLeader();
    const acked = await writeMany(c.url(leader, ''), prefix, n, 32);
    assert.equal(acked.length, n);
    await c.launcher.stop();
    await stopped(acked);
    await c.launcher.start();
    const again = await c.waitForLeader();
    for (const key of acked) {
      const r = await http('GET', c.url(again, `/key/${key}`));
      assert.equal(r.status, 200, key);
      assert.equal(r.json[key], `v${key.slice(prefix.length)}`);
    }
    for (const id of c.launcher.ids) {
      await c.waitFor(async () => (await http('GET', c.url(id, `/key/${acked.at(-1)}?level=stale`))).status === 200, 10_000, `${id} to apply the log again`);
    }
    return acked;
  } finally {
    await c.stop();
  }
}

test('a full cluster restart keeps every acknowledged write', async () => {
  await restartKeepsWrites(await TestCluster.start({ durability: 'fsync', snapshotEvery: 300 }), 'k', 1000);
});

test('a full cluster restart replays from the log the writes whose state was held, not yet written, when it stopped', async () => {
  // Held for up to 10 s: the state tables do not have these writes when the cluster stops; only the log does.
  const c = await TestCluster.start({ durability: 'fsync', applyBatchMs: 10_000 });
  await restartKeepsWrites(c, 'h', 300, async (acked) => {
    for (const id of c.launcher.ids) {
      const store = await SqliteStore.open(c.launcher.dataDirOf(id));
      const stored = await store.load();
      await store.close();
      assert.ok(!stored.kv.has(acked.at(-1)!), `${id}: the last write is in the log only`);
      assert.ok(stored.entries.some((e) => e.index > stored.applied), `${id}: entries after the stored applied index`);
    }
  });
});

test('with no leader, writes get 503 with Retry-After or 504, never 2xx', async () => {
  const c = await TestCluster.start({ requestTimeoutMs: 600 });
  try {
    const leader = await c.waitForLeader();
    const [f1, f2] = c.followers(leader);
    await c.launcher.stopNode(f1!);
    await c.launcher.stopNode(f2!);
    // The leader cannot commit: the write times out (504).
    const w1 = await http('POST', c.url(leader, '/key'), { x: '1' });
    assert.equal(w1.status, 504, w1.text);
    assert.equal(w1.json.code, 'RAFTKV_ERR_TIMEOUT');
    // CheckQuorum makes it step down: now there is no leader at all (503 + Retry-After).
    await c.waitFor(async () => (await http('GET', c.url(leader, '/status'))).json.role !== 'leader', 5000, 'step down');
    const w2 = await http('POST', c.url(leader, '/key'), { x: '2' });
    assert.equal(w2.status, 503, w2.text);
    assert.equal(w2.headers.get('retry-after'), '1');
  } finally {
    await c.stop();
  }
});
