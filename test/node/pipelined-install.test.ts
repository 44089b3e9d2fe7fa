// A snapshot installed while an earlier ready's write is still in flight
// (found by the simulator: seed 384 of 3 nodes, seed 592 of 5 nodes). The
// pipeline starts the install's write at once, so it is queued in the store
// ahead of the apply batch the earlier ready makes once it is durable; that
// batch, for entries the snapshot already holds, would take the stored applied
// index back, which the store refuses, and the node failed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftNode } from '../../src/node/raft-node.js';
import type { NodeStore, NodeTransport, TransportCallbacks } from '../../src/node/deps.js';
import { EntryKind, MessageType, SeededRand, crc32, type SnapshotMeta } from '../../src/raft/index.js';
import { MemoryStore } from '../../src/storage/memory-store.js';
import type { PersistRequest, SessionRow } from '../../src/storage/types.js';
import type { KvWrite } from '../../src/common/kv-write.js';
import { LinkFilter } from '../../src/transport/link-filter.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { nodeOptions } from '../helpers/node-options.js';


/** A MemoryStore whose calls run one after another, persists held until released while `gate` is set. */
class GatedStore implements NodeStore {
  readonly inner = new MemoryStore();
  gate = false;
  readonly #held: (() => void)[] = [];
  #chain: Promise<unknown> = Promise.resolve();

  get held(): number {
    return this.#held.length;
  }

  release(): void {
    this.#held.shift()!();
  }

  #run<T>(fn: () => Promise<T>, gated = false): Promise<T> {
    const p = this.#chain.then(async () => {
      if (gated && this.gate) await new Promise<void>((r) => this.#held.push(r));
      return fn();
    });
    this.#chain = p.catch(() => undefined);
    return p;
  }

  load = () => this.#run(() => this.inner.load());
  persist = (rd: PersistRequest) => this.#run(() => this.inner.persist(rd), true);
  applyBatch = (w: readonly KvWrite[], s: readonly SessionRow[], i: number, e?: readonly string[]) => this.#run(() => this.inner.applyBatch(w, s, i, e));
  captureSnapshot = () => this.#run(() => this.inner.captureSnapshot());
  readSnapshotChunk = (i: number, o: number, l: number) => this.#run(() => this.inner.readSnapshotChunk(i, o, l));
  recordSnapshot = (m: SnapshotMeta) => this.#run(() => this.inner.recordSnapshot(m));
  compactLog = (upTo: number) => this.#run(() => this.inner.compactLog(upTo));
  close = () => this.inner.close();
}

describe('a snapshot installed while an earlier write is in flight', () => {
  it("does not send the earlier ready's apply batch to the store behind the install", async () => {
    const clock = new ManualClock();
    const store = new GatedStore();
    let peer: TransportCallbacks | undefined;
    const transport: NodeTransport = {
      filter: new LinkFilter(),
      start: () => Promise.resolve(),
      send: () => {},
      setPeer: () => {},
      removePeer: () => {},
      inboundStats: () => ({ connections: 0, dropped: 0, refused: 0, pendingBytes: 0 }),
      close: () => Promise.resolve(),
    };
    const ids = ['n1', 'n2', 'n3'];
    const opts = nodeOptions('n3', ids, 'pipelined-install-test');
    const node = await RaftNode.create(opts, {
      store,
      clock,
      rand: new SeededRand(3),
      transport: (_peers, callbacks) => {
        peer = callbacks;
        return transport;
      },
    });
    await clock.settle(); // the bootstrap entries 1..3 are written and applied
    store.gate = true;

    // The leader n2 appends entry 4 and commits it: ready R1 writes it (held), and applies it once durable.
    const from = { from: 'n2', to: 'n3', term: 2 };
    peer!.onMessage({ ...from, type: MessageType.App, index: 3, logTerm: 1, commit: 4, entries: [{ index: 4, term: 2, kind: EntryKind.Noop, data: new Uint8Array(0) }] });
    await clock.settle();
    assert.equal(store.held, 1);

    // Then a whole snapshot at 10 arrives: ready R2 installs it, its write queued behind R1's.
    const data = new TextEncoder().encode(JSON.stringify({ applied: 10, kv: [['k', 'v']], sessions: [] }));
    const meta: SnapshotMeta = { index: 10, term: 2, confState: { voters: ids, learners: [], removed: [] }, size: data.byteLength };
    peer!.onMessage({ ...from, type: MessageType.Snap, index: 0, logTerm: 0, commit: 0, snapshot: meta, offset: 0, data, checksum: crc32(data), last: true });
    await clock.settle();

    store.release(); // R1 is durable: entry 4 is applied
    await clock.settle();
    store.release(); // R2: the snapshot is installed
    await clock.settle();

    assert.equal(node.status().failed, undefined);
    assert.equal(node.kv.get('k'), 'v');
    assert.equal((await store.inner.load()).applied, 10);
    await node.stop();
  });
});
