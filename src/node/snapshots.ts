// Snapshots: taking one every `snapshotEvery` applied entries (the store
// captures the applied state, the core then compacts its log), sending one
// to a follower that fell behind the log, chunk by chunk read from the
// store, and installing one received from the leader once it is durable.

import { setSnapshotChunk, type Message, type SnapshotMeta } from '../raft/index.js';
import type { Membership } from './membership.js';
import type { NodeContext } from './node-context.js';
import { kvFromStore } from './stored-state.js';

export class Snapshots {
  readonly #ctx: NodeContext;
  readonly #membership: Membership;
  #capturing = false;
  /** When the snapshot being installed started its write (performance.now(); set by the drive loop's write). */
  installStartedAt = 0;
  /** When the snapshot being sent to each follower left with its first chunk. */
  readonly #sendStart = new Map<string, number>();

  constructor(ctx: NodeContext, membership: Membership) {
    this.#ctx = ctx;
    this.#membership = membership;
  }

  /** Take a snapshot when enough entries were applied since the last one (one capture at a time). */
  maybeTake(): void {
    const ctx = this.#ctx;
    if (this.#capturing || ctx.applied - ctx.lastSnapshotIndex < ctx.opts.snapshotEvery) return;
    this.#capturing = true;
    void (async () => {
      try {
        const started = performance.now();
        const snap = await ctx.store.captureSnapshot();
        if (ctx.stopped) return;
        ctx.raw.snapshotCaptured(snap.index, snap.size);
        const meta = ctx.raw.raft.log.snapshot;
        if (meta && meta.index === snap.index) {
          await ctx.store.recordSnapshot(meta);
          await ctx.store.compactLog(ctx.raw.status().firstIndex - 1);
        }
        ctx.lastSnapshotIndex = snap.index;
        ctx.tallies.snapshotsTaken++;
        if (ctx.tallies.timed) ctx.tallies.snapshotTake.observe((performance.now() - started) / 1000);
      } catch (e) {
        if (!ctx.stopped) ctx.log.error('snapshot failed', { id: ctx.id, error: String(e) });
      } finally {
        this.#capturing = false;
      }
    })();
  }

  /** A snapshot message the core left without data: read its chunk from the store, then send it. */
  async sendChunk(m: Message): Promise<void> {
    const ctx = this.#ctx;
    try {
      const chunk = await ctx.store.readSnapshotChunk(m.snapshot!.index, m.offset ?? 0, m.chunkSize ?? ctx.limits.snapshotChunkBytes);
      if (ctx.stopped) return;
      setSnapshotChunk(m, chunk);
      ctx.transport.send([m]);
      if ((m.offset ?? 0) === 0) this.#sendStart.set(m.to, performance.now());
      if (m.last) {
        ctx.tallies.snapshotsSent++;
        const started = this.#sendStart.get(m.to);
        if (started !== undefined && ctx.tallies.timed) ctx.tallies.snapshotSend.observe((performance.now() - started) / 1000);
        this.#sendStart.delete(m.to);
      }
    } catch (e) {
      // The snapshot was replaced by a newer one; the leader resends from the new one.
      ctx.log.warn('snapshot chunk not sent', { id: ctx.id, to: m.to, index: m.snapshot?.index, error: String(e) });
    }
  }

  /** A ready installed `snapshot` and it is durable: it becomes the state machine. */
  async restore(snapshot: SnapshotMeta): Promise<void> {
    const ctx = this.#ctx;
    const loaded = await ctx.store.load();
    if (ctx.stopped) return;
    ctx.kv = kvFromStore(loaded, ctx.clock);
    ctx.applied = snapshot.index;
    ctx.watch.restored(snapshot.index);
    ctx.lastSnapshotIndex = snapshot.index;
    this.#membership.syncPeers();
    ctx.tallies.snapshotsInstalled++;
    if (ctx.tallies.timed) ctx.tallies.snapshotInstall.observe((performance.now() - this.installStartedAt) / 1000);
    ctx.log.info('snapshot restored', { id: ctx.id, index: snapshot.index, keys: ctx.kv.keyspace.size });
    ctx.opts.observer?.restored(snapshot.index, ctx.kv);
  }
}
