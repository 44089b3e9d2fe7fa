import { majority } from './quorum.js';
import type { NodeId, ReadState } from './types.js';

interface PendingRead {
  context: number;
  /** Who asked: this node (NONE) or a follower that forwarded the read. */
  from: NodeId;
  /** The commit index when the read arrived: the answer must reflect at least this. */
  index: number;
  round: number;
}

/**
 * The leader's ReadIndex queue (Raft thesis §6.4). Reads that arrive before
 * the next ready() share one heartbeat round; a majority answering a round
 * confirms that this node was still leader after those reads arrived, so
 * they, and every read of an earlier round, may be served at their index.
 */
export class ReadIndexQueue {
  #pending: PendingRead[] = [];
  #acks = new Map<number, Set<NodeId>>();
  #lastRound = 0;
  /** The round collecting reads, not yet broadcast (0: none). */
  #openRound = 0;

  get size(): number {
    return this.#pending.length;
  }

  add(context: number, from: NodeId, index: number): void {
    if (this.#openRound === 0) this.#openRound = ++this.#lastRound;
    this.#pending.push({ context, from, index, round: this.#openRound });
  }

  /** The round to broadcast now, or 0 when no read is waiting for one. */
  takeOpenRound(): number {
    const r = this.#openRound;
    this.#openRound = 0;
    return r;
  }

  /**
   * `from` answered the heartbeat of `round`. Returns the reads it confirms
   * (in arrival order), which leave the queue.
   */
  ack(round: number, from: NodeId, self: NodeId, voters: readonly NodeId[]): PendingRead[] {
    if (round <= 0 || round > this.#lastRound || !voters.includes(from)) return [];
    let acks = this.#acks.get(round);
    if (!acks) {
      acks = new Set([self]);
      this.#acks.set(round, acks);
    }
    acks.add(from);
    let count = 0;
    for (const id of voters) if (acks.has(id)) count++;
    if (count < majority(voters.length)) return [];
    let n = 0;
    while (n < this.#pending.length && this.#pending[n]!.round <= round && this.#pending[n]!.round !== this.#openRound) n++;
    const done = this.#pending.splice(0, n);
    for (const r of this.#acks.keys()) if (r <= round) this.#acks.delete(r);
    return done;
  }

  /** Leadership is lost: every pending read is dropped. */
  clear(): PendingRead[] {
    const dropped = this.#pending;
    this.#pending = [];
    this.#acks.clear();
    this.#openRound = 0;
    return dropped;
  }
}

export type { PendingRead, ReadState };
