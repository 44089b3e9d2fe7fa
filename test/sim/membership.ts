// Membership changes during a run, through the production node's API on the
// current leader, one call at a time: join a new node under a fresh id (ids
// are never reused; RaftNode.join adds it as a learner, waits for it to catch
// up and promotes it), finish the join of a learner left behind by an
// interrupted one, remove a voter (sometimes the leader itself) or a learner.
// The number of voters stays within [3, maxVoters].

import { ConfChangeType, EntryKind, type ConfChange, type NodeId, type SeededRand } from '../../src/raft/index.js';
import type { LogView } from './invariants.js';
import { TICK, type EventQueue } from './event-queue.js';
import { NodeDownError, simAddrs, type SimNode } from './sim-node.js';

export interface MembershipHost {
  readonly queue: EventQueue;
  leader(): SimNode | undefined;
  /** Create and start a node that is not a founder. */
  addNode(id: NodeId): SimNode;
  trace(text: string): void;
}

export interface MembershipStats {
  proposed: number;
  applied: number;
  added: number;
  removed: number;
}

const MIN_VOTERS = 3;

export class Membership {
  readonly stats: MembershipStats = { proposed: 0, applied: 0, added: 0, removed: 0 };
  readonly #host: MembershipHost;
  readonly #rand: SeededRand;
  readonly #maxVoters: number;
  #nextId: number;
  /** A join or remove call has not answered yet (its node may have crashed: then it never will). */
  #busy: { since: number } | undefined;
  /** Nodes created to join, not yet seen as members: the next join takes one of them rather than a new one. */
  readonly #joining = new Set<NodeId>();

  constructor(host: MembershipHost, rand: SeededRand, founders: number, maxVoters: number) {
    this.#host = host;
    this.#rand = rand;
    this.#nextId = founders + 1;
    this.#maxVoters = maxVoters;
  }

  step(): void {
    const host = this.#host;
    const leader = host.leader();
    const core = leader?.core;
    if (!leader || !core) return;
    // One change at a time; a call whose leader crashed never answers, so give up on it after a while.
    if (this.#busy && host.queue.now - this.#busy.since < 200 * TICK) return;
    // The configuration the leader shows is its applied one: with a change still on its way, a decision on it could
    // take the voters below the minimum (RaftNode.remove waits for the pending change, then makes its own).
    if (confChangePending(core.raft.log)) return;
    const conf = core.raft.conf;
    for (const id of this.#joining) if (conf.voters.includes(id) || conf.learners.includes(id) || conf.removed.includes(id)) this.#joining.delete(id);
    const choices: (() => void)[] = [];
    if (conf.learners.length > 0) {
      choices.push(() => {
        const id = this.#rand.pick(conf.learners);
        this.#call(leader, `join ${id} (finishing)`, (n) => n.join(id, simAddrs(id)));
      });
    }
    if (conf.voters.length < this.#maxVoters && conf.learners.length === 0) {
      choices.push(() => {
        let id = this.#joining.values().next().value;
        if (id === undefined) {
          id = `n${this.#nextId++}`;
          this.#joining.add(id);
          host.addNode(id);
        }
        const joining = id;
        this.#call(leader, `join ${joining}`, (n) => n.join(joining, simAddrs(joining)));
      });
    }
    if (conf.voters.length > MIN_VOTERS) {
      choices.push(() => {
        const others = conf.voters.filter((id) => id !== leader.id);
        const id = this.#rand.chance(0.3) ? leader.id : this.#rand.pick(others);
        this.#call(leader, `remove ${id}`, (n) => n.remove(id));
      });
    }
    if (conf.learners.length > 0 && this.#rand.chance(0.1)) {
      choices.push(() => {
        const id = this.#rand.pick(conf.learners);
        this.#call(leader, `remove learner ${id}`, (n) => n.remove(id));
      });
    }
    if (choices.length === 0) return;
    this.#rand.pick(choices)();
  }

  #call(leader: SimNode, what: string, fn: Parameters<SimNode['call']>[0]): void {
    const host = this.#host;
    let p: Promise<unknown>;
    try {
      p = leader.call(fn);
    } catch (e) {
      if (!(e instanceof NodeDownError)) throw e;
      return;
    }
    this.stats.proposed++;
    const busy = (this.#busy = { since: host.queue.now });
    host.trace(`membership: ${leader.id} starts ${what}`);
    p.then(
      () => host.trace(`membership: ${leader.id} finished ${what}`),
      (e: unknown) => host.trace(`membership: ${leader.id} failed ${what}: ${e instanceof Error ? e.message : String(e)}`),
    ).finally(() => {
      if (this.#busy === busy) this.#busy = undefined;
    });
  }

  /** Some node applied `cc` (so it is committed). */
  applied(cc: ConfChange): void {
    this.stats.applied++;
    if (cc.type === ConfChangeType.AddLearner) this.stats.added++;
    if (cc.type === ConfChangeType.Remove) this.stats.removed++;
  }
}

/** Whether the log holds a membership change not applied yet. */
function confChangePending(log: LogView & { applied: number }): boolean {
  for (let i = log.applied + 1; i <= log.lastIndex(); i++) if (log.entry(i)?.kind === EntryKind.ConfChange) return true;
  return false;
}
