// `raftkv router` as its own process in front of two shards of three
// `raftkv node` processes each, as the old distributor ran: started before
// its nodes, given their addresses, it follows each shard's leader, takes the
// distributor's POST /set, and keeps serving a shard whose leader is SIGKILLed.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { newClusterToken } from '../../src/common/cluster-identity.js';
import { keySlot } from '../../src/common/slots.js';
import { freePorts } from '../../src/kit/ports.js';
import { Procs, until } from '../helpers/raftkv-processes.js';
import { RespTestClient } from '../helpers/resp-client.js';
import { http } from '../helpers/test-cluster.js';

test('raftkv router: two shards of raftkv node processes, leaders followed, a shard leader killed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-router-proc-'));
  const procs = new Procs();
  const env = { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() };
  try {
    const ports = await freePorts(14);
    const https = [0, 1, 2, 3, 4, 5].map((i) => `127.0.0.1:${ports[i * 2]}`);
    const router = `127.0.0.1:${ports[12]}`;
    const routerResp = ports[13]!;
    // The router first: it waits for the nodes to answer.
    const r = procs.raftkv('router', ['router', '--shard', `s0=${https.slice(0, 3).join(',')}`, '-shard', `s1=${https.slice(3).join(',')}`, '--http', router, '--resp', `:${routerResp}`], { env });
    // Only once it has found no node (a loaded machine may start it after them otherwise).
    await until('the router waiting for its nodes', async () => (/waiting for the node at 127\.0\.0\.1:\d+ to answer/.test(r.output()) ? true : undefined), 30_000, () => procs.outputs());
    const pids: Record<string, ReturnType<Procs['raftkv']>> = {};
    for (const [i, hp] of https.entries()) {
      const first = https[i < 3 ? 0 : 3]!;
      pids[`node${i}`] = procs.raftkv(`node${i}`, ['node', '--id', `node${i}`, '--http', hp, '--raft', `127.0.0.1:${ports[i * 2 + 1]}`, ...(hp === first ? [] : ['--join', first]), path.join(dir, `node${i}`)], { env });
    }
    const shards = await until('both shards led, as the router sees them', async () => {
      const v = (await http('GET', `http://${router}/shards`)).json;
      return v.shards.every((s: { leader: string | null; members: { role: string }[] }) => s.leader && s.members.every((m) => m.role !== 'unreachable')) ? v : undefined;
    }, 30_000, () => procs.outputs());
    assert.deepEqual(shards.shards.map((s: { id: string; slots: string }) => `${s.id} ${s.slots}`), ['s0 0-8191', 's1 8192-16383']);

    // Writes through the router, the distributor's among them, land on the shard that owns each key.
    const keys = Array.from({ length: 12 }, (_, i) => `user${i}`);
    for (const k of keys) assert.equal((await http('POST', `http://${router}/key`, { [k]: 'v1' })).status, 200);
    assert.equal((await http('POST', `http://${router}/set`, { clave: 'clave1', valor: 'valor1' })).status, 200);
    const s0Keys = keys.filter((k) => keySlot(k) < 8192);
    assert.ok(s0Keys.length > 0 && s0Keys.length < keys.length, 'keys on both shards');
    const staleOn = async (hp: string, k: string) => (await http('GET', `http://${hp}/key/${k}?level=stale`)).json?.[k];
    await until('each key on its own shard only', async () => {
      for (const k of keys) {
        const mine = keySlot(k) < 8192 ? https.slice(0, 3) : https.slice(3);
        const other = keySlot(k) < 8192 ? https.slice(3) : https.slice(0, 3);
        for (const hp of mine) if ((await staleOn(hp, k)) !== 'v1') return undefined;
        for (const hp of other) if ((await http('GET', `http://${hp}/key/${k}?level=stale`)).status !== 404) return undefined;
      }
      return true;
    });

    // Kill shard 0's leader: the router finds the new one and every write of its keys goes through.
    const s0Leader = shards.shards[0].leader as string;
    pids[s0Leader]!.child.kill('SIGKILL');
    await pids[s0Leader]!.exited;
    for (const k of s0Keys) {
      const w = await until(`a write of ${k} after the kill`, async () => {
        const a = await http('POST', `http://${router}/key`, { [k]: 'v2' });
        return a.status === 200 ? a : undefined;
      }, 20_000, () => procs.outputs());
      assert.deepEqual(w.json, { ok: true });
    }
    for (const k of keys) assert.deepEqual((await http('GET', `http://${router}/key/${k}`)).json, { [k]: s0Keys.includes(k) ? 'v2' : 'v1' });
    assert.deepEqual((await http('GET', `http://${router}/key/clave1`)).json, { clave1: 'valor1' });
    const after = (await http('GET', `http://${router}/shards`)).json;
    assert.notEqual(after.shards[0].leader, s0Leader);
    // Its Redis port too (":port" is this host).
    const resp = await RespTestClient.connect(routerResp);
    try {
      assert.equal(await resp.one('GET', s0Keys[0]!), 'v2');
    } finally {
      resp.close();
    }
  } finally {
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('raftkv router refuses flags it cannot use, saying what it wants', async () => {
  const procs = new Procs();
  const cases: [string[], RegExp][] = [
    [['router'], /--shard ID=ADDR,\.\.\. \(once per shard\) or --config FILE/],
    [['router', '--shard', 's0'], /expected ID\[:SLOTS\]=ADDR,ADDR/],
    [['router', '--shard', 's0=nohost'], /"nohost" is not host:port/],
  ];
  for (const [args, pattern] of cases) {
    const p = procs.raftkv(args.join(' '), args, { env: { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() } });
    assert.equal(await p.exited, 1, p.output());
    assert.match(p.output(), pattern);
  }
  const noToken = procs.raftkv('no token', ['router', '--shard', 's0=127.0.0.1:1'], { env: { ...process.env, RAFTKV_CLUSTER_TOKEN: '' } });
  assert.equal(await noToken.exited, 1);
  assert.match(noToken.output(), /needs the cluster token/);
});
