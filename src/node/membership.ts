// Membership: joins (as a learner first, promoted once caught up), removals
// and leadership transfers, one configuration change at a time; the peer
// addresses the state machine holds (the transport follows them, redirects
// and forwarding read them).

import { ConfChangeType, Role, type ConfChange } from '../raft/index.js';
import { sleep } from './clock.js';
import type { ClientRequests } from './client-requests.js';
import { confChangeRefused, timeout, toNodeError, transferFailed } from '../common/errors.js';
import type { KvResult } from './kv-state.js';
import type { NodeContext } from './node-context.js';
import { parseMemberAddrs, type MemberAddrs } from './types.js';

/** Where the leader this node knows of listens, if it knows one and its addresses. */
export function leaderAddrs(ctx: NodeContext): MemberAddrs | undefined {
  const leader = ctx.raw.leader;
  if (!leader) return undefined;
  if (leader === ctx.id) return ctx.opts.addrs;
  const known = ctx.kv.members.get(leader);
  return (known ? parseMemberAddrs(known) : undefined) ?? ctx.opts.founders?.[leader];
}

/** HTTP address of a member, for redirect hints. */
export function httpOf(ctx: NodeContext, id: string): string | undefined {
  if (id === ctx.id) return ctx.opts.addrs.http;
  const known = ctx.kv.members.get(id);
  return (known ? parseMemberAddrs(known)?.http : undefined) ?? ctx.opts.founders?.[id]?.http;
}

export class Membership {
  readonly id: string;
  readonly #ctx: NodeContext;
  readonly #requests: ClientRequests;

  constructor(ctx: NodeContext, requests: ClientRequests) {
    this.id = ctx.id;
    this.#ctx = ctx;
    this.#requests = requests;
  }

  async join(id: string, addrs: MemberAddrs): Promise<{ alreadyMember: boolean }> {
    const ctx = this.#ctx;
    ctx.checkUp();
    const st = ctx.raw.status();
    const known = ctx.kv.members.get(id);
    if ((st.confState.voters.includes(id) || st.confState.learners.includes(id)) && known !== undefined) {
      const same = JSON.stringify(parseMemberAddrs(known)) === JSON.stringify(addrs);
      if (same && st.confState.voters.includes(id)) return { alreadyMember: true };
      if (!same) throw confChangeRefused(`${id} is already a member with other addresses (${known})`);
    }
    if (st.role !== Role.Leader) {
      throw ctx.notLeaderError();
    }
    // A new node joins as a learner and becomes a voter once it has caught
    // up, so a slow join never costs the cluster its quorum.
    if (!st.confState.learners.includes(id)) {
      await this.#changeMembership({ type: ConfChangeType.AddLearner, node: id, context: JSON.stringify(addrs) });
    }
    await this.#waitCaughtUp(id);
    await this.#changeMembership({ type: ConfChangeType.PromoteLearner, node: id });
    return { alreadyMember: false };
  }

  async remove(id: string): Promise<void> {
    const ctx = this.#ctx;
    ctx.checkUp();
    if (ctx.raw.role !== Role.Leader) throw ctx.notLeaderError();
    await this.#changeMembership({ type: ConfChangeType.Remove, node: id });
  }

  async transferLeadership(to?: string): Promise<string> {
    const ctx = this.#ctx;
    ctx.checkUp();
    const st = ctx.raw.status();
    if (st.role !== Role.Leader) throw ctx.notLeaderError();
    let target = to;
    if (!target) {
      // The most caught-up other voter.
      const others = st.confState.voters.filter((v) => v !== this.id);
      if (others.length === 0) throw transferFailed('no other voter to transfer to');
      target = others.sort((a, b) => (st.progress[b]?.match ?? 0) - (st.progress[a]?.match ?? 0))[0]!;
    }
    try {
      ctx.raw.transferLeadership(target);
    } catch (e) {
      throw toNodeError(e);
    }
    ctx.kick();
    const deadline = ctx.clock.now() + ctx.requestTimeoutMs;
    while (ctx.clock.now() < deadline) {
      await sleep(ctx.clock, ctx.opts.tickMs);
      const now = ctx.raw.status();
      if (now.leader === target) return target;
      if (now.role === Role.Leader && now.transferee === '') throw transferFailed(`transfer to ${target} did not complete; ${this.id} is still the leader`);
    }
    throw timeout(`leadership transfer to ${target}`, ctx.requestTimeoutMs);
  }

  /**
   * Addresses learned out of band (a joining node asks a member for them), so
   * it can answer the leader before the log or a snapshot tells it who is who.
   */
  learnPeers(members: Record<string, MemberAddrs | undefined>): void {
    const ctx = this.#ctx;
    for (const [id, a] of Object.entries(members)) if (a && id !== this.id && !ctx.kv.members.has(id)) ctx.transport.setPeer(id, a.raft);
  }

  /** Point the transport at every member the state machine knows (it forgets removed ones). */
  syncPeers(): void {
    const ctx = this.#ctx;
    for (const [id, known] of ctx.kv.members) {
      const a = parseMemberAddrs(known);
      if (a && id !== this.id) ctx.transport.setPeer(id, a.raft);
    }
    for (const id of ctx.raw.status().confState.removed) ctx.transport.removePeer(id);
  }

  async #changeMembership(cc: ConfChange): Promise<void> {
    const ctx = this.#ctx;
    const deadline = ctx.clock.now() + ctx.requestTimeoutMs;
    let ref;
    for (;;) {
      try {
        ref = ctx.raw.proposeConfChange(cc);
        break;
      } catch (e) {
        const err = toNodeError(e);
        // The core takes one change at a time: while entries are unapplied an earlier change may
        // still be pending (two nodes joining at once, or a fresh leader), so wait for it rather
        // than refuse. With everything applied, a refusal is about this change itself.
        const unapplied = ctx.raw.status().lastIndex > ctx.applied;
        if (err.code !== 'RAFTKV_ERR_CONF_CHANGE' || !unapplied || ctx.clock.now() >= deadline) throw err;
        await sleep(ctx.clock, ctx.opts.tickMs);
        ctx.checkUp();
        if (ctx.raw.role !== Role.Leader) throw ctx.notLeaderError();
      }
    }
    ctx.kick();
    await new Promise<KvResult>((resolve, reject) => this.#requests.wait(ref.index, ref.term, [{ resolve, reject }], `membership change (${cc.type} ${cc.node})`));
  }

  async #waitCaughtUp(id: string): Promise<void> {
    const ctx = this.#ctx;
    const deadline = ctx.clock.now() + Math.max(ctx.requestTimeoutMs, 60_000);
    while (ctx.clock.now() < deadline) {
      const st = ctx.raw.status();
      if (st.role !== Role.Leader) throw ctx.notLeaderError();
      if (!st.confState.learners.includes(id)) throw confChangeRefused(`${id} is no longer a learner (removed while it was catching up)`);
      const pr = st.progress[id];
      // At least one entry acknowledged: on a short log "within 64 of the
      // commit" holds from match 0, and a node that never answered (a peer
      // whose certificate the others refuse) would be made a voter.
      if (pr && pr.match >= Math.max(1, st.commit - 64)) return;
      await sleep(ctx.clock, ctx.opts.tickMs * 2);
    }
    throw timeout(`${id} catching up`, 60_000);
  }
}
