// The launcher's control API and `raftkv ctl`: kill, restart, pause,
// partition and heal nodes of a running cluster, which keeps serving.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ctlRequest } from '../../src/cluster/ctl.js';
import { startControlServer } from '../../src/cluster/control-server.js';
import { TestCluster, http } from '../helpers/test-cluster.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('ctl commands map to control requests; bad ones are refused with usage', () => {
  assert.deepEqual(ctlRequest('partition', ['a,b', 'c']), { method: 'POST', path: '/partition', body: { groups: [['a', 'b'], ['c']] } });
  assert.deepEqual(ctlRequest('partition', ['a->b']), { method: 'POST', path: '/partition', body: { from: 'a', to: 'b' } });
  assert.deepEqual(ctlRequest('memory', []), { method: 'GET', path: '/memory' });
  assert.deepEqual(ctlRequest('loss', ['30', 'n1']), { method: 'POST', path: '/loss', body: { pct: 30, nodes: ['n1'] } });
  assert.deepEqual(ctlRequest('transfer', []), { method: 'POST', path: '/transfer', body: {} });
  assert.deepEqual(ctlRequest('transfer', ['n2']), { method: 'POST', path: '/transfer', body: { to: 'n2' } });
  assert.deepEqual(ctlRequest('write', ['k', 'v']), { method: 'POST', path: '/write', body: { key: 'k', value: 'v' } });
  assert.deepEqual(ctlRequest('read', ['k', 'stale', 'n1']), { method: 'POST', path: '/read', body: { key: 'k', level: 'stale', node: 'n1' } });
  assert.throws(() => ctlRequest('write', ['k']), /usage: raftkv ctl write KEY VALUE/);
  assert.throws(() => ctlRequest('kill', []), /usage: raftkv ctl kill NODE/);
  assert.throws(() => ctlRequest('partition', ['a,b']), /at least two groups/);
  assert.throws(() => ctlRequest('delay', ['soon']), /not a number/);
  assert.throws(() => ctlRequest('explode', []), /unknown ctl command/);
});

for (const isolation of ['thread', 'process'] as const) {
  test(`kill, restart, pause, partition and heal through the control API (${isolation} isolation)`, async () => {
    const c = await TestCluster.start({ isolation });
    const control = await startControlServer(c.launcher, '127.0.0.1', 0);
    // Asynchronous: the control server runs in this very process and must keep answering.
    const ctl = (...args: string[]) =>
      new Promise<{ status: number; out: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, 'ctl', ...args, '--control', `127.0.0.1:${control.port}`], (err, stdout, stderr) => {
          resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout.trim(), stderr });
        });
      });
    const api = (method: string, path: string, body?: unknown) => http(method, `http://127.0.0.1:${control.port}${path}`, body);
    try {
      const leader = await c.waitForLeader();
      assert.equal((await ctl('leader')).out, leader);
      // Memory: the launcher's RSS and each node's own heap.
      const mem = await api('GET', '/memory');
      assert.equal(mem.status, 200);
      assert.ok(mem.json.rss > 0);
      for (const id of c.launcher.ids) assert.ok(mem.json.nodes[id].heapUsed > 0, `${id} reports its heap`);

      // Kill the leader: the others elect a new one and take writes; the launcher lives on.
      assert.equal((await ctl('kill', leader)).status, 0);
      const next = await c.waitForLeader(10_000, [leader]);
      assert.notEqual(next, leader);
      const table = (await ctl('status')).out;
      assert.match(table, new RegExp(`${leader}\\s+dead`));
      if (isolation === 'process') {
        // A real SIGKILL of a separate process, whose pid the table shows.
        assert.ok(c.logs.some((r) => r.id === leader && r.msg === 'node process exited' && r.signal === 'SIGKILL'), 'the killed node died of SIGKILL');
        const pids = c.launcher.ids.filter((id) => id !== leader).map((id) => c.launcher.pidOf(id));
        for (const pid of pids) {
          assert.ok(pid !== undefined && pid !== process.pid);
          assert.match(table, new RegExp(`\\s${pid}\\b`));
        }
      }
      assert.equal((await http('POST', c.url(next, '/key'), { during: 'kill' })).status, 200);
      assert.equal((await api('POST', `/restart/${leader}`)).status, 200);
      await c.waitFor(async () => (await http('GET', c.url(leader, '/key/during?level=stale'))).json?.during === 'kill', 10_000, 'the restarted node to catch up');

      // Pause a follower: writes go on; resume it and it catches up.
      const f = c.followers(next)[0]!;
      assert.equal((await api('POST', `/pause/${f}`)).status, 200);
      assert.equal((await http('POST', c.url(next, '/key'), { during: 'pause' })).status, 200);
      assert.equal((await api('POST', `/resume/${f}`)).status, 200);
      await c.waitFor(async () => (await http('GET', c.url(f, '/key/during?level=stale'))).json?.during === 'pause', 10_000, 'the paused node to catch up');

      // Cut the leader off: the majority elects another leader; heal and all agree again.
      const others = c.followers(next);
      assert.equal((await ctl('partition', next, others.join(','))).status, 0);
      assert.match((await ctl('status')).out, new RegExp(`${next}\\s+cut off`));
      const third = await c.waitForLeader(10_000, [next]);
      assert.notEqual(third, next);
      assert.equal((await http('POST', c.url(third, '/key'), { during: 'partition' })).status, 200);
      assert.equal((await ctl('heal')).status, 0);
      await c.waitFor(async () => (await http('GET', c.url(next, '/key/during?level=stale'))).json?.during === 'partition', 10_000, 'the healed node to catch up');
      assert.equal(await c.waitForLeader(), third);

      // Bad requests: unknown node, overlapping groups.
      assert.equal((await api('POST', '/kill/nobody')).status, 404);
      assert.equal((await api('POST', '/partition', { groups: [[next], [next, third]] })).status, 400);
      assert.match((await ctl('kill', 'nobody')).stderr, /unknown node/);
    } finally {
      await control.close();
      await c.stop();
    }
  });
}
