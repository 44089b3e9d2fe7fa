// Fault injection in the transport itself (no root, no iptables): the
// launcher cuts, slows and thins the links of one node to make partitions
// and chaos. Rules act on whole messages, never on bytes.

import type { NodeId } from '../raft/types.js';

/** A peer id, or '*' for every peer (a rule for a peer wins over '*'). */
export type LinkTarget = NodeId | '*';

export interface LinkRules {
  cutTo: LinkTarget[];
  cutFrom: LinkTarget[];
  loss: Record<LinkTarget, number>;
  delay: Record<LinkTarget, number>;
}

export class LinkFilter {
  readonly #cutTo = new Set<LinkTarget>();
  readonly #cutFrom = new Set<LinkTarget>();
  readonly #loss = new Map<LinkTarget, number>();
  readonly #delay = new Map<LinkTarget, number>();
  readonly #random: () => number;
  /** Any rule at all; the send path skips the filter while false. */
  #active = false;

  /** `random` in [0, 1) decides message loss (tests may pass a scripted one). */
  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  get active(): boolean {
    return this.#active;
  }

  /** Drop everything this node sends to `peer` (one way: replies still arrive). */
  cut(peer: LinkTarget): void {
    this.#cutTo.add(peer);
    this.#update();
  }

  /** Drop everything arriving from `peer`, so a one-way cut A->B can be made on B's side. */
  cutFrom(peer: LinkTarget): void {
    this.#cutFrom.add(peer);
    this.#update();
  }

  /** Remove every rule naming `peer` (cut, cutFrom, loss, delay); with no argument, every rule. */
  heal(peer?: LinkTarget): void {
    if (peer === undefined) {
      this.#cutTo.clear();
      this.#cutFrom.clear();
      this.#loss.clear();
      this.#delay.clear();
    } else {
      this.#cutTo.delete(peer);
      this.#cutFrom.delete(peer);
      this.#loss.delete(peer);
      this.#delay.delete(peer);
    }
    this.#update();
  }

  /** Drop each message sent to `peer` with probability pct/100 (for a peer, 0 overrides a '*' rule). */
  setLoss(peer: LinkTarget, pct: number): void {
    if (!(pct >= 0 && pct <= 100)) throw new RangeError(`loss must be a percentage in [0, 100], got ${pct}`);
    this.#set(this.#loss, peer, pct);
  }

  /** Hold each message sent to `peer` for `ms` before sending it; the link stays FIFO (for a peer, 0 overrides a '*' rule). */
  setDelay(peer: LinkTarget, ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`delay must be a finite number of ms >= 0, got ${ms}`);
    this.#set(this.#delay, peer, ms);
  }

  /** Whether a message to `peer` must be dropped now (cut, or lost by chance). */
  dropsTo(peer: NodeId): boolean {
    if (!this.#active) return false;
    if (this.#cutTo.has(peer) || this.#cutTo.has('*')) return true;
    const loss = this.#loss.get(peer) ?? this.#loss.get('*') ?? 0;
    return loss > 0 && this.#random() * 100 < loss;
  }

  /** Whether the link to `peer` is cut (checked again when delayed messages come due). */
  isCutTo(peer: NodeId): boolean {
    return this.#active && (this.#cutTo.has(peer) || this.#cutTo.has('*'));
  }

  isCutFrom(peer: NodeId): boolean {
    return this.#active && (this.#cutFrom.has(peer) || this.#cutFrom.has('*'));
  }

  delayTo(peer: NodeId): number {
    if (!this.#active) return 0;
    return this.#delay.get(peer) ?? this.#delay.get('*') ?? 0;
  }

  /** The rules in force, for status views. */
  rules(): LinkRules {
    return {
      cutTo: [...this.#cutTo],
      cutFrom: [...this.#cutFrom],
      loss: Object.fromEntries(this.#loss),
      delay: Object.fromEntries(this.#delay),
    };
  }

  #set(map: Map<LinkTarget, number>, peer: LinkTarget, value: number): void {
    if (value === 0 && peer === '*') map.delete(peer);
    else map.set(peer, value);
    this.#update();
  }

  #update(): void {
    this.#active = this.#cutTo.size + this.#cutFrom.size + this.#loss.size + this.#delay.size > 0;
  }
}
