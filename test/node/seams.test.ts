// The seams end to end: the production RaftNode over an in-memory store, an
// in-memory network and a clock the test moves by hand. No socket, no file,
// no real time reaches the node, yet it elects, replicates, applies, serves
// reads through ReadIndex and restarts from what it stored.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftNode, type NodeOptions } from '../../src/node/raft-node.js';
import type { NodeObserver, NodeStore } from '../../src/node/deps.js';
import { Role, SeededRand } from '../../src/raft/index.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ManualClock, settled, until } from '../helpers/manual-clock.js';
import { MemoryNetwork } from '../helpers/memory-transport.js';
import { nodeOptions } from '../helpers/node-options.js';

const options = (id: string, founders: string[]): NodeOptions => nodeOptions(id, founders, 'seams-test-token');

function start(id: string, founders: string[], store: NodeStore, clock: ManualClock, net: MemoryNetwork, seed: number): Promise<RaftNode> {
  return RaftNode.create(options(id, founders), { store, transport: net.factory(id, clock), clock, rand: new SeededRand(seed) });
}

describe('RaftNode over in-memory seams (no sockets, no disk, no real time)', () => {
  it('a single node elects itself, applies a write, reads it back and finds it again after a restart', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const store = new MemoryStore();
    const node = await start('n1', ['n1'], store, clock, net, 1);
    await until(clock, () => node.status().role === Role.Leader);

    const result = await settled(clock, node.propose({ op: 'set', kv: [['k', 'v1']] }));
    assert.deepEqual(result, { ok: true });
    assert.equal(await settled(clock, node.read('k')), 'v1');

    await node.stop();
    assert.equal(clock.pending, 0, 'stop clears every timer of the node');

    const again = await start('n1', ['n1'], store.reopen(), clock, net, 2);
    assert.equal(again.kv.get('k'), 'v1', 'the applied state came back from the store');
    await until(clock, () => again.status().role === Role.Leader);
    assert.equal(await settled(clock, again.read('k')), 'v1');
    await again.stop();
  });

  it('three nodes elect one leader and replicate a write to the followers', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const ids = ['a', 'b', 'c'];
    const nodes = await Promise.all(ids.map((id, i) => start(id, ids, new MemoryStore(), clock, net, 10 + i)));
    await until(clock, () => nodes.filter((n) => n.status().role === Role.Leader).length === 1);
    const leader = nodes.find((n) => n.status().role === Role.Leader)!;

    assert.deepEqual(await settled(clock, leader.propose({ op: 'set', kv: [['x', '1']] })), { ok: true });
    await until(clock, () => nodes.every((n) => n.kv.get('x') === '1'));
    // A follower's linearizable read goes through the leader's ReadIndex, over the network.
    const follower = nodes.find((n) => n !== leader)!;
    assert.equal(await settled(clock, follower.read('x')), '1');
    assert.ok(net.sent.length > 0);

    await Promise.all(nodes.map((n) => n.stop()));
    assert.equal(clock.pending, 0);
  });

  it('numbers the reads of each incarnation apart, so the answer to a read sent before a restart confirms no read after it', async () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const store = new MemoryStore();
    const started: number[] = [];
    const observer: NodeObserver = { applied: () => {}, restored: () => {}, readStarted: (ctx) => started.push(ctx), readConfirmed: () => {} };
    // The same seed for both incarnations: nothing but the restart tells their reads apart.
    const create = (s: NodeStore): Promise<RaftNode> => RaftNode.create({ ...options('n1', ['n1']), observer }, { store: s, transport: net.factory('n1', clock), clock, rand: new SeededRand(7) });
    for (let life = 0; life < 2; life++) {
      const node = await create(store.reopen());
      await until(clock, () => node.status().role === Role.Leader);
      assert.equal(await settled(clock, node.read('k')), undefined);
      await node.stop();
    }
    assert.equal(started.length, 2);
    assert.notEqual(started[0], started[1], `both incarnations named their first read ${started[0]}`);
  });
});
