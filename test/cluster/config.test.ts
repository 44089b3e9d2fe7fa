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
