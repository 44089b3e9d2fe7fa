// The node takes its key guard as an interface (NodeOptions.keyGuard,
// node/deps.ts): it asks the guard about every command it proposes or
// forwards and every key it reads, and shows the guard's name in its status.
// The shard guard (shard/shard-guard.ts) is the one the startup wiring
// builds; the node itself knows nothing of slots.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RaftNode } from '../../src/node/raft-node.js';
import type { KeyGuard } from '../../src/node/deps.js';
import { NodeError } from '../../src/common/errors.js';
import type { KvCommand } from '../../src/node/kv-state.js';
import { Role, SeededRand } from '../../src/raft/index.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { keySlot } from '../../src/common/slots.js';
import { ShardGuard, commandKeys } from '../../src/shard/shard-guard.js';
import { ManualClock, settled, until } from '../helpers/manual-clock.js';
import { MemoryNetwork } from '../helpers/memory-transport.js';
import { nodeOptions } from '../helpers/node-options.js';

async function single(keyGuard: KeyGuard | undefined): Promise<{ node: RaftNode; clock: ManualClock }> {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const node = await RaftNode.create({ ...nodeOptions('n1', ['n1'], 'key-guard-test-token'), ...(keyGuard ? { keyGuard } : {}) }, { store: new MemoryStore(), transport: net.factory('n1', clock), clock, rand: new SeededRand(3) });
  await until(clock, () => node.status().role === Role.Leader);
  return { node, clock };
}

class Refused extends Error {}

/** A guard that refuses keys starting with "no-" and records the commands it was asked about. */
class PrefixGuard implements KeyGuard {
  readonly shard = 'yes-only';
  readonly commands: KvCommand[] = [];
  checkCommand(cmd: KvCommand): void {
    this.commands.push(cmd);
    this.check(commandKeys(cmd));
  }
  check(keys: Iterable<string>): void {
    for (const k of keys) if (k.startsWith('no-')) throw new Refused(`${k} is not served here`);
  }
}

describe('the node takes a key guard as an interface', () => {
  it('asks the guard about proposals and reads, refuses what it refuses, and shows its name', async () => {
    const guard = new PrefixGuard();
    const { node, clock } = await single(guard);
    assert.equal(node.status().shard, 'yes-only');
    assert.deepEqual(await settled(clock, node.propose({ op: 'set', kv: [['yes-a', '1']] })), { ok: true });
    await assert.rejects(node.propose({ op: 'set', kv: [['yes-b', '1'], ['no-c', '2']] }), Refused);
    assert.equal(node.kv.get('yes-b'), undefined, 'a refused write stores none of its keys');
    assert.equal(await settled(clock, node.read('yes-a')), '1');
    await assert.rejects(node.readBarrier('stale', ['no-x']), Refused);
    // A forwarded command (proposeLocal) is checked too: a misrouted one never enters the log.
    await assert.rejects(node.proposeLocal({ cmd: { op: 'set1', key: 'no-d', value: 'x' } }), Refused);
    assert.ok(guard.commands.some((c) => c.op === 'set1'), 'the forwarded command was checked');
    await node.stop();
  });

  it('without a guard every key is served and the status names no shard', async () => {
    const { node, clock } = await single(undefined);
    assert.equal(node.status().shard, undefined);
    assert.deepEqual(await settled(clock, node.propose({ op: 'set', kv: [['no-a', '1']] })), { ok: true });
    await node.stop();
  });

  it('the shard guard refuses a key of another shard, naming the owner and the slot', async () => {
    const guard = new ShardGuard('n1', { shard: 's0', shards: [{ id: 's0', slots: [[0, 8191]] }, { id: 's1', slots: [[8192, 16383]] }] });
    let mine = '';
    let theirs = '';
    for (let i = 0; !mine || !theirs; i++) {
      const k = `k${i}`;
      if (keySlot(k) < 8192) mine ||= k;
      else theirs ||= k;
    }
    const { node, clock } = await single(guard);
    assert.equal(node.status().shard, 's0');
    assert.equal((await settled(clock, node.propose({ op: 'set1', key: mine, value: 'v' }))).ok, true);
    await assert.rejects(node.propose({ op: 'set1', key: theirs, value: 'v' }), (e: NodeError) => e.code === 'RAFTKV_ERR_WRONG_SHARD' && e.details?.shard === 's1' && e.details.slot === keySlot(theirs));
    await assert.rejects(node.read(theirs), (e: NodeError) => e.code === 'RAFTKV_ERR_WRONG_SHARD');
    assert.throws(() => new ShardGuard('n1', { shard: 's9', shards: [{ id: 's0', slots: [[0, 16383]] }] }), /not in the slot map/);
    await node.stop();
  });
});

it('nothing in src/node/ imports slot code (slots and slot maps are the shard layer\'s business)', () => {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/node');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('raft-node.ts'));
  const offenders = files.filter((f) => /from\s+['"][^'"]*\/(slots|slot-map|shard-guard)\.js['"]/.test(readFileSync(path.join(dir, f), 'utf8')));
  assert.deepEqual(offenders, []);
});
