// The simulated disk keeps the promises the production node relies on
// (NodeStore in src/node/deps.ts): calls through its queue complete in the
// order they were made, several writes may be in flight at once, a crash
// loses exactly the ones not completed, and an injected failure rejects one
// write and stores nothing of it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryKind, type Entry } from '../../src/raft/index.js';
import { EventQueue, TICK } from './event-queue.js';
import { Life } from './sim-clock.js';
import { SimDisk, type DiskHost } from './sim-disk.js';

function entry(index: number, term = 1): Entry {
  return { index, term, kind: EntryKind.Normal, data: new Uint8Array([index]) };
}

function world(delays: number[]): { queue: EventQueue; host: DiskHost; disk: SimDisk; life: () => Life } {
  const queue = new EventQueue();
  let i = 0;
  const host: DiskHost = { queue, diskDelay: () => delays[i++ % delays.length]!, trace: () => {}, stats: { persists: 0 } };
  return { queue, host, disk: new SimDisk('n1', host), life: () => new Life(queue, () => 0) };
}

async function runAll(queue: EventQueue): Promise<void> {
  while (queue.runNext(Infinity)) await queue.settle();
  await queue.settle();
}

describe('simulated disk', () => {
  it('completes queued calls in the order they were made, with several writes in flight', async () => {
    // The second write is drawn faster than the first: it still completes after it.
    const { queue, disk, life } = world([5 * TICK, 1 * TICK, 0]);
    const store = disk.open(life());
    const done: string[] = [];
    const a = store.persist({ entries: [entry(1), entry(2)] }).then(() => done.push(`a@${queue.now}`));
    const b = store.persist({ entries: [entry(3)], hardState: { term: 1, vote: 'n1', commit: 2 } }).then(() => done.push(`b@${queue.now}`));
    const c = store.applyBatch([{ key: 'k', value: 'v' }], [], 2).then(() => done.push(`c@${queue.now}`));
    assert.equal(disk.inFlight, 3);
    await runAll(queue);
    await Promise.all([a, b, c]);
    assert.deepEqual(done, [`a@${5 * TICK}`, `b@${5 * TICK}`, `c@${5 * TICK}`]);
    const loaded = await (async () => {
      const p = store.load();
      await runAll(queue);
      return p;
    })();
    assert.deepEqual(
      loaded.entries.map((e) => e.index),
      [1, 2, 3],
    );
    assert.equal(loaded.applied, 2);
    assert.equal(loaded.kv.get('k'), 'v');
  });

  it('loses every call not completed at a crash, and serves no call of a dead life', async () => {
    const { queue, disk, life } = world([TICK, 3 * TICK]);
    const first = life();
    const store = disk.open(first);
    let settled = 0;
    void store.persist({ entries: [entry(1)], hardState: { term: 1, vote: 'n1', commit: 0 } }).then(() => settled++);
    void store.persist({ entries: [entry(2)] }).then(() => settled++);
    queue.runNext(Infinity);
    await queue.settle();
    assert.equal(settled, 1, 'the first write completed');
    first.dead = true;
    assert.equal(disk.crash(), 1, 'one write was lost');
    void store.persist({ entries: [entry(3)] }).then(() => settled++);
    await runAll(queue);
    assert.equal(settled, 1);
    assert.deepEqual(
      disk.entries.map((e) => e.index),
      [1],
    );
    assert.equal(disk.hardState.vote, 'n1');
  });

  it('fails the next write when told to: the promise rejects, nothing of it is stored, nothing after it completes', async () => {
    const { queue, disk, life } = world([TICK]);
    const store = disk.open(life());
    await (async () => {
      const p = store.persist({ entries: [entry(1)] });
      await runAll(queue);
      return p;
    })();
    disk.failNextWrite();
    const failed = store.persist({ entries: [entry(2)] }).then(
      () => 'stored',
      (e: unknown) => (e as Error).message,
    );
    let later = false;
    void store.applyBatch([], [], 1).then(() => (later = true));
    await runAll(queue);
    assert.match(await failed, /simulated disk failure/);
    assert.equal(later, false);
    assert.ok(disk.broken);
    assert.deepEqual(
      disk.entries.map((e) => e.index),
      [1],
    );
  });

  it('refuses what SqliteStore refuses: a gap in the log, applied beyond it', async () => {
    const { queue, disk, life } = world([0]);
    const store = disk.open(life());
    const gap = store.persist({ entries: [entry(3)] }).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    const beyond = store.applyBatch([], [], 5).then(
      () => '',
      (e: unknown) => (e as Error).message,
    );
    await runAll(queue);
    assert.match(await gap, /gap/);
    assert.match(await beyond, /beyond the stored log/);
  });
});
