// Writes sent to a follower go to the leader over its HTTP front. Each
// forwarded command carries this node's client session, so a retry after a
// lost answer (broken connection, leader change) is applied at most once.

import { randomBytes } from 'node:crypto';
import { NodeError, timeout } from './errors.js';
import type { Envelope, KvResult } from './kv-state.js';
import type { MemberAddrs } from './types.js';

/** Errors after which the same forwarded command may be sent again. */
const RETRYABLE = new Set(['RAFTKV_ERR_NO_LEADER', 'RAFTKV_ERR_NOT_LEADER', 'RAFTKV_ERR_SHUTTING_DOWN', 'RAFTKV_ERR_PROPOSAL_DROPPED', 'RAFTKV_ERR_TIMEOUT']);

export class Forwarder {
  readonly #client: string;
  #seq = 0;
  readonly #outstanding = new Set<number>();
  readonly #timeoutMs: number;
  #closed = false;
  readonly #aborts = new Set<AbortController>();

  constructor(nodeId: string, timeoutMs: number) {
    // A fresh session per incarnation: sequence numbers restart at 1.
    this.#client = `fwd/${nodeId}/${randomBytes(6).toString('hex')}`;
    this.#timeoutMs = timeoutMs;
  }

  /** The command with this node's session and the next sequence number. */
  withSession(env: Envelope): Envelope {
    const s = ++this.#seq;
    this.#outstanding.add(s);
    return { ...env, c: this.#client, s, a: Math.min(...this.#outstanding) };
  }

  done(env: Envelope): void {
    if (env.s !== undefined) this.#outstanding.delete(env.s);
  }

  /**
   * Run `env` on the leader until it answers, retrying while there is no
   * leader or the leader changes, within the request timeout.
   */
  async run(
    leader: () => MemberAddrs | undefined,
    remote: (addrs: MemberAddrs) => Promise<KvResult>,
    amLeader: () => boolean,
    local: () => Promise<KvResult>,
    env?: Envelope,
  ): Promise<KvResult> {
    const deadline = Date.now() + this.#timeoutMs;
    let lastError: NodeError | undefined;
    try {
      while (!this.#closed && Date.now() < deadline) {
        try {
          if (amLeader()) return await local();
          const addrs = leader();
          if (!addrs) throw new NodeError('RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly');
          return await remote(addrs);
        } catch (e) {
          const err = e instanceof NodeError ? e : new NodeError('RAFTKV_ERR_NO_LEADER', `the leader could not be reached: ${String(e)}`);
          if (!RETRYABLE.has(err.code)) throw err;
          lastError = err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      throw lastError?.code === 'RAFTKV_ERR_NO_LEADER' ? lastError : timeout('forwarded write', this.#timeoutMs);
    } finally {
      if (env) this.done(env);
    }
  }

  /** POST the command to the leader's internal endpoint. */
  async propose(http: string, env: Envelope): Promise<KvResult> {
    const ac = new AbortController();
    this.#aborts.add(ac);
    const timer = setTimeout(() => ac.abort(), this.#timeoutMs);
    try {
      const res = await fetch(`http://${http}/internal/propose`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(env),
        signal: ac.signal,
      });
      const body = (await res.json()) as { result?: KvResult; error?: string; code?: string; leader?: string };
      if (res.ok && body.result) return body.result;
      throw new NodeError((body.code as NodeError['code']) ?? 'RAFTKV_ERR_INTERNAL', body.error ?? `leader answered ${res.status}`, body.leader ?? '');
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(ac);
    }
  }

  close(): void {
    this.#closed = true;
    for (const ac of this.#aborts) ac.abort();
  }
}
