// A leader cut off from its cluster keeps proposing; a new leader elsewhere
// overwrites those entries, and when the old leader leads again it proposes
// at the same indexes. Its first clients must then be told their writes were
// overwritten — neither left waiting for a timeout at an index that now
// belongs to another write, nor allowed to answer for that write.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RaftNode } from '../../src/node/raft-node.js';
import { NodeError } from '../../src/common/errors.js';
import { Role, SeededRand } from '../../src/raft/index.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { MemoryNetwork } from '../helpers/memory-transport.js';
import { nodeOptions } from '../helpers/node-options.js';

async function until(clock: ManualClock, what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await clock.advance(10);
  assert.ok(cond(), `${what}: not reached within ${ms} simulated ms`);
}

type Outcome = { ok: true } | { ok: false; code: string };
const outcome = (p: Promise<unknown>): { settled?: Outcome } => {
  const box: { settled?: Outcome } = {};
  p.then(
    () => (box.settled = { ok: true }),
    (e: unknown) => (box.settled = { ok: false, code: e instanceof NodeError ? e.code : String(e) }),
  );
  return box;
};

it('writes overwritten by another leader are answered "overwritten" when their old leader proposes at their indexes again', async () => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const ids = ['a', 'b', 'c'];
  // A request timeout far beyond the test's simulated time: an answer that
  // arrives is never a timeout.
  const nodes = await Promise.all(
    ids.map((id, i) => RaftNode.create({ ...nodeOptions(id, ids, 'waiter-reuse-test-token'), requestTimeoutMs: 600_000 }, { store: new MemoryStore(), transport: net.factory(id, clock), clock, rand: new SeededRand(40 + i) })),
  );
  const leaderOf = (): RaftNode | undefined => nodes.find((n) => n.status().role === Role.Leader);
  await until(clock, 'first leader', () => leaderOf() !== undefined);
  const old = leaderOf()!;
  const oldId = old.status().id;
  const cut = net.transport(oldId).filter;
  cut.cut('*');
  cut.cutFrom('*');

  const base = old.status().lastIndex;
  const stranded = Array.from({ length: 10 }, (_, i) => outcome(old.propose({ op: 'set', kv: [[`stranded${i}`, 'x']] })));
  await until(clock, 'the cut-off leader appends its batch', () => old.status().lastIndex === base + 10);
  await until(clock, 'a leader on the majority side', () => nodes.some((n) => n !== old && n.status().role === Role.Leader));

  cut.heal();
  await until(clock, 'the old leader follows and its log is overwritten', () => {
    const s = old.status();
    return s.role !== Role.Leader && s.lastIndex < base + 10 && s.applied === s.commit && s.commit === s.lastIndex;
  });
  const overwrittenAt = old.status().lastIndex;

  const current = leaderOf();
  assert.ok(current, 'a leader after the heal');
  if (current !== old) {
    const transfer = outcome(current.transferLeadership(oldId));
    await until(clock, 'leadership back on the old leader', () => transfer.settled !== undefined && old.status().role === Role.Leader);
  }
  const reusedFrom = old.status().lastIndex + 1;
  assert.ok(reusedFrom <= base + 10, `the new proposals reuse indexes of the stranded batch (${reusedFrom} <= ${base + 10})`);

  const fresh = Array.from({ length: 10 }, (_, i) => outcome(old.propose({ op: 'set', kv: [[`fresh${i}`, 'y']] })));
  await until(clock, 'every write answered', () => [...stranded, ...fresh].every((o) => o.settled !== undefined));

  assert.deepEqual(fresh.map((o) => o.settled), fresh.map(() => ({ ok: true })), 'the new writes commit');
  assert.deepEqual(
    stranded.map((o) => o.settled),
    stranded.map(() => ({ ok: false, code: 'RAFTKV_ERR_PROPOSAL_DROPPED' })),
    `the stranded writes are told they were overwritten (log overwritten down to ${overwrittenAt}, reused from ${reusedFrom})`,
  );
  for (let i = 0; i < 10; i++) {
    assert.equal(old.kv.get(`stranded${i}`), undefined);
    assert.equal(old.kv.get(`fresh${i}`), 'y');
  }
  await Promise.all(nodes.map((n) => n.stop()));
});
