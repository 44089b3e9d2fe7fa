// The walkthroughs of the READMEs raftkv replaces, their command lines
// verbatim with `raftkv node` in place of the old binary (only the ports are
// free ones, and the cluster token is in the environment): start, join,
// write, read on every node, kill the leader, write again, restart it with
// what the README restarts it with, read the updated key there.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { newClusterToken } from '../../src/common/cluster-identity.js';
import { freePortsWithPartner, Procs, until, type Proc } from '../helpers/raftkv-processes.js';
import { http } from '../helpers/test-cluster.js';

const root = mkdtempSync(path.join(tmpdir(), 'raftkv-seed-'));
after(() => rmSync(root, { recursive: true, force: true }));
const env = { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() };

const status = async (hp: string) => (await http('GET', `http://${hp}/status`)).json;

/** The index (into `https`) of the node that leads, once all of `https` agree there is one. */
async function leaderOf(https: string[], procs: Procs): Promise<number> {
  return until('a leader', async () => {
    for (const [i, hp] of https.entries()) if ((await status(hp)).role === 'leader') return i;
    return undefined;
  }, 20_000, () => procs.outputs());
}

/** Every node answers `value` for `key` (a linearizable read: through the leader's ReadIndex). */
async function readEverywhere(https: string[], key: string, value: string, procs: Procs, prefix = ''): Promise<void> {
  for (const hp of https) {
    const r = await until(`${key}=${value} on ${hp}`, async () => {
      const a = await http('GET', `http://${hp}${prefix}/key/${key}`);
      return a.status === 200 && a.json[key] === value ? a : undefined;
    }, 20_000, () => procs.outputs());
    assert.deepEqual(r.json, { [key]: value });
  }
}

async function write(hp: string, kv: Record<string, string>, prefix = ''): Promise<void> {
  const r = await until(`a write through ${hp}`, async () => {
    const a = await http('POST', `http://${hp}${prefix}/key`, kv);
    return a.status === 200 ? a : undefined;
  });
  assert.deepEqual(r.json, { ok: true });
}

test("hraftd's README: -id -haddr -raddr, -join :port, kill the leader, restart it from its directory alone", async () => {
  const procs = new Procs();
  try {
    const [p0, p1, p2] = await freePortsWithPartner(3);
    const https = [`127.0.0.1:${p0}`, `localhost:${p1}`, `localhost:${p2}`];
    const dirs = [0, 1, 2].map((i) => path.join(root, `node${i}`));
    const nodes: Proc[] = [];
    nodes[0] = procs.raftkv('node0', ['node', '-id', 'node0', '-haddr', https[0]!, '-raddr', `127.0.0.1:${p0! + 1000}`, dirs[0]!], { env });
    await leaderOf([https[0]!], procs);
    nodes[1] = procs.raftkv('node1', ['node', '-id', 'node1', '-haddr', `localhost:${p1}`, '-raddr', `localhost:${p1! + 1000}`, '-join', `:${p0}`, dirs[1]!], { env });
    // The README's own spelling, with no command word.
    nodes[2] = procs.raftkv('node2', ['-id', 'node2', '-haddr', `localhost:${p2}`, '-raddr', `localhost:${p2! + 1000}`, '-join', `:${p0}`, dirs[2]!], { env });
    await until('three voters', async () => ((await status(https[0]!)).voters.length === 3 ? true : undefined), 20_000, () => procs.outputs());

    await write(https[0]!, { user1: 'batman' });
    await readEverywhere(https, 'user1', 'batman', procs);
    await write(https[0]!, { user2: 'robin' });
    await readEverywhere(https, 'user2', 'robin', procs);

    // hashicorp/raft's views on a live cluster.
    const stats = (await http('GET', `http://${https[1]}/raft/stats`)).json;
    assert.equal(stats.state, 'Follower');
    assert.equal(stats.num_peers, '2');
    for (const [k, v] of Object.entries(stats)) if (k !== 'latest_configuration') assert.equal(typeof v, 'string', k);
    assert.deepEqual(
      stats.latest_configuration.map((s: { id: string; suffrage: string }) => `${s.id} ${s.suffrage}`),
      ['node0 Voter', 'node1 Voter', 'node2 Voter'],
    );
    const cluster = (await http('GET', `http://${https[2]}/raft/cluster`)).json;
    assert.deepEqual(Object.keys(cluster).sort(), ['current', 'leader', 'servers']);
    assert.deepEqual(cluster.current, { id: 'node2', address: `localhost:${p2! + 1000}`, state: 'Follower' });
    assert.equal(cluster.leader.state, 'Leader');

    const victim = await leaderOf(https, procs);
    nodes[victim]!.child.kill('SIGKILL');
    await nodes[victim]!.exited;
    const rest = https.filter((_, i) => i !== victim);
    await leaderOf(rest, procs);
    await write(rest[0]!, { user1: 'joker' });

    // Restarted from its directory alone: it remembers its id and addresses.
    nodes[victim] = procs.raftkv(`node${victim} again`, ['node', dirs[victim]!], { env: { ...process.env } });
    await until(`node${victim} to catch up`, async () => ((await http('GET', `http://${https[victim]}/key/user1?level=stale`)).json?.user1 === 'joker' ? true : undefined), 20_000, () => procs.outputs());
    await readEverywhere(https, 'user1', 'joker', procs);

    // hraftd's remove, and its answer.
    const rm = await http('DELETE', `http://${rest[0]}/raft/remove`, { id: `node${victim}` });
    assert.equal(rm.status, 200, rm.text);
    assert.deepEqual(rm.json, { msg: 'OK', ok: true });
  } finally {
    await procs.stopAll();
  }
});

test("the hraftd fork's README: --rjoin :port --haddr :port, ids \"haddr,raddr\", data under the current directory, restart by the same command", async () => {
  const procs = new Procs();
  const cwd = mkdtempSync(path.join(root, 'fork-'));
  try {
    const ports = await freePortsWithPartner(3);
    const https = ports.map((p) => `127.0.0.1:${p}`);
    const line = (p: number): string[] => ['node', '--rjoin', `:${ports[0]}`, '--haddr', `:${p}`];
    const nodes = ports.map((p, i) => procs.raftkv(`fork${i}`, line(p), { env, cwd }));
    await until('three voters', async () => ((await status(https[0]!)).voters.length === 3 ? true : undefined), 20_000, () => procs.outputs());
    const ids = ports.map((p) => `:${p},:${p + 1000}`);
    assert.deepEqual((await status(https[1]!)).voters.toSorted(), ids.toSorted());
    const cluster = (await http('GET', `http://${https[1]}/hraftd/raft/cluster`)).json;
    assert.deepEqual(cluster.current, { id: ids[1], address: `127.0.0.1:${ports[1]! + 1000}`, state: cluster.current.state });
    assert.deepEqual(JSON.parse(readFileSync(path.join(cwd, 'raftkv-data', `${ports[1]}_${ports[1]! + 1000}`, 'node.json'), 'utf8')).id, ids[1]);

    await write(https[0]!, { user1: 'batman' }, '/hraftd');
    await readEverywhere(https, 'user1', 'batman', procs, '/hraftd');

    const victim = await leaderOf(https, procs);
    nodes[victim]!.child.kill('SIGKILL');
    await nodes[victim]!.exited;
    const rest = https.filter((_, i) => i !== victim);
    await leaderOf(rest, procs);
    await write(rest[1]!, { user1: 'robin' }, '/hraftd');
    // The same command line again: the node finds its directory, and does not found a second cluster.
    nodes[victim] = procs.raftkv(`fork${victim} again`, line(ports[victim]!), { env, cwd });
    await readEverywhere(https, 'user1', 'robin', procs, '/hraftd');
    assert.equal((await status(https[victim]!)).voters.length, 3);
  } finally {
    await procs.stopAll();
  }
});

test("raftd's README: -p PORT, -join the leader, /db/KEY, a restart without -join", async () => {
  const procs = new Procs();
  try {
    const ports = await freePortsWithPartner(3);
    const dirs = [1, 2, 3].map((i) => path.join(root, `node.${i}`));
    const nodes = [procs.raftkv('raftd1', ['-p', String(ports[0]), dirs[0]!], { env })];
    await leaderOf([`localhost:${ports[0]}`], procs);
    for (const i of [1, 2]) nodes[i] = procs.raftkv(`raftd${i + 1}`, ['-p', String(ports[i]), '-join', `localhost:${ports[0]}`, dirs[i]!], { env });
    const https = ports.map((p) => `localhost:${p}`);
    await until('three voters', async () => ((await status(https[0]!)).voters.length === 3 ? true : undefined), 20_000, () => procs.outputs());
    const set = await http('POST', `http://${https[0]}/db/foo`, 'bar', true);
    assert.equal(set.status, 200, set.text);
    for (const hp of https) assert.equal((await until(`foo on ${hp}`, async () => ((await http('GET', `http://${hp}/db/foo`)).text === 'bar' ? 'bar' : undefined))), 'bar');
    // "When you restart the node, it's already been joined to the cluster so you can remove the -join argument."
    nodes[1]!.child.kill('SIGKILL');
    await nodes[1]!.exited;
    assert.equal((await http('POST', `http://${https[0]}/db/foo`, 'baz', true)).status, 200);
    nodes[1] = procs.raftkv('raftd2 again', ['-p', String(ports[1]), dirs[1]!], { env });
    await until('the update on the restarted node', async () => ((await http('GET', `http://${https[1]}/db/foo`)).text === 'baz' ? true : undefined), 20_000, () => procs.outputs());
  } finally {
    await procs.stopAll();
  }
});

test('raftkv with no command, or an unknown one, prints the help and fails', async () => {
  const procs = new Procs();
  for (const args of [[], [root], ['nonsense', '--x']]) {
    const p = procs.raftkv(`raftkv ${args.join(' ')}`, args);
    assert.equal(await p.exited, 2, p.output());
    assert.match(p.output(), /Usage:\s+\$ raftkv <command> \[options\]/);
    assert.match(p.output(), /router\s+The router of a sharded cluster/);
    if (args.length > 0) assert.match(p.output(), new RegExp(`unknown command "${args[0]}"`));
  }
});
