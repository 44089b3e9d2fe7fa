// Growing and shrinking a running cluster: a node joins through any member
// (forwarded to the leader), catches up by snapshot when the log behind it
// was compacted, and can be removed again.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/node/logger.js';
import { runNode, type RunningNode } from '../../src/start/run-node.js';
import { freePorts } from '../../src/kit/ports.js';
import { TestCluster, http, writeMany } from '../helpers/test-cluster.js';

async function startJoiner(c: TestCluster, id: string, via: string): Promise<{ node: RunningNode; http: string; dir: string }> {
  const [hp, rp] = await freePorts(2);
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-join-'));
  const addrs = { http: `127.0.0.1:${hp}`, raft: `127.0.0.1:${rp}` };
  const node = await runNode(
    { id, dir, durability: 'os', addrs, tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: c.config.raft.snapshotEvery, maxBodyBytes: 1 << 20, clusterToken: c.launcher.clusterToken, join: [c.launcher.entry(via).http] },
    silentLogger,
  );
  return { node, http: addrs.http, dir };
}

test('a node that joins after 20,000 writes catches up by snapshot', async () => {
  const c = await TestCluster.start({ snapshotEvery: 2000 });
  let joiner: Awaited<ReturnType<typeof startJoiner>> | undefined;
  try {
    const leader = await c.waitForLeader();
    const acked = await writeMany(c.url(leader, ''), 'w', 20_000, 64);
    assert.equal(acked.length, 20_000);
    const st = (await http('GET', c.url(leader, '/status'))).json;
    assert.ok(st.firstIndex > 1, `the leader compacted its log (first index ${st.firstIndex})`);
    // Join through a follower: the request is forwarded to the leader.
    joiner = await startJoiner(c, 'node3', c.followers(leader)[0]!);
    await c.waitFor(async () => (await http('GET', `http://${joiner!.http}/status`)).json.voters.includes('node3'), 30_000, 'node3 to become a voter');
    const mine = (await http('GET', `http://${joiner.http}/status`)).json;
    assert.ok(mine.snapshotIndex > 0, 'node3 installed a snapshot');
    await c.waitFor(async () => (await http('GET', `http://${joiner!.http}/status`)).json.keys >= 20_000, 30_000, 'node3 to hold every key');
    for (const key of ['w0', 'w10000', 'w19999']) {
      assert.equal((await http('GET', `http://${joiner.http}/key/${key}?level=stale`)).status, 200, key);
    }
    // A linearizable read on the new voter.
    assert.deepEqual((await http('GET', `http://${joiner.http}/key/w7`)).json, { w7: 'v7' });
  } finally {
    await joiner?.node.stop();
    if (joiner) rmSync(joiner.dir, { recursive: true, force: true });
    await c.stop();
  }
});

test('join is idempotent, remove shrinks the cluster, and a removed id cannot come back', async () => {
  const c = await TestCluster.start();
  let joiner: Awaited<ReturnType<typeof startJoiner>> | undefined;
  try {
    const leader = await c.waitForLeader();
    joiner = await startJoiner(c, 'node3', leader);
    await c.waitFor(async () => (await http('GET', c.url(leader, '/status'))).json.voters.includes('node3'), 20_000, 'node3 to join');
    const addr = (await http('GET', `http://${joiner.http}/status`)).json.addrs;
    // The same join again is a no-op, through any node.
    const again = await http('POST', c.url(c.followers(leader)[0]!, '/join'), { id: 'node3', addr: addr.raft, http: addr.http }, false, c.memberHeaders);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.alreadyMember, true);
    // The same id with other addresses is refused.
    const clash = await http('POST', c.url(leader, '/join'), { id: 'node3', addr: '127.0.0.1:1', http: '127.0.0.1:2' }, false, c.memberHeaders);
    assert.equal(clash.status, 409, clash.text);
    // Writes still work with 4 voters; then remove node3 through a follower.
    assert.equal((await http('POST', c.url(leader, '/key'), { four: '4' })).status, 200);
    const rm = await http('DELETE', c.url(c.followers(leader)[1]!, '/raft/remove'), { id: 'node3' });
    assert.equal(rm.status, 200, rm.text);
    await c.waitFor(async () => !(await http('GET', c.url(leader, '/status'))).json.voters.includes('node3'), 10_000, 'node3 removed');
    const back = await http('POST', c.url(leader, '/join'), { id: 'node3', addr: addr.raft, http: addr.http }, false, c.memberHeaders);
    assert.equal(back.status, 409, back.text);
    assert.match(back.json.error, /removed/);
  } finally {
    await joiner?.node.stop();
    if (joiner) rmSync(joiner.dir, { recursive: true, force: true });
    await c.stop();
  }
});

test('leadership can be transferred to a chosen node', async () => {
  const c = await TestCluster.start();
  try {
    const leader = await c.waitForLeader();
    const target = c.followers(leader)[1]!;
    const r = await http('POST', c.url(c.followers(leader)[0]!, '/raft/transfer-leadership'), { id: target });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.leader, target);
    assert.equal(await c.waitForLeader(), target);
  } finally {
    await c.stop();
  }
});
