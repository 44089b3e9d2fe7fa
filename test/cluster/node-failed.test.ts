// A node whose disk refuses a write cannot go on: it is reported `failed`
// (ctl status, the launcher's log) and its fronts answer 503 with the
// reason, until `ctl restart` brings it back. The failure is real: another
// connection holds SQLite's write lock past the node's busy timeout.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startControlServer } from '../../src/cluster/control-server.js';
import { runCtl } from '../../src/cluster/ctl.js';
import { Db } from '../../src/storage/db.js';
import { DB_FILE } from '../../src/storage/sqlite-store.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { TestCluster, http } from '../helpers/test-cluster.js';

test('a node whose storage fails shows `failed`, answers 503 with the reason on HTTP and RESP, and `ctl restart` brings it back', async () => {
  const c = await TestCluster.start();
  const control = await startControlServer(c.launcher, '127.0.0.1', 0);
  const ctlAddr = `127.0.0.1:${control.port}`;
  let lock: Db | undefined;
  // A write that succeeds (on a loaded machine a first try may time out: it is tried again, with the same value).
  const write = (id: string, key: string): Promise<void> =>
    c.waitFor(async () => (await http('POST', c.url(id, '/key'), { [key]: 'yes' }).catch(() => undefined))?.status === 200, 15_000, `a write of ${key} through ${id}`);
  try {
    const leader = await c.waitForLeader();
    const victim = c.followers(leader)[0]!;
    await write(leader, 'before');
    await c.waitFor(async () => (await http('GET', c.url(victim, '/key/before?level=stale'))).json?.before === 'yes', 10_000, 'the victim to have the first write');

    // Take the victim's write lock: its next write waits out its busy timeout and fails.
    lock = await Db.open(path.join(c.launcher.dataDirOf(victim), DB_FILE));
    await lock.exec('PRAGMA busy_timeout = 10000; BEGIN EXCLUSIVE');
    // The majority still takes writes.
    await write(leader, 'during');
    await c.waitFor(async () => c.launcher.stateOf(victim) === 'failed', 20_000, 'the victim to fail');
    await lock.exec('ROLLBACK');
    await lock.close();
    lock = undefined;

    // The launcher says so, with the reason.
    const event = c.logs.find((r) => r.msg === 'node failed' && r.id === victim && typeof r.reason === 'string');
    assert.ok(event, 'the launcher logs "node failed" with the reason');
    const reason = String(event.reason);
    assert.match(reason, /SQLITE_BUSY|locked/);
    const table = await runCtl(ctlAddr, 'status', []);
    assert.match(table, new RegExp(`${victim}\\s+failed`));
    assert.ok(table.includes(`${victim} failed: ${reason}`), table);
    const row = (await http('GET', `http://${ctlAddr}/status`)).json.nodes.find((n: { id: string }) => n.id === victim);
    assert.equal(row.state, 'failed');
    assert.equal(row.failed, reason);

    // Its HTTP front answers every key request 503 with the reason; its status says why.
    for (const [method, p, body] of [
      ['GET', '/key/before', undefined],
      ['GET', '/key/before?level=stale', undefined],
      ['POST', '/key', { after: 'no' }],
      ['DELETE', '/key/before', undefined],
    ] as const) {
      const r = await http(method, c.url(victim, p), body);
      assert.equal(r.status, 503, `${method} ${p}: ${r.text}`);
      assert.equal(r.json.code, 'RAFTKV_ERR_NODE_FAILED');
      assert.equal(r.json.error, `node failed: ${reason}`);
    }
    const st = (await http('GET', c.url(victim, '/status'))).json;
    assert.equal(st.failed, reason);
    assert.equal(st.paused, false);
    assert.equal((await http('GET', c.url(victim, '/raft/stats'))).json.state, 'Shutdown');
    // So does its Redis front.
    const resp = await RespTestClient.connect(c.respPort(victim));
    try {
      assert.deepEqual(await resp.one('GET', 'before'), { error: `ERR node failed: ${reason}` });
      assert.deepEqual(await resp.one('SET', 'after', 'no'), { error: `ERR node failed: ${reason}` });
    } finally {
      resp.close();
    }
    // A failed node is not paused or resumed: only killed or restarted.
    assert.equal((await http('POST', `http://${ctlAddr}/resume/${victim}`)).status, 409);

    // The rest of the cluster serves on.
    await write(leader, 'meanwhile');

    // ctl restart: the node is stopped (fronts, store) and starts again, catching up.
    assert.match(await runCtl(ctlAddr, 'restart', [victim]), /restarted/);
    assert.equal(c.launcher.stateOf(victim), 'alive');
    assert.equal(c.launcher.failureOf(victim), undefined);
    for (const key of ['before', 'during', 'meanwhile']) {
      await c.waitFor(async () => (await http('GET', c.url(victim, `/key/${key}?level=stale`))).json?.[key] === 'yes', 10_000, `${key} on the restarted node`);
    }
    await write(victim, 'restarted');
    assert.doesNotMatch(await runCtl(ctlAddr, 'status', []), /failed/);
  } finally {
    await lock?.exec('ROLLBACK').catch(() => undefined);
    await lock?.close();
    await control.close();
    await c.stop();
  }
});
