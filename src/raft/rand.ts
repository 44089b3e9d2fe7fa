import type { Rand } from './types.js';

/**
 * A small seeded generator (mulberry32): the core and the simulator draw all
 * randomness from one of these so a seed replays a run exactly.
 */
export class SeededRand implements Rand {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** A new generator whose sequence depends on this one's, for independent streams. */
  fork(): SeededRand {
    return new SeededRand(this.int(0x100000000));
  }
}
