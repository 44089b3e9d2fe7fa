// Who a `raftkv node` is, from its flags, hraftd's defaults and its data directory.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { derivedRaftAddr, dirNameFor, readRemembered, resolveNodeSettings, writeRemembered, type NodeFlags } from '../../src/node/node-settings.js';
import { thisHostToward } from '../../src/node/this-host.js';
import { isLoopbackHost } from '../../src/common/address.js';

const cwd = mkdtempSync(path.join(tmpdir(), 'raftkv-settings-'));
after(() => rmSync(cwd, { recursive: true, force: true }));

/** This machine is 10.0.0.5 toward remote hosts (tests never ask the kernel). */
const towardLan = async (peers: readonly string[]): Promise<string> => (peers.some((p) => /^\d/.test(p) && !p.startsWith('127.')) ? '10.0.0.5' : '127.0.0.1');
const resolve = (flags: NodeFlags) => resolveNodeSettings(flags, cwd, towardLan);

test("a bare node: hraftd's ports on this host, the fork's id, a directory under the current one, founding", async () => {
  const s = await resolve({});
  assert.deepEqual(s.addrs, { http: '127.0.0.1:11000', raft: '127.0.0.1:12000' });
  assert.equal(s.id, ':11000,:12000');
  assert.equal(s.dir, path.join(cwd, 'raftkv-data', '11000_12000'));
  assert.equal(s.founds, true);
  assert.deepEqual(s.joinVia, []);
});

test('--http alone derives the Raft address (port + 1000) and the id', async () => {
  const s = await resolve({ http: ':11002', join: ':11000' });
  assert.deepEqual(s.addrs, { http: '127.0.0.1:11002', raft: '127.0.0.1:12002' });
  assert.equal(s.id, ':11002,:12002');
  assert.equal(s.founds, false);
  assert.deepEqual(s.joinVia, ['127.0.0.1:11000']);
  assert.equal(derivedRaftAddr('10.0.0.1:8000'), '10.0.0.1:9000');
  assert.throws(() => derivedRaftAddr(':65000'), /Raft port would be 66000.*give --raft/);
});

test('a node listed first in its own join list founds the cluster; the others join through the rest, in turn', async () => {
  const first = await resolve({ http: ':11000', join: ':11000' });
  assert.equal(first.founds, true);
  const list = ':11001,:11002,:11003';
  assert.equal((await resolve({ http: ':11001', join: list })).founds, true);
  const third = await resolve({ http: ':11003', join: list });
  assert.equal(third.founds, false);
  assert.deepEqual(third.joinVia, ['127.0.0.1:11001', '127.0.0.1:11002']);
});

test("':port' is this host: loopback among local peers, this machine's address toward a remote one", async () => {
  const s = await resolve({ id: 'n2', http: ':11000', join: '192.168.0.1:11000' });
  assert.deepEqual(s.addrs, { http: '10.0.0.5:11000', raft: '10.0.0.5:12000' });
  assert.deepEqual(s.joinVia, ['192.168.0.1:11000']);
  const named = await resolve({ id: 'n3', http: 'localhost:11001', raft: 'localhost:12001', join: ':11000' });
  assert.deepEqual(named.addrs, { http: 'localhost:11001', raft: 'localhost:12001' });
  assert.deepEqual(named.joinVia, ['127.0.0.1:11000']);
});

test('the kernel is asked only for a remote peer', async () => {
  assert.equal(await thisHostToward([':11000', 'localhost:1', '127.0.0.2:11000']), '127.0.0.1');
  assert.ok(isLoopbackHost('127.0.0.1') && isLoopbackHost('localhost') && isLoopbackHost('::1') && !isLoopbackHost('10.0.0.1'));
});

test('a restart needs only the directory; flags that contradict it are refused', async () => {
  const dir = path.join(cwd, 'n1');
  const first = await resolve({ id: 'n1', http: ':11001', raft: ':12001', resp: ':6390', join: ':11000', dir });
  writeRemembered(dir, first.remember);
  assert.deepEqual(readRemembered(dir), { id: 'n1', http: '127.0.0.1:11001', raft: '127.0.0.1:12001', resp: '127.0.0.1:6390', join: ['127.0.0.1:11000'] });
  const again = await resolve({ dir });
  assert.equal(again.id, 'n1');
  assert.deepEqual(again.addrs, first.addrs);
  assert.equal(again.founds, false);
  assert.deepEqual(again.joinVia, ['127.0.0.1:11000']);
  assert.equal((await resolve({ dir, http: '127.0.0.1:11001' })).id, 'n1');
  await assert.rejects(resolve({ dir, id: 'other' }), /belongs to node n1 .*not id "other"/);
  await assert.rejects(resolve({ dir, http: ':11009' }), /belongs to node n1 .*not http "127.0.0.1:11009"/);
  // Named by its id, the default directory is found too.
  const byId = await resolve({ id: 'n7', http: ':11007' });
  writeRemembered(byId.dir!, byId.remember);
  assert.deepEqual((await resolve({ id: 'n7' })).addrs, byId.addrs);
});

test('bad addresses are refused with the flag and an example', async () => {
  await assert.rejects(resolve({ http: '11000' }), /--http "11000": expected host:port or :port/);
  await assert.rejects(resolve({ join: ':11000,nohost' }), /--join "nohost"/);
  await assert.rejects(resolve({ raft: ':99999' }), /--raft/);
  assert.equal(dirNameFor(':11000,:12000'), '11000_12000');
  assert.equal(dirNameFor('node0'), 'node0');
  assert.equal(dirNameFor('::'), 'node');
});
