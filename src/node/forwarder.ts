// Writes sent to a follower go to the leader over its HTTP front. Each
// forwarded command carries this node's client session, so a retry after a
// lost answer (broken connection, leader change) is applied at most once.

import { randomBytes } from 'node:crypto';
import { realClock, type Clock } from './clock.js';
import { NodeError } from './errors.js';
import { answerError, InternalClient, retrying } from './internal-client.js';
import type { Envelope, KvResult } from './kv-state.js';
import type { MemberAddrs } from './types.js';
import { internalHttp, type InternalHttp } from '../security/internal-http.js';

interface PendingForward {
  env: Envelope;
  resolve: (r: KvResult) => void;
  reject: (e: unknown) => void;
}

/** One command's answer in a forwarded batch. */
export interface ForwardAnswer {
  result?: KvResult;
  error?: string;
  code?: string;
  leader?: string;
}

export class Forwarder {
  readonly #client: string;
  #seq = 0;
  readonly #outstanding = new Set<number>();
  readonly #timeoutMs: number;
  #closed = false;
  readonly #aborts = new Set<AbortController>();
  readonly #batches = new Map<string, PendingForward[]>();
  readonly #clock: Clock;
  readonly #http: InternalClient;

  /**
   * `clock` times the retries, the batching turn and the request timeout (the
   * node's clock, so a simulated node forwards on simulated time). The HTTP
   * request itself is still a real fetch: forwarding is not a seam yet.
   */
  constructor(nodeId: string, timeoutMs: number, clusterToken: string, clock: Clock = realClock, http: InternalHttp = internalHttp()) {
    this.#http = new InternalClient({ http, clusterToken });
    this.#clock = clock;
    // A fresh session per incarnation: sequence numbers restart at 1. Real
    // randomness on purpose: a seeded one would repeat the session after a
    // restart with the same seed, and the leader would answer new commands
    // with the old ones' remembered results.
    this.#client = `fwd/${nodeId}/${randomBytes(6).toString('hex')}`;
    this.#timeoutMs = timeoutMs;
  }

  /** The command with this node's session and the next sequence number. */
  withSession(env: Envelope): Envelope {
    const s = ++this.#seq;
    this.#outstanding.add(s);
    // Sequence numbers enter the set in increasing order, so its first is the lowest (O(1), not a spread of every outstanding one).
    return { ...env, c: this.#client, s, a: this.#outstanding.values().next().value! };
  }

  done(env: Envelope): void {
    if (env.s !== undefined) this.#outstanding.delete(env.s);
  }

  /**
   * Run `env` on the leader until it answers, retrying while there is no
   * leader or the leader changes, within the request timeout (the one
   * retry policy of internal-client.ts).
   */
  async run(
    leader: () => MemberAddrs | undefined,
    remote: (addrs: MemberAddrs) => Promise<KvResult>,
    amLeader: () => boolean,
    local: () => Promise<KvResult>,
    env?: Envelope,
  ): Promise<KvResult> {
    try {
      return await retrying(
        async () => {
          if (amLeader()) return await local();
          const addrs = leader();
          if (!addrs) throw new NodeError('RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly');
          return await remote(addrs);
        },
        { timeoutMs: this.#timeoutMs, what: 'forwarded write', clock: this.#clock, stopped: () => this.#closed },
      );
    } finally {
      if (env) this.done(env);
    }
  }

  /**
   * Send the command to the leader. Commands forwarded in the same turn of
   * the event loop travel together in one request, so a busy follower does
   * not pay one HTTP round trip per write.
   */
  propose(http: string, env: Envelope): Promise<KvResult> {
    return new Promise((resolve, reject) => {
      let batch = this.#batches.get(http);
      // Keep one request well inside the leader's body limit for forwarded batches.
      if (batch && batch.length >= 64) batch = undefined;
      if (!batch) {
        batch = [];
        this.#batches.set(http, batch);
        const mine = batch;
        this.#clock.defer(() => {
          if (this.#batches.get(http) === mine) this.#batches.delete(http);
          void this.#send(http, mine);
        });
      }
      batch.push({ env, resolve, reject });
    });
  }

  async #send(http: string, batch: PendingForward[]): Promise<void> {
    const ac = new AbortController();
    this.#aborts.add(ac);
    const timer = this.#clock.setTimeout(() => ac.abort(), this.#timeoutMs);
    try {
      const answer = await this.#http.call('POST', http, '/internal/propose', { body: batch.map((p) => p.env), signal: ac.signal });
      // No JSON at all (a proxy's page, a cut-off body): not the leader's word, so retried like no answer.
      if (answer.json === undefined) throw new Error(`leader answered ${answer.status} without JSON`);
      const results = answer.json.results as ForwardAnswer[] | undefined;
      if (!answer.ok || !Array.isArray(results) || results.length !== batch.length) {
        throw answer.ok ? new NodeError('RAFTKV_ERR_INTERNAL', `leader answered ${answer.status} without the batch's results`) : answerError(answer);
      }
      results.forEach((a, i) => {
        const p = batch[i]!;
        if (a.result) p.resolve(a.result);
        else p.reject(new NodeError((a.code as NodeError['code']) ?? 'RAFTKV_ERR_INTERNAL', a.error ?? 'the leader refused the command', a.leader ?? ''));
      });
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.#clock.clearTimeout(timer);
      this.#aborts.delete(ac);
    }
  }

  close(): void {
    this.#closed = true;
    for (const ac of this.#aborts) ac.abort();
  }
}
