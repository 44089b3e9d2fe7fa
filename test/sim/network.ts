// The simulated network: every message is delivered after a random delay
// (so messages reorder), may be dropped or duplicated, and is lost when the
// link from its sender to its receiver is cut at the moment it would arrive.

import type { Message, NodeId } from '../../src/raft/index.js';
import type { SeededRand } from '../../src/raft/index.js';
import { TICK, type EventQueue } from './event-queue.js';
import { fmtMessage, isChatter } from './trace.js';

/** Network conditions, changed from time to time by the nemesis. */
export interface Weather {
  name: string;
  drop: number;
  dup: number;
  /** Delay range in ticks. */
  delay: [number, number];
  /** Chance that a message takes the slow path instead. */
  slow: number;
  slowDelay: [number, number];
}

export const WEATHERS: readonly Weather[] = [
  { name: 'calm', drop: 0, dup: 0.01, delay: [0.05, 0.6], slow: 0.01, slowDelay: [1, 3] },
  { name: 'lossy', drop: 0.15, dup: 0.05, delay: [0.1, 1], slow: 0.05, slowDelay: [1, 4] },
  { name: 'slow', drop: 0.02, dup: 0.02, delay: [0.5, 3], slow: 0.1, slowDelay: [3, 8] },
  { name: 'stormy', drop: 0.3, dup: 0.1, delay: [0.05, 2], slow: 0.1, slowDelay: [2, 8] },
];

export const CALM = WEATHERS[0]!;

export interface NetStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  cut: number;
}

export class Network {
  weather: Weather = CALM;
  readonly stats: NetStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, cut: 0 };
  /** Cut directed links, as "from>to". */
  readonly #cut = new Set<string>();
  readonly #queue: EventQueue;
  readonly #rand: SeededRand;
  readonly #deliver: (m: Message) => void;
  readonly #trace: (text: string) => void;

  constructor(queue: EventQueue, rand: SeededRand, deliver: (m: Message) => void, trace: (text: string) => void) {
    this.#queue = queue;
    this.#rand = rand;
    this.#deliver = deliver;
    this.#trace = trace;
  }

  get partitioned(): boolean {
    return this.#cut.size > 0;
  }

  send(m: Message): void {
    const w = this.weather;
    const r = this.#rand;
    this.stats.sent++;
    if (w.drop > 0 && r.chance(w.drop)) {
      this.stats.dropped++;
      if (!isChatter(m)) this.#trace(`drop ${fmtMessage(m)}`);
      return;
    }
    const copies = w.dup > 0 && r.chance(w.dup) ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      const [lo, hi] = w.slow > 0 && r.chance(w.slow) ? w.slowDelay : w.delay;
      const delay = (lo + r.next() * (hi - lo)) * TICK;
      this.#queue.after(delay, () => this.#arrive(m));
    }
  }

  #arrive(m: Message): void {
    if (this.#cut.has(`${m.from}>${m.to}`)) {
      this.stats.cut++;
      return;
    }
    this.stats.delivered++;
    // Each delivery gets its own copy, as if it came off a wire: nodes never share message or entry objects.
    const copy: Message = { ...m };
    if (m.entries) copy.entries = m.entries.map((e) => ({ ...e }));
    if (!isChatter(m)) this.#trace(fmtMessage(m));
    this.#deliver(copy);
  }

  cut(from: NodeId, to: NodeId): void {
    this.#cut.add(`${from}>${to}`);
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.#cut.has(`${from}>${to}`);
  }

  heal(): void {
    this.#cut.clear();
  }
}
