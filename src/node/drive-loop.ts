// The drive loop: ticks and peer messages go into the core, and every ready
// the core has goes to the write pipeline (write-pipeline.ts), which starts
// its disk write at once. As a ready's write becomes durable this loop
// sends what waited for it, applies its committed entries (applier.ts),
// answers their clients (client-requests.ts) and the reads they reach
// (linearizable-reads.ts), and advances the core. It is also where the node
// fails when its disk refuses a write.

import { MessageType, type Entry, type HardState, type Message, type Ready } from '../raft/index.js';
import { LogLimiter } from '../transport/log-limiter.js';
import type { Applier } from './applier.js';
import type { ClientRequests } from './client-requests.js';
import type { TimerHandle } from './clock.js';
import { nodeFailed, type NodeError } from '../common/errors.js';
import type { Forwarder } from './forwarder.js';
import type { KvResult } from './kv-state.js';
import type { LinearizableReads } from './linearizable-reads.js';
import type { Driver, NodeContext } from './node-context.js';
import type { Snapshots } from './snapshots.js';
import { WritePipeline, type AppliedEntry, type PipelineHost } from './write-pipeline.js';

/**
 * Readies whose writes may be in flight at once. The store merges writes that
 * queue behind one another into one transaction (one fsync), so a deeper
 * pipeline costs no more disk work; the bound only caps memory when the disk
 * stalls.
 */
const MAX_WRITES_IN_FLIGHT = 64;

/** The pieces the loop hands work to. */
export interface DriveParts {
  clients: ClientRequests;
  reads: LinearizableReads;
  applier: Applier;
  snapshots: Snapshots;
  forwarder: Forwarder;
}

export class DriveLoop implements Driver, PipelineHost<KvResult | undefined> {
  readonly #ctx: NodeContext;
  readonly #clients: ClientRequests;
  readonly #reads: LinearizableReads;
  readonly #applier: Applier;
  readonly #snapshots: Snapshots;
  readonly #forwarder: Forwarder;
  readonly #pipeline: WritePipeline<KvResult | undefined>;
  #tickTimer: TimerHandle | undefined;
  #driveScheduled = false;
  #driving = false;
  #lastTickAt: number;
  readonly #stallWarnMs: number;
  /** The hard state last handed to the store (its write may still be in flight). */
  #writtenHard: HardState;
  /** A newer hard state that differs only in its commit index: it rides along with the next write. */
  #unwrittenHard: HardState | undefined;
  /** Messages the core threw on (a bug, or input no check foresaw): dropped, the node goes on. */
  #stepFailures = 0;
  readonly #stepFailureLog: LogLimiter;
  #seenLeader = '';
  /** When each ready handed to the pipeline started its write (performance.now(); -1: nothing to write), oldest first. */
  #writeStarts: number[] = [];

  constructor(ctx: NodeContext, parts: DriveParts, hard: HardState) {
    this.#ctx = ctx;
    this.#clients = parts.clients;
    this.#reads = parts.reads;
    this.#applier = parts.applier;
    this.#snapshots = parts.snapshots;
    this.#forwarder = parts.forwarder;
    const clock = ctx.clock;
    this.#lastTickAt = clock.monotonic();
    this.#stepFailureLog = new LogLimiter(undefined, undefined, () => clock.monotonic());
    this.#writtenHard = hard;
    this.#stallWarnMs = Math.max(50, (ctx.opts.electionTicks[0] * ctx.opts.tickMs) / 2);
    this.#pipeline = new WritePipeline(this);
  }

  /** Start ticking. */
  start(): void {
    this.#tickTimer = this.#ctx.clock.setInterval(() => this.#onTick(), this.#ctx.opts.tickMs);
  }

  /** Peer messages the core threw on and that were dropped (see onMessage). */
  get stepFailures(): number {
    return this.#stepFailures;
  }

  #onTick(): void {
    const ctx = this.#ctx;
    // A late tick means this thread did not run: past half of an election
    // timeout it is what makes the others elect a new leader, so say so.
    const now = ctx.clock.monotonic();
    const gap = now - this.#lastTickAt;
    this.#lastTickAt = now;
    if (gap > this.#stallWarnMs) ctx.log.warn('event loop stalled', { id: ctx.id, ms: Math.round(gap), role: ctx.raw.role });
    if (ctx.paused || ctx.stopped) return;
    ctx.raw.tick();
    this.#clients.maybeReap();
    this.kick();
  }

  onMessage(m: Message): void {
    const ctx = this.#ctx;
    if (ctx.paused || ctx.stopped) return;
    if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) ctx.lastContact = ctx.clock.now();
    ctx.tallies.received[m.type]++;
    try {
      ctx.raw.step(m);
    } catch (e) {
      // A message comes from outside: whatever the core makes of it, the
      // node must not stop for it (the transport validated it, and the core
      // drops what no correct peer sends, so this is a bug to report loudly).
      // Storage failures still stop the node: they come through drive.
      this.#stepFailures++;
      const suppressed = this.#stepFailureLog.take('step');
      if (suppressed >= 0) {
        const err = e instanceof Error ? e : new Error(String(e));
        ctx.log.error('message dropped: the core failed on it', { id: ctx.id, type: m.type, from: m.from, term: m.term, error: err.stack ?? err.message, suppressed, failures: this.#stepFailures });
      }
    }
    this.kick();
  }

  kick(): void {
    if (this.#driveScheduled || this.#ctx.stopped) return;
    this.#driveScheduled = true;
    this.#ctx.clock.defer(() => {
      this.#driveScheduled = false;
      this.#drive();
    });
  }

  /**
   * Take every ready the core has and hand it to the write pipeline, which
   * starts its write at once: this does not wait for the disk. The pipeline
   * kicks the loop again as readies finish (the core then has more: commits,
   * acks to send), and it bounds how many may be in flight.
   */
  #drive(): void {
    const ctx = this.#ctx;
    if (this.#driving || ctx.stopped || ctx.paused) return;
    this.#driving = true;
    try {
      for (;;) {
        this.#clients.flushProposals();
        if (ctx.stopped || this.#pipeline.failed || this.#pipeline.depth >= MAX_WRITES_IN_FLIGHT || !ctx.raw.hasReady()) break;
        this.#pipeline.submit(ctx.raw.ready());
      }
    } catch (e) {
      this.fail(e);
    } finally {
      this.#driving = false;
    }
  }

  /**
   * The node cannot go on (its disk refused a write): it must not vote or
   * acknowledge on a log it could not write, yet stopping it outright would
   * leave its users with a refused connection and no reason. So its Raft
   * activity ends here (no ticks, no messages in or out, nothing driven: what
   * a paused node does, and a failed one is never resumed), while its fronts
   * stay up answering RAFTKV_ERR_NODE_FAILED with the reason, until it is
   * stopped or restarted. The store is closed by that stop.
   */
  fail(e: unknown): void {
    const ctx = this.#ctx;
    if (ctx.stopped || ctx.fatal) return;
    const fatal = e instanceof Error ? e : new Error(String(e));
    ctx.fatal = fatal;
    ctx.log.error('node failed', { id: ctx.id, error: fatal.stack ?? fatal.message });
    ctx.paused = true;
    this.close(nodeFailed(fatal.message));
    void ctx.transport.close();
    ctx.opts.onFail?.(fatal.message);
  }

  /** Finish no more readies, stop ticking and forwarding, and fail every request still waiting (a stop, or a failure). */
  close(err: NodeError): void {
    const ctx = this.#ctx;
    this.#pipeline.close();
    ctx.clock.clearInterval(this.#tickTimer);
    this.#clients.abandon(err);
    this.#reads.abandon(err);
    this.#forwarder.close();
    ctx.watch.close(err.message);
  }

  // ---- the write pipeline's host: what it does with each ready ----

  send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const plain: Message[] = [];
    const sent = this.#ctx.tallies.sent;
    for (const m of msgs) {
      sent[m.type]++;
      if (m.type === MessageType.Snap && m.data === undefined) void this.#snapshots.sendChunk(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.#ctx.transport.send(plain);
  }

  /** The pipeline's write of `rd`: undefined when it holds nothing that must be durable. */
  write(rd: Ready): Promise<void> | undefined {
    const ctx = this.#ctx;
    // A hard state whose term and vote are unchanged carries only a newer
    // commit index, which safety does not need on disk (it is learned again
    // from the leader): it is written with the next write instead of costing one.
    if (rd.hardState) this.#unwrittenHard = rd.hardState;
    const hs = this.#unwrittenHard;
    const termOrVote = hs !== undefined && (hs.term !== this.#writtenHard.term || hs.vote !== this.#writtenHard.vote);
    if (rd.entries.length === 0 && !termOrVote && !rd.snapshot && !rd.snapshotChunk) {
      if (ctx.tallies.timed) this.#writeStarts.push(-1);
      return undefined;
    }
    if (hs) {
      this.#writtenHard = hs;
      this.#unwrittenHard = undefined;
    }
    if (rd.snapshot) ctx.installing = rd.snapshot.index;
    if (ctx.tallies.timed) {
      const started = performance.now();
      this.#writeStarts.push(started);
      if (rd.snapshot) this.#snapshots.installStartedAt = started;
    }
    return ctx.store.persist({ entries: rd.entries, hardState: hs, snapshot: rd.snapshot, snapshotKeepsLog: rd.snapshotKeepsLog, snapshotChunk: rd.snapshotChunk });
  }

  /** `rd` and every earlier ready are on disk: an installed snapshot becomes the state machine. */
  durable(rd: Ready): Promise<void> | undefined {
    const tallies = this.#ctx.tallies;
    // Readies become durable in the order they were written (write pushed one start each, -1 for no write):
    // timing it here costs no promise of its own.
    if (tallies.timed) {
      const started = this.#writeStarts.shift()!;
      if (started >= 0) tallies.persist.observe((performance.now() - started) / 1000);
    }
    if (!rd.snapshot) return undefined;
    return this.#snapshots.restore(rd.snapshot);
  }

  apply(entries: readonly Entry[]): AppliedEntry<KvResult | undefined>[] {
    return this.#applier.apply(entries);
  }

  /** Tell the clients waiting on applied entries what became of them; finish reads the state now reaches. */
  answer(applied: readonly AppliedEntry<KvResult | undefined>[]): void {
    this.#clients.answer(applied);
    this.#reads.applied();
  }

  /** After `rd`'s messages left and its entries were applied: its reads, and the core moves on. */
  finish(rd: Ready): void {
    const ctx = this.#ctx;
    // (Never after stop or a failure: both close the pipeline, which then finishes nothing.)
    this.#reads.confirmed(rd);
    ctx.raw.advance(rd);
    const lead = ctx.raw.raft.lead;
    if (lead !== this.#seenLeader) {
      if (lead !== '') ctx.tallies.leaderChanges++;
      this.#seenLeader = lead;
    }
    this.#snapshots.maybeTake();
    this.kick();
  }
}
