// Apply: committed entries become the state machine's (in memory at once;
// the store's copy follows, unawaited, in the store's call order), watch
// events and membership changes. The results go back to the write pipeline,
// which answers their clients (client-requests.ts) only after.

import { ConfChangeType, EntryKind, decodeConfChange, type ConfChange, type Entry } from '../raft/index.js';
import { decodeEnvelope, type KvResult, type SessionWrite } from './kv-state.js';
import type { KvWrite } from '../common/kv-write.js';
import type { Membership } from './membership.js';
import type { NodeContext } from './node-context.js';
import { sessionsToStore } from './stored-state.js';
import type { AppliedEntry } from './write-pipeline.js';

export class Applier {
  readonly #ctx: NodeContext;
  readonly #membership: Membership;

  constructor(ctx: NodeContext, membership: Membership) {
    this.#ctx = ctx;
    this.#membership = membership;
  }

  /** Apply committed entries to the state machine (in memory now; the store's copy follows, unawaited). */
  apply(entries: readonly Entry[]): AppliedEntry<KvResult | undefined>[] {
    const t = this.#ctx.tallies;
    if (!t.timed) return this.#applyBatch(entries);
    const started = performance.now();
    const results = this.#applyBatch(entries);
    t.apply.observe((performance.now() - started) / 1000);
    return results;
  }

  #applyBatch(entries: readonly Entry[]): AppliedEntry<KvResult | undefined>[] {
    const ctx = this.#ctx;
    const kv = ctx.kv;
    const writes: KvWrite[] = [];
    const sessions: SessionWrite[] = [];
    const results: AppliedEntry<KvResult | undefined>[] = [];
    let membershipChanged = false;
    for (const e of entries) {
      if (e.index <= ctx.applied) continue;
      if (e.kind === EntryKind.Normal) {
        let result: KvResult;
        try {
          result = kv.apply(decodeEnvelope(e.data), e.index, writes, sessions);
          if (!result.ok && result.error === 'invalid') ctx.log.error('invalid entry skipped', { id: ctx.id, index: e.index, term: e.term, error: result.message });
        } catch (err) {
          // Undecodable bytes cannot have come from our fronts; skip them, identically on every node.
          result = { ok: false, error: 'invalid', message: `invalid command: entry ${e.index} cannot be decoded` };
          ctx.log.error('undecodable entry skipped', { id: ctx.id, index: e.index, term: e.term, error: String(err) });
        }
        results.push({ entry: e, result });
      } else if (e.kind === EntryKind.ConfChange) {
        this.#applyMembership(decodeConfChange(e.data), writes);
        membershipChanged = true;
        results.push({ entry: e, result: { ok: true } });
      } else {
        results.push({ entry: e, result: undefined });
      }
      // Expire at fixed indexes, never at batch boundaries, so every node agrees.
      if (e.index % 1024 === 0) sessions.push(...kv.expireSessions(e.index));
      ctx.opts.observer?.applied(e, results[results.length - 1]!.result, kv);
    }
    const last = entries[entries.length - 1]!.index;
    if (last > ctx.applied) {
      const { upserts, expired } = sessionsToStore(sessions);
      // Not awaited: the in-memory state answers at once, and the store runs
      // its calls in order, so this lands before the next log write. Unless a
      // later ready's snapshot install is already queued ahead of it: that
      // snapshot holds these effects, and a batch behind it would take the
      // stored applied index back (the store refuses, and the node failed).
      if (last > ctx.installing) ctx.store.applyBatch(writes, upserts, last, expired).catch((e: unknown) => ctx.fail(e));
      ctx.applied = last;
      ctx.watch.applied(writes, last);
    }
    if (membershipChanged) this.#membership.syncPeers();
    return results;
  }

  #applyMembership(cc: ConfChange, writes: KvWrite[]): void {
    if (cc.type === ConfChangeType.Remove) this.#ctx.kv.setMember(cc.node, null, writes);
    else if (cc.context) this.#ctx.kv.setMember(cc.node, cc.context, writes);
  }
}
