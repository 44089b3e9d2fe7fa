// Membership changes during a run, always issued through the current leader,
// one at a time: add a learner under a fresh id (ids are never reused),
// promote it once it has caught up, remove a voter (sometimes the leader)
// or a learner. The number of voters stays within [3, maxVoters].

import { ConfChangeType, RaftError, type ConfChange, type NodeId, type SeededRand } from '../../src/raft/index.js';
import type { EventQueue } from './event-queue.js';
import { NodeDownError, type SimNode } from './sim-node.js';

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
  /** Nodes created to join, not yet seen as members. */
  readonly #joining = new Set<NodeId>();

  constructor(host: MembershipHost, rand: SeededRand, founders: number, maxVoters: number) {
    this.#host = host;
    this.#rand = rand;
    this.#nextId = founders + 1;
    this.#maxVoters = maxVoters;
  }

  step(): void {
    const leader = this.#host.leader();
    const raw = leader?.raw;
    if (!leader || !raw) return;
    const conf = raw.raft.conf;
    for (const id of this.#joining) if (conf.voters.includes(id) || conf.learners.includes(id) || conf.removed.includes(id)) this.#joining.delete(id);
    const choices: (() => ConfChange | undefined)[] = [];
    const status = raw.status();
    const caughtUp = conf.learners.filter((id) => (status.progress[id]?.match ?? 0) >= status.commit - 20);
    if (caughtUp.length > 0) choices.push(() => ({ type: ConfChangeType.PromoteLearner, node: this.#rand.pick(caughtUp) }));
    if (conf.voters.length < this.#maxVoters && conf.learners.length === 0) {
      choices.push(() => {
        const waiting = [...this.#joining];
        let id = waiting[0];
        if (id === undefined) {
          id = `n${this.#nextId++}`;
          this.#joining.add(id);
          this.#host.addNode(id);
        }
        return { type: ConfChangeType.AddLearner, node: id };
      });
    }
    if (conf.voters.length > MIN_VOTERS) {
      choices.push(() => {
        const others = conf.voters.filter((id) => id !== leader.id);
        const node = this.#rand.chance(0.3) ? leader.id : this.#rand.pick(others);
        return { type: ConfChangeType.Remove, node };
      });
    }
    if (conf.learners.length > 0 && this.#rand.chance(0.1)) {
      choices.push(() => ({ type: ConfChangeType.Remove, node: this.#rand.pick(conf.learners) }));
    }
    if (choices.length === 0) return;
    const cc = this.#rand.pick(choices)();
    if (!cc) return;
    this.stats.proposed++;
    try {
      const ref = leader.withCore((c) => c.proposeConfChange(cc));
      this.#host.trace(`membership: ${leader.id} proposes ${cc.type} ${cc.node} as ${ref.index}/t${ref.term}`);
    } catch (e) {
      if (!(e instanceof RaftError) && !(e instanceof NodeDownError)) throw e;
      this.#host.trace(`membership: ${leader.id} refuses ${cc.type} ${cc.node}: ${e.message}`);
    }
  }

  /** Some node applied `cc` (so it is committed). */
  applied(cc: ConfChange): void {
    this.stats.applied++;
    if (cc.type === ConfChangeType.AddLearner) this.stats.added++;
    if (cc.type === ConfChangeType.Remove) this.stats.removed++;
  }
}
