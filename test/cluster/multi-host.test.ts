// Several machines, for real: three network namespaces joined by a bridge,
// each with its own address, one `raftkv node` in each on the ports a real
// deployment uses (11000, 12000), following the README's "Deploying on
// several machines". One host is cut off at the link level; the others keep
// serving, and the cut host catches up once its link is back. Every link is
// TLS and every request carries the admin token, as binding beyond loopback wants.
// Root only (namespaces and links need it); CI runs as root.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { newClusterToken } from '../../src/common/cluster-identity.js';
import { issueLeaf, makeCa } from '../../src/security/dev-certs.js';
import { internalHttp } from '../../src/security/internal-http.js';
import { Procs, until } from '../helpers/raftkv-processes.js';
import { http, trustSecureCluster } from '../helpers/test-cluster.js';

/**
 * Flags every node gets: binding beyond loopback wants TLS and a token (or
 * --insecure), so the README's secure way: the cluster CA, one certificate
 * naming every host's address, the admin token. Filled in by the test once
 * it knows the addresses; node2 spells them the Go way (-tls-ca), as hraftd's
 * users would.
 */
const SECURITY_FLAGS: string[] = [];

function hasIp(): boolean {
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const skip =
  process.getuid?.() !== 0
    ? 'needs root to create network namespaces (CI runs as root; run `sudo node --test dist/test/cluster/multi-host.test.js` to see it here)'
    : !hasIp()
      ? 'needs the ip command (Debian: apt-get install iproute2)'
      : false;

// Names unique to this run, so parallel runs do not clash (Linux interface names: 15 characters at most).
const run = process.pid;
const bridge = `rkb${run}`;
const nsName = (i: number): string => `raftkv-${run}-${i}`;
const hostSide = (i: number): string => `rkv${run}h${i}`;
const nsSide = (i: number): string => `rkv${run}n${i}`;

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
const quietly = (f: () => unknown): void => {
  try {
    f();
  } catch {
    // already gone
  }
};

/** Whether a TCP connection opens within `ms` (a plain socket, destroyed either way: nothing lingers). */
function connects(host: string, port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A /24 under 10.213/16 that no interface of this machine uses yet. */
function freeSubnet(): string {
  const used = ip('-4', '-o', 'addr', 'show');
  for (let k = 0; k < 250; k++) {
    const x = (run + k) % 250;
    if (!used.includes(`10.213.${x}.`)) return `10.213.${x}`;
  }
  throw new Error('no free 10.213.x.0/24');
}

const procs = new Procs();
const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-hosts-'));
let built = 0;
let bareBuilt = false;

after(async () => {
  await procs.stopAll();
  // A deleted namespace lives on while the kernel holds sockets of it (TIME_WAIT): delete the links themselves.
  for (let i = 0; i < built; i++) quietly(() => ip('link', 'del', hostSide(i)));
  for (let i = 0; i < built; i++) quietly(() => ip('netns', 'del', nsName(i)));
  if (bareBuilt) quietly(() => ip('netns', 'del', nsName(9)));
  quietly(() => ip('link', 'del', bridge));
  rmSync(dir, { recursive: true, force: true });
});

test('three hosts in network namespaces: -join across hosts, a host cut off at the link, the others serve, it catches up', { skip }, async () => {
  const net = freeSubnet();
  const hostIp = (i: number): string => `${net}.${i + 2}`;
  // The machines: a bridge for the LAN (this process reaches the nodes through it at .1), one namespace per host.
  ip('link', 'add', bridge, 'type', 'bridge');
  built = 0;
  ip('addr', 'add', `${net}.1/24`, 'dev', bridge);
  ip('link', 'set', bridge, 'up');
  for (let i = 0; i < 3; i++) {
    ip('netns', 'add', nsName(i));
    built = i + 1;
    ip('link', 'add', hostSide(i), 'type', 'veth', 'peer', 'name', nsSide(i));
    ip('link', 'set', nsSide(i), 'netns', nsName(i));
    ip('link', 'set', hostSide(i), 'master', bridge);
    ip('link', 'set', hostSide(i), 'up');
    ip('-n', nsName(i), 'addr', 'add', `${hostIp(i)}/24`, 'dev', nsSide(i));
    ip('-n', nsName(i), 'link', 'set', nsSide(i), 'up');
    ip('-n', nsName(i), 'link', 'set', 'lo', 'up');
  }

  // The README's secure way: a CA, a certificate naming every host, an admin token.
  const authority = await makeCa();
  const leaf = await issueLeaf(authority, { name: 'raftkv node', hosts: [0, 1, 2].map(hostIp), usage: 'server' });
  const ca = authority.pem;
  const adminToken = newClusterToken();
  trustSecureCluster(ca, adminToken);
  const file = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    return path.join(dir, name);
  };
  SECURITY_FLAGS.push('--tls-ca', file('ca.pem', ca), '--tls-cert', file('node.pem', leaf.cert), '--tls-key', file('node-key.pem', leaf.key), '--auth-token-file', file('admin.token', adminToken));
  const goSpelling = SECURITY_FLAGS.map((f) => (f.startsWith('--') ? f.slice(1) : f));

  // The README's commands, one per host. node2 uses hraftd's ":port" form: this host's address toward the member it joins.
  const env = { ...process.env, RAFTKV_CLUSTER_TOKEN: newClusterToken() };
  const onHost = (i: number, args: string[], flags = SECURITY_FLAGS) => procs.spawn(`node${i}`, 'ip', ['netns', 'exec', nsName(i), process.execPath, new URL('../../src/cli.js', import.meta.url).pathname, ...args, ...flags], { env });
  const https = [0, 1, 2].map((i) => `${hostIp(i)}:11000`);
  onHost(0, ['node', '--id', 'node0', '--http', `${hostIp(0)}:11000`, '--raft', `${hostIp(0)}:12000`, path.join(dir, 'node0')]);
  onHost(1, ['node', '--id', 'node1', '--http', `${hostIp(1)}:11000`, '--raft', `${hostIp(1)}:12000`, '--join', `${hostIp(0)}:11000`, path.join(dir, 'node1')]);
  onHost(2, ['node', '-id', 'node2', '-haddr', ':11000', '-join', `${hostIp(0)}:11000`, path.join(dir, 'node2')], goSpelling);
  await until('three voters', async () => ((await http('GET', `https://${https[0]}/status`)).json.voters.length === 3 ? true : undefined), 30_000, () => procs.outputs());
  assert.equal((await fetch(`http://${https[0]}/status`).then((r) => r.status, () => 'refused')), 'refused', 'plaintext gets no answer from a TLS port');
  const anonymous = await internalHttp(ca).fetch(`https://${https[0]}/key/across`);
  assert.equal(anonymous.status, 401, 'no token, no read');
  await anonymous.arrayBuffer();
  const node2 = (await http('GET', `https://${https[2]}/status`)).json;
  assert.deepEqual(node2.addrs, { http: `${hostIp(2)}:11000`, raft: `${hostIp(2)}:12000` }, '":11000" is this host as the others reach it');

  // Write on one host, read on every other.
  assert.equal((await http('POST', `https://${https[1]}/key`, { across: 'hosts' })).status, 200);
  for (const hp of https) assert.deepEqual((await http('GET', `https://${hp}/key/across`)).json, { across: 'hosts' });

  // Cut the leader's host off at the link: the other two elect a leader and keep serving.
  const cut = await until('every host to name the same leader', async () => {
    const leaders = await Promise.all(https.map(async (hp) => (await http('GET', `https://${hp}/status`)).json.leader as string));
    return leaders.every((l) => l !== '' && l === leaders[0]) ? Number(leaders[0]!.slice('node'.length)) : undefined;
  });
  const others = [0, 1, 2].filter((i) => i !== cut);
  ip('link', 'set', hostSide(cut), 'down');
  await until('a write on the hosts still connected', async () => ((await http('POST', `https://${https[others[0]!]}/key`, { across: 'after the cut' })).status === 200 ? true : undefined), 20_000, () => procs.outputs());
  for (const i of others) assert.deepEqual((await http('GET', `https://${https[i]}/key/across`)).json, { across: 'after the cut' });
  assert.equal(await connects(hostIp(cut), 11000, 500), false, 'the cut host is out of reach');

  // The link back: the cut host catches up and serves the update.
  ip('link', 'set', hostSide(cut), 'up');
  await until(`node${cut} to catch up`, async () => ((await http('GET', `https://${https[cut]}/key/across?level=stale`)).json?.across === 'after the cut' ? true : undefined), 30_000, () => procs.outputs());
  assert.deepEqual((await http('GET', `https://${https[cut]}/key/across`)).json, { across: 'after the cut' });
});

test('a bare `raftkv node` on a machine of its own: one node on :11000 and :12000, data under the current directory', { skip }, async () => {
  // A namespace with loopback only: the defaults are free there whatever runs on this machine.
  const ns = nsName(9);
  ip('netns', 'add', ns);
  bareBuilt = true;
  ip('-n', ns, 'link', 'set', 'lo', 'up');
  const cwd = mkdtempSync(path.join(dir, 'bare-'));
  procs.spawn('bare', 'ip', ['netns', 'exec', ns, process.execPath, new URL('../../src/cli.js', import.meta.url).pathname, 'node'], { cwd, env: { ...process.env, RAFTKV_CLUSTER_TOKEN: '' } });
  // Inside the namespace only: ask from there.
  const inside = (args: string[]): string => execFileSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '2', ...args], { encoding: 'utf8' });
  await until('the bare node to lead', async () => (JSON.parse(inside(['localhost:11000/status'])).role === 'leader' ? true : undefined), 20_000, () => procs.outputs());
  assert.equal(inside(['-XPOST', 'localhost:11000/key', '-d', '{"user1": "batman"}']), '{"ok":true}');
  assert.equal(inside(['localhost:11000/key/user1']), '{"user1":"batman"}');
  const status = JSON.parse(inside(['localhost:11000/status']));
  assert.equal(status.id, ':11000,:12000');
  assert.deepEqual(status.addrs, { http: '127.0.0.1:11000', raft: '127.0.0.1:12000' });
  const remembered = JSON.parse(readFileSync(path.join(cwd, 'raftkv-data', '11000_12000', 'node.json'), 'utf8'));
  assert.equal(remembered.id, ':11000,:12000');
});
