// Reads: the barrier a read passes before it is served from this node's
// state. A linearizable read asks the core for a ReadIndex (the leader
// confirms its commit index with a heartbeat round, shared by all reads
// waiting), then waits for the state machine to reach that index.

import { Role, type Ready } from '../raft/index.js';
import type { TimerHandle } from './clock.js';
import type { KvState } from './kv-state.js';
import { timeout, toNodeError, type NodeError } from '../common/errors.js';
import type { NodeContext } from './node-context.js';
import type { ReadLevel } from './types.js';

interface PendingRead {
  resolve: () => void;
  reject: (e: NodeError) => void;
  timer: TimerHandle;
  index: number;
}

export class LinearizableReads {
  readonly #ctx: NodeContext;
  readonly #unsafeStaleReads: boolean;
  readonly #reads = new Map<number, PendingRead>();
  /** Confirmed reads waiting for the state machine to reach their index. */
  #readsAwaitingApply: number[] = [];
  /** The context of the next ReadIndex request (RaftNode.create numbers each incarnation's apart). */
  nextContext = 1;

  constructor(ctx: NodeContext) {
    this.#ctx = ctx;
    this.#unsafeStaleReads = ctx.opts.unsafeStaleReads === true;
    if (this.#unsafeStaleReads) ctx.log.warn('UNSAFE: linearizable reads are served without ReadIndex (a chaos-checker proof run)', { id: ctx.id });
  }

  /** See RaftNode.readBarrier. */
  async barrier(level: ReadLevel, keys?: readonly string[]): Promise<KvState> {
    const ctx = this.#ctx;
    ctx.checkUp();
    if (keys) ctx.keyGuard?.check(keys);
    ctx.tallies.reads[level]++;
    if (level === 'stale' || this.#unsafeStaleReads) return ctx.kv;
    if (level === 'leader') {
      if (ctx.raw.role !== Role.Leader) throw ctx.notLeaderError();
      return ctx.kv;
    }
    const readCtx = this.nextContext++;
    ctx.opts.observer?.readStarted(readCtx);
    await new Promise<void>((resolve, reject) => {
      const timer = ctx.clock.setTimeout(() => {
        this.#reads.delete(readCtx);
        reject(timeout('linearizable read', ctx.requestTimeoutMs));
      }, ctx.requestTimeoutMs);
      this.#reads.set(readCtx, { resolve, reject, timer, index: -1 });
      try {
        ctx.raw.readIndex(readCtx);
      } catch (e) {
        ctx.clock.clearTimeout(timer);
        this.#reads.delete(readCtx);
        reject(toNodeError(e));
        return;
      }
      ctx.kick();
    });
    // Read after the wait: a snapshot installed meanwhile replaced the state.
    return ctx.kv;
  }

  /** `rd` is finished: its confirmed reads are served once the state reaches their index; dropped ones are refused. */
  confirmed(rd: Ready): void {
    const ctx = this.#ctx;
    for (const rs of rd.readStates) {
      ctx.opts.observer?.readConfirmed(rs.context, rs.index);
      const r = this.#reads.get(rs.context);
      if (!r) continue;
      r.index = rs.index;
      if (rs.index <= ctx.applied) this.#finishRead(rs.context);
      else this.#readsAwaitingApply.push(rs.context);
    }
    for (const readCtx of rd.droppedReads) {
      const r = this.#reads.get(readCtx);
      if (!r) continue;
      ctx.clock.clearTimeout(r.timer);
      this.#reads.delete(readCtx);
      r.reject(ctx.notLeaderError());
    }
  }

  /** Entries were applied: finish the reads the state now reaches. */
  applied(): void {
    if (this.#readsAwaitingApply.length === 0) return;
    const still: number[] = [];
    for (const readCtx of this.#readsAwaitingApply) {
      const r = this.#reads.get(readCtx);
      if (!r) continue;
      if (r.index <= this.#ctx.applied) this.#finishRead(readCtx);
      else still.push(readCtx);
    }
    this.#readsAwaitingApply = still;
  }

  #finishRead(readCtx: number): void {
    const r = this.#reads.get(readCtx);
    if (!r) return;
    this.#reads.delete(readCtx);
    this.#ctx.clock.clearTimeout(r.timer);
    r.resolve();
  }

  /** Fail every read still waiting (a stop, or a failure). */
  abandon(err: NodeError): void {
    for (const [, r] of this.#reads) {
      this.#ctx.clock.clearTimeout(r.timer);
      r.reject(err);
    }
    this.#reads.clear();
  }
}
