// Waiting in the tools and the tests: a pause, polling until something
// holds, and the leader every member of a Raft group agrees on.

export { setTimeout as sleep } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface UntilOptions {
  timeoutMs?: number;
  /** Between two looks (default 50 ms). */
  everyMs?: number;
  /** More to say when it times out (the processes' output). */
  context?: () => string;
  /** A look that throws is thrown at once (default: it counts as "not yet"). */
  rethrow?: boolean;
}

/** Look with `f` until it gives a value; `what` names it in the timeout's message. */
export async function until<T>(what: string, f: () => Promise<T | undefined>, o: UntilOptions = {}): Promise<T> {
  const ms = o.timeoutMs ?? 20_000;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const v = o.rethrow ? await f() : await f().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(o.everyMs ?? 50);
  }
  const more = o.context?.() ?? '';
  throw new Error(`timed out after ${ms} ms waiting for ${what}${more ? `\n${more}` : ''}`);
}

/** What a member's status says about leadership (NodeStatus has these). */
export interface LeaderView {
  id: string;
  role: string;
  leader: string;
  term: number;
}

/**
 * The leader that every member of a group agrees on (same leader, same
 * term), or undefined. A member that did not answer (undefined) prevents
 * agreement, unless `skipSilent` (a member killed on purpose says nothing).
 */
export function agreedLeader(statuses: readonly (LeaderView | undefined)[], skipSilent = false): string | undefined {
  const heard = skipSilent ? statuses.filter((s) => s !== undefined) : statuses;
  const leader = heard.find((s) => s?.role === 'leader');
  return leader && heard.every((s) => s !== undefined && s.leader === leader.id && s.term === leader.term) ? leader.id : undefined;
}

export interface LeadersOptions {
  timeoutMs?: number;
  /** Members not to count (stopped on purpose). */
  exclude?: readonly string[];
  /** See agreedLeader. */
  skipSilent?: boolean;
  everyMs?: number;
}

/**
 * Wait until each group (the member ids of one Raft group: the cluster, or
 * one shard) has an agreed leader; returns them in the groups' order.
 * `statuses` is one look at every member (undefined: no answer).
 */
export async function waitForLeaders(
  statuses: () => Promise<ReadonlyMap<string, LeaderView | undefined>>,
  groups: readonly (readonly string[])[],
  o: LeadersOptions = {},
): Promise<string[]> {
  const ms = o.timeoutMs ?? 10_000;
  return until(
    `a leader agreed by every node${groups.length > 1 ? ' of every shard' : ''}`,
    async () => {
      const all = await statuses();
      const leaders = groups.map((ids) => agreedLeader(ids.filter((id) => !o.exclude?.includes(id)).map((id) => all.get(id)), o.skipSilent));
      return leaders.every((l) => l !== undefined) ? (leaders as string[]) : undefined;
    },
    { timeoutMs: ms, everyMs: o.everyMs ?? 20, rethrow: true },
  );
}
