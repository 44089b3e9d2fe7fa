import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadClusterConfig, parseClusterConfig } from '../../src/cluster/config.js';

const node = (i: number) => ({ id: `node${i}`, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` });

function refused(raw: unknown, ...fragments: string[]): void {
  assert.throws(
    () => parseClusterConfig(raw, 'test.json'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
      for (const f of fragments) assert.match(e.message, new RegExp(f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), e.message);
      return true;
    },
  );
}

test('the shipped cluster.config.json is valid and has 3 nodes', () => {
  const { config, warnings } = loadClusterConfig(new URL('../../../cluster.config.json', import.meta.url).pathname);
  assert.equal(config.nodes.length, 3);
  assert.deepEqual(warnings, []);
  assert.equal(config.durability, 'fsync');
});

test('defaults fill what a minimal config leaves out', () => {
  const { config } = parseClusterConfig({ nodes: [node(0)] });
  assert.equal(config.dataDir, 'data');
  assert.deepEqual(config.raft.electionTicks, [30, 60]);
  assert.equal(config.maxBodyBytes, 1 << 20);
});

test('applyBatchMs defaults to 100 ms and is refused outside whole milliseconds from 0 to 10,000', () => {
  assert.equal(parseClusterConfig({ nodes: [node(0)] }).config.applyBatchMs, 100);
  assert.equal(parseClusterConfig({ nodes: [node(0)], applyBatchMs: 0 }).config.applyBatchMs, 0);
  refused({ nodes: [node(0)], applyBatchMs: 10_001 }, 'applyBatchMs');
  refused({ nodes: [node(0)], applyBatchMs: -1 }, 'applyBatchMs');
  refused({ nodes: [node(0)], applyBatchMs: 2.5 }, 'applyBatchMs');
});

test('an empty cluster is refused', () => refused({ nodes: [] }, 'nodes', 'at least one node'));
test('a missing nodes field is refused', () => refused({}, 'nodes'));
test('duplicate ids are refused, naming both places', () => refused({ nodes: [node(0), { ...node(1), id: 'node0' }] }, 'nodes.1.id', 'duplicate node id', 'nodes.0.id'));
test('duplicate ports are refused', () => refused({ nodes: [node(0), { ...node(1), raft: '127.0.0.1:11000' }] }, 'nodes.1.raft', '127.0.0.1:11000', 'nodes.0.http'));
test('a malformed address is refused', () => refused({ nodes: [{ ...node(0), http: 'localhost' }] }, 'nodes.0.http', 'host:port'));
test('a port out of range is refused', () => refused({ nodes: [{ ...node(0), http: '127.0.0.1:70000' }] }, 'nodes.0.http', 'between 0 and 65535'));
test('unknown fields are refused', () => refused({ nodes: [node(0)], nodez: 1 }, 'nodez'));
test('bad election ticks are refused', () => refused({ nodes: [node(0)], raft: { electionTicks: [5, 5], heartbeatTicks: 1 } }, 'raft.electionTicks'));
test('a wrong durability is refused', () => refused({ nodes: [node(0)], durability: 'sometimes' }, 'durability'));

test('an even-sized cluster is accepted with a warning', () => {
  const { warnings } = parseClusterConfig({ nodes: [node(0), node(1)] }, 'x.json');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /odd size/);
});

test('a file that is not JSON is refused with the parse error', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-config-'));
  const file = path.join(dir, 'bad.json');
  writeFileSync(file, '{ "nodes": [ ');
  assert.throws(() => loadClusterConfig(file), /malformed JSON/);
  assert.throws(() => loadClusterConfig(path.join(dir, 'missing.json')), /cannot read the file/);
});

// ---- sharded clusters ----

const shard = (id: string, first: number, slots?: string) => ({ id, ...(slots !== undefined ? { slots } : {}), nodes: [node(first), node(first + 1), node(first + 2)] });

test('the shipped cluster.sharded.json is valid: 2 shards of 3 nodes, the router on 127.0.0.1:8080, ports apart from cluster.config.json', () => {
  const { config, warnings } = loadClusterConfig(new URL('../../../cluster.sharded.json', import.meta.url).pathname);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.shards!.map((s) => [s.id, s.slots, s.nodes.length]), [['s0', [[0, 8191]], 3], ['s1', [[8192, 16383]], 3]]);
  assert.equal(config.nodes.length, 6);
  assert.equal(config.router?.http, '127.0.0.1:8080');
  const plain = loadClusterConfig(new URL('../../../cluster.config.json', import.meta.url).pathname).config;
  const used = (c: typeof plain) => new Set([c.control, ...c.nodes.flatMap((n) => [n.http, n.raft, n.resp ?? ''])].filter(Boolean));
  const sharded = used(config);
  for (const a of used(plain)) assert.ok(!sharded.has(a), `${a} is in both files`);
});

test('shards without slots split them evenly; nodes lists every node', () => {
  const { config } = parseClusterConfig({ shards: [shard('s0', 0), shard('s1', 3)], router: { http: '127.0.0.1:8080' } });
  assert.deepEqual(config.shards!.map((s) => s.slots), [[[0, 8191]], [[8192, 16383]]]);
  assert.deepEqual(config.nodes.map((n) => n.id), ['node0', 'node1', 'node2', 'node3', 'node4', 'node5']);
});

test('sharded configs are refused with the field and the problem', () => {
  refused({ nodes: [node(0)], shards: [shard('s0', 1)] }, 'either nodes or shards, not both');
  refused({ nodes: [node(0)], router: { http: '127.0.0.1:8080' } }, 'router', 'needs shards');
  refused({ shards: [shard('s0', 0), { ...shard('s1', 3), nodes: [{ ...node(3), id: 'node0' }] }] }, 'shards.1.nodes.0.id', 'duplicate node id', 'shards.0.nodes.0.id');
  refused({ shards: [shard('s0', 0), { ...shard('s1', 3), nodes: [{ ...node(3), http: '127.0.0.1:11000' }] }] }, 'shards.1.nodes.0.http', 'already used by shards.0.nodes.0.http');
  refused({ shards: [shard('s0', 0)], router: { http: '127.0.0.1:11001' } }, 'router.http', 'already used');
  refused({ shards: [shard('s0', 0), shard('s0', 3)] }, 'shards.1.id', 'duplicate shard id');
  refused({ shards: [shard('node0', 0)] }, 'shards.0.id', 'also a node id');
  refused({ shards: [shard('s0', 0, '0-8191'), shard('s1', 3)] }, 'shards.1.slots', 'for every shard, or for none');
  refused({ shards: [shard('s0', 0, '0-8191'), shard('s1', 3, '8000-16383')] }, 'shards', 'slot 8000 is also owned by shard s0');
  refused({ shards: [shard('s0', 0, '0-8191'), shard('s1', 3, '9000-16383')] }, 'shards', 'slots 8192-8999 belong to no shard');
  refused({ shards: [shard('s0', 0, '0-99999')] }, 'shards.0.slots', 'out of range');
  refused({ shards: [shard('s0', 0, 'all')] }, 'shards.0.slots', 'not a slot or a range');
  refused({ shards: [] }, 'shards', 'at least one shard');
});
