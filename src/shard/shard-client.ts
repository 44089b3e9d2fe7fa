// The router's link to one shard: it follows the shard's leader (from the
// not-leader hints in answers, with status polling as the fallback), sends
// writes there with the router's client session so a retry is applied at
// most once, and retries reads, which change nothing, wherever they can go.

import { setTimeout as sleep } from 'node:timers/promises';
import { NodeError, noLeader } from '../common/errors.js';
import { Forwarder } from '../node/forwarder.js';
import { answerError, failureOf, InternalClient, retrying, type Answer } from '../node/internal-client.js';
import { realClock } from '../node/clock.js';
import { internalHttp, type InternalHttp } from '../security/internal-http.js';
import type { KvCommand, KvResult } from '../node/kv-state.js';
import type { MemberAddrs, NodeStatus } from '../node/types.js';
import { formatSlotRanges, type SlotRange } from '../common/slots.js';

export interface ShardMember extends MemberAddrs {
  id: string;
}

export interface ShardClientOptions {
  id: string;
  slots: SlotRange[];
  members: ShardMember[];
  /** A request's whole budget, retries included. */
  timeoutMs: number;
  /** One attempt's budget: a leader that hangs (paused, cut off) is given up on after this. */
  attemptMs: number;
  /** Status polling period while all is well (failures poll at once). */
  pollMs: number;
  /** The cluster token: the router forwards writes with sessions, as a member does. */
  clusterToken: string;
  /** http, or https trusting the cluster CA. */
  http?: InternalHttp;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** What GET /shards shows of one shard. */
export interface ShardView {
  id: string;
  slots: string;
  leader: string | null;
  term: number | null;
  /** Leader changes the router has seen. */
  leaderChanges: number;
  members: { id: string; http: string; resp?: string; role: string; term: number | null; applied: number | null; keys: number | null }[];
}

/** An answer of a node to a read, already parsed. */
export type NodeAnswer = Pick<Answer, 'status' | 'json'>;

/** How long a member that could not be reached is skipped (unless a status poll finds it up). */
const DOWN_MS = 500;
const MIN_POLL_GAP_MS = 20;

export class ShardClient {
  readonly id: string;
  readonly slots: SlotRange[];
  readonly #opts: ShardClientOptions;
  readonly #members: ShardMember[];
  readonly #byHttp = new Map<string, ShardMember>();
  readonly #forwarder: Forwarder;
  readonly #http: InternalClient;
  #leader: string | undefined;
  #term = 0;
  #leaderChanges = 0;
  /** Requests sent to this shard's members (every attempt), and the attempts that were retries, by operation. */
  readonly forwarded = { write: 0, read: 0 };
  readonly retries = { write: 0, read: 0 };
  /** Member id -> until when it is skipped. */
  readonly #down = new Map<string, number>();
  readonly #statuses = new Map<string, NodeStatus | undefined>();
  #next = 0;
  #poll: Promise<void> | undefined;
  #lastPollAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #aborts = new Set<AbortController>();

  constructor(opts: ShardClientOptions) {
    this.id = opts.id;
    this.slots = opts.slots;
    this.#opts = opts;
    this.#members = opts.members;
    for (const m of opts.members) this.#byHttp.set(m.http, m);
    // The session of this router incarnation on this shard: a fresh client id, sequence numbers from 1.
    const http = opts.http ?? internalHttp();
    // As a member: the router authenticated its own client already (where authentication is on, nodes want a token).
    this.#http = new InternalClient({ http, clusterToken: opts.clusterToken });
    this.#forwarder = new Forwarder(`router-${opts.id}`, opts.attemptMs, opts.clusterToken, realClock, http);
  }

  start(): void {
    void this.poll();
    this.#timer = setInterval(() => void this.poll(), this.#opts.pollMs);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#forwarder.close();
    for (const ac of this.#aborts) ac.abort();
  }

  get leader(): string | undefined {
    return this.#leader;
  }

  get leaderChanges(): number {
    return this.#leaderChanges;
  }

  /**
   * Replicate a command on this shard. Every attempt carries the same session
   * and sequence number, so however often it is retried (lost answer, leader
   * change, attempt timeout) the shard applies it once and answers the first result.
   */
  async propose(cmd: KvCommand): Promise<KvResult> {
    const env = this.#forwarder.withSession({ cmd });
    try {
      return await this.#retrying('write', (to) => this.#forwarder.propose(to.http, env));
    } finally {
      this.#forwarder.done(env);
    }
  }

  /**
   * A read (it changes nothing, so it is retried blindly) on the leader when
   * known: `path` with its query, `body` for POST. Answers 2xx and 404 come
   * back as they are; other errors are thrown as NodeErrors.
   */
  async read(method: 'GET' | 'POST', path: string, body?: unknown): Promise<NodeAnswer> {
    const deadline = Date.now() + this.#opts.timeoutMs;
    return this.#retrying('read', async (to) => {
      const answer = await this.#fetch(to, method, path, body, Math.max(1, Math.min(this.#opts.attemptMs, deadline - Date.now())));
      if (answer.status < 300 || answer.status === 404) return answer;
      throw answerError(answer);
    });
  }

  /** The one retry policy, on this shard's members: each attempt goes to the current target, each failure teaches where the leader is. */
  #retrying<T>(kind: 'write' | 'read', attempt: (to: ShardMember) => Promise<T>): Promise<T> {
    let to: ShardMember;
    return retrying(
      (n) => {
        to = this.#target();
        this.forwarded[kind]++;
        if (n > 0) this.retries[kind]++;
        return attempt(to);
      },
      {
        timeoutMs: this.#opts.timeoutMs,
        what: `${kind} on shard ${this.id}`,
        learn: (e) => this.#learn(to, e),
        pause: () => this.#pause(to),
        stopped: () => this.#closed,
      },
    );
  }

  /** Ask every member for its status and take the leader of the highest term. */
  poll(): Promise<void> {
    if (this.#poll) return this.#poll;
    const wait = Math.max(0, this.#lastPollAt + MIN_POLL_GAP_MS - Date.now());
    this.#poll = (async () => {
      if (wait > 0) await sleep(wait);
      const answers = await Promise.all(this.#members.map((m) => this.#status(m)));
      this.#lastPollAt = Date.now();
      let best: NodeStatus | undefined;
      answers.forEach((s, i) => {
        const m = this.#members[i]!;
        this.#statuses.set(m.id, s);
        // No answer proves little (a busy node may answer late): only requests mark a member down.
        if (s) this.#down.delete(m.id);
        if (s?.role === 'leader' && (!best || s.term > best.term)) best = s;
      });
      if (best && best.term >= this.#term) this.#setLeader(best.id, best.term);
      else if (!best && this.#leader && this.#statuses.get(this.#leader) !== undefined) this.#setLeader(undefined, this.#term);
    })().finally(() => {
      this.#poll = undefined;
    });
    return this.#poll;
  }

  async view(): Promise<ShardView> {
    await this.poll();
    return {
      id: this.id,
      slots: formatSlotRanges(this.slots),
      leader: this.#leader ?? null,
      term: this.#leader ? this.#term : null,
      leaderChanges: this.#leaderChanges,
      members: this.#members.map((m) => {
        const s = this.#statuses.get(m.id);
        return {
          id: m.id,
          http: m.http,
          ...(m.resp ? { resp: m.resp } : {}),
          role: s?.role ?? 'unreachable',
          term: s?.term ?? null,
          applied: s?.applied ?? null,
          keys: s?.keys ?? null,
        };
      }),
    };
  }

  /** Keys held by the leader at the last poll (for DBSIZE). */
  leaderKeys(): number {
    return (this.#leader ? this.#statuses.get(this.#leader)?.keys : undefined) ?? 0;
  }

  /** Before a retry: none when a leader other than the one that just failed is known (a fresh hint), else a moment for the election. */
  async #pause(failed: ShardMember): Promise<void> {
    if (this.#leader !== undefined && this.#leader !== failed.id) return;
    await sleep(10);
  }

  /** Where to send now: the leader when known and reachable, else the next reachable member (its answer names the leader). */
  #target(): ShardMember {
    const now = Date.now();
    if (this.#leader && !((this.#down.get(this.#leader) ?? 0) > now)) return this.#member(this.#leader)!;
    const up = this.#members.filter((m) => !((this.#down.get(m.id) ?? 0) > now));
    const from = up.length > 0 ? up : this.#members;
    return from[this.#next % from.length]!;
  }

  /** What a failure teaches about the leader; the failure as a NodeError. */
  #learn(to: ShardMember, e: unknown): NodeError {
    // Without a leader the members are tried in turn.
    if (to.id !== this.#leader) this.#next++;
    if (!(e instanceof NodeError)) {
      // Unreachable (refused, reset, attempt timed out): skip it for a moment and look again.
      this.#down.set(to.id, Date.now() + DOWN_MS);
      if (this.#leader === to.id) this.#setLeader(undefined, this.#term);
      void this.poll();
      const failure = failureOf(e);
      const reason = failure === 'timeout' ? `no answer within ${this.#opts.attemptMs} ms` : failure;
      return noLeader(`shard ${this.id}: ${to.id} could not be reached (${reason})`);
    }
    switch (e.code) {
      case 'RAFTKV_ERR_NOT_LEADER':
        if (e.leader && this.#member(e.leader) && !((this.#down.get(e.leader) ?? 0) > Date.now())) this.#setLeader(e.leader, this.#term);
        else this.#setLeader(undefined, this.#term);
        break;
      case 'RAFTKV_ERR_NO_LEADER':
      case 'RAFTKV_ERR_SHUTTING_DOWN':
      case 'RAFTKV_ERR_PROPOSAL_DROPPED':
      case 'RAFTKV_ERR_TIMEOUT':
        if (this.#leader === to.id) this.#setLeader(undefined, this.#term);
        void this.poll();
        break;
    }
    return e;
  }

  #setLeader(id: string | undefined, term: number): void {
    if (id !== undefined && id !== this.#leader) {
      this.#leaderChanges++;
      this.#opts.log?.('shard leader', { shard: this.id, leader: id, term, was: this.#leader ?? null });
    }
    this.#leader = id;
    this.#term = Math.max(this.#term, term);
  }

  #member(id: string): ShardMember | undefined {
    return this.#members.find((m) => m.id === id);
  }

  async #status(m: ShardMember): Promise<NodeStatus | undefined> {
    try {
      const a = await this.#fetch(m, 'GET', '/status', undefined, Math.min(this.#opts.attemptMs, 500));
      return a.status === 200 ? (a.json as unknown as NodeStatus) : undefined;
    } catch {
      return undefined;
    }
  }

  async #fetch(to: ShardMember, method: string, path: string, body: unknown, ms: number): Promise<NodeAnswer> {
    const ac = new AbortController();
    this.#aborts.add(ac);
    try {
      return await this.#http.call(method, to.http, path, { body, timeoutMs: ms, signal: ac.signal });
    } finally {
      this.#aborts.delete(ac);
    }
  }
}
