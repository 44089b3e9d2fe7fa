// Client request tracking, the write side: proposals gathered between two
// turns of the drive loop (one batch, one append, one fsync), the clients
// waiting on the entries they became (by index, one deadline per batch),
// the hand-off to the forwarder on a follower, and the leader's reap of
// expired keys. Answers come from the apply step (applier.ts) through answer().

import { Role } from '../raft/index.js';
import type { Forwarder } from './forwarder.js';
import type { TimerHandle } from './clock.js';
import { internal, proposalOverwritten, timeout, toNodeError, type NodeError } from '../common/errors.js';
import { encodeEnvelope, type Envelope, type KvResult } from './kv-state.js';
import { leaderAddrs } from './membership.js';
import type { NodeContext } from './node-context.js';
import type { AppliedEntry } from './write-pipeline.js';

interface Waiter {
  term: number;
  resolve: (r: KvResult) => void;
  reject: (e: NodeError) => void;
  /** The deadline this waiter shares with the rest of its batch (one timer per batch, not per write). */
  deadline: Deadline;
}

interface Deadline {
  timer: TimerHandle | undefined;
  /** Waiters of the batch not yet answered: the timer is cleared when none is left. */
  pending: number;
}

interface PendingProposal {
  env: Envelope;
  data: Uint8Array;
  resolve: (r: KvResult) => void;
  reject: (e: NodeError) => void;
}

/** One client waiting on one entry: what #wait takes (a proposal, or a membership change). */
export type EntryClient = Pick<Waiter, 'resolve' | 'reject'>;

/** Keys one reap entry deletes at most. */
const REAP_BATCH = 1000;

export class ClientRequests {
  readonly #ctx: NodeContext;
  readonly #forwarder: Forwarder;
  #proposals: PendingProposal[] = [];
  readonly #waiters = new Map<number, Waiter>();
  #reaping = false;

  constructor(ctx: NodeContext, forwarder: Forwarder) {
    this.#ctx = ctx;
    this.#forwarder = forwarder;
  }

  /** Propose on this node, which must be the leader; resolves once the entry is applied here. */
  proposeHere(env: Envelope): Promise<KvResult> {
    const ctx = this.#ctx;
    ctx.tallies.proposalsReceived++;
    return new Promise((resolve, reject) => {
      // Forwarded batches and the router land here too: never store a key of another shard.
      // (Inside the promise: one misrouted command must fail alone, not its whole batch.)
      ctx.keyGuard?.checkCommand(env.cmd);
      // The leader's clock decides the entry's time (deadlines, expiry): every replica applies it alike.
      const stamped: Envelope = { ...env, t: ctx.clock.now() };
      this.#proposals.push({ env: stamped, data: encodeEnvelope(stamped), resolve, reject });
      ctx.kick();
    });
  }

  /** A follower's command goes to the leader (forwarder.ts), or is proposed here if this node leads by then. */
  async forward(env: Envelope): Promise<KvResult> {
    const ctx = this.#ctx;
    const sessioned = this.#forwarder.withSession(env);
    ctx.tallies.proposalsForwarded++;
    return this.#forwarder.run(
      () => leaderAddrs(ctx),
      (addrs) => this.#forwarder.propose(addrs.http, sessioned),
      () => ctx.raw.role === Role.Leader,
      () => this.proposeHere(sessioned),
      sessioned,
    );
  }

  /**
   * The leader proposes the deletion of keys whose deadline passed, a batch at
   * a time, one batch in flight (expiry.ts): every replica then deletes them
   * at the same index. Reads already hide them meanwhile.
   */
  maybeReap(): void {
    const ctx = this.#ctx;
    if (this.#reaping || ctx.raw.role !== Role.Leader || ctx.kv.expiry.size === 0) return;
    const due = ctx.kv.dueKeys(ctx.clock.now(), REAP_BATCH);
    if (due.length === 0) return;
    this.#reaping = true;
    this.proposeHere({ cmd: { op: 'reap', keys: due } })
      .catch((e: unknown) => ctx.log.debug('reap not applied', { id: ctx.id, error: String(e) }))
      .finally(() => {
        this.#reaping = false;
      });
  }

  /** Proposals that arrived since the last ready go in as one batch: one append, one fsync. */
  flushProposals(): void {
    if (this.#proposals.length === 0) return;
    const batch = this.#proposals;
    this.#proposals = [];
    let ref;
    try {
      ref = this.#ctx.raw.proposeBatch(batch.map((p) => p.data));
    } catch (e) {
      const err = toNodeError(e);
      this.#ctx.tallies.proposalsFailed += batch.length;
      for (const p of batch) p.reject(err);
      return;
    }
    this.wait(ref.index - batch.length + 1, ref.term, batch, 'write');
  }

  /**
   * Wait for the entries proposed at `first`, `first + 1`, ... in `term`, one
   * client each, under one deadline for them all. A waiter already at one of
   * those indexes is for an entry of an older term that a new leader overwrote
   * before it was applied here (this node proposes at that index again only as
   * a later leader): it is told so, rather than left to its timeout.
   */
  wait(first: number, term: number, clients: readonly EntryClient[], what: string): void {
    const ctx = this.#ctx;
    const deadline: Deadline = { timer: undefined, pending: clients.length };
    const waiters = clients.map((c): Waiter => ({ term, resolve: c.resolve, reject: c.reject, deadline }));
    deadline.timer = ctx.clock.setTimeout(() => {
      waiters.forEach((w, i) => {
        if (this.#waiters.get(first + i) !== w) return;
        this.#waiters.delete(first + i);
        ctx.tallies.proposalsFailed++;
        w.reject(timeout(what, ctx.requestTimeoutMs));
      });
    }, ctx.requestTimeoutMs);
    waiters.forEach((w, i) => {
      const old = this.#waiters.get(first + i);
      if (old) {
        ctx.tallies.proposalsFailed++;
        this.#settled(old);
        old.reject(proposalOverwritten());
      }
      this.#waiters.set(first + i, w);
    });
  }

  /** A waiter was answered: its batch's deadline goes when no waiter of the batch is left. */
  #settled(w: Waiter): void {
    if (--w.deadline.pending === 0) this.#ctx.clock.clearTimeout(w.deadline.timer);
  }

  /** Tell the clients waiting on applied entries what became of them. */
  answer(applied: readonly AppliedEntry<KvResult | undefined>[]): void {
    const tallies = this.#ctx.tallies;
    for (const { entry: e, result } of applied) {
      const w = this.#waiters.get(e.index);
      if (!w) continue;
      this.#waiters.delete(e.index);
      this.#settled(w);
      if (w.term === e.term && result) {
        tallies.proposalsCommitted++;
        w.resolve(result);
        continue;
      }
      tallies.proposalsFailed++;
      if (w.term !== e.term) w.reject(proposalOverwritten());
      else w.reject(internal(`entry ${e.index} could not be applied`));
    }
  }

  /** Fail every proposal not yet in the log and every client waiting on an entry (a stop, or a failure). */
  abandon(err: NodeError): void {
    const ctx = this.#ctx;
    ctx.tallies.proposalsFailed += this.#proposals.length + this.#waiters.size;
    for (const p of this.#proposals) p.reject(err);
    this.#proposals = [];
    for (const [, w] of this.#waiters) {
      ctx.clock.clearTimeout(w.deadline.timer);
      w.reject(err);
    }
    this.#waiters.clear();
  }
}
