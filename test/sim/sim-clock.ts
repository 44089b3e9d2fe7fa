// One life of a simulated node process (from a start to its crash), and the
// Clock the production node runs on during it. Every way into the node (a
// timer, deferred work, a message, a finished disk call) goes through
// Life.run: nothing reaches a dead process, and a frozen one gets it when it
// thaws, in the order it arrived.

import type { Clock, TimerHandle } from '../../src/node/clock.js';
import type { SeededRand } from '../../src/raft/index.js';
import type { EventQueue } from './event-queue.js';

export class Life {
  /** Set at the crash: from then on nothing of this life runs. */
  dead = false;
  readonly #queue: EventQueue;
  readonly #frozenUntil: () => number;

  constructor(queue: EventQueue, frozenUntil: () => number) {
    this.#queue = queue;
    this.#frozenUntil = frozenUntil;
  }

  /** Run `fn` in this process now, or when it thaws; never once it died. */
  run(fn: () => void): void {
    if (this.dead) return;
    const until = this.#frozenUntil();
    if (this.#queue.now < until) {
      this.#queue.at(until, () => this.run(fn));
      return;
    }
    this.#queue.activity++;
    fn();
  }
}

interface SimTimer {
  cleared: boolean;
}

/**
 * Simulated time for one life of a node: a unit of the event queue is a
 * millisecond. The wall clock is off by a fixed amount per node (clocks of
 * different machines disagree), and every period of an interval is drawn
 * around its nominal length (a tick timer never fires exactly on time), as
 * the simulator's ticks always drifted.
 */
export class SimClock implements Clock {
  readonly #queue: EventQueue;
  readonly #life: Life;
  readonly #rand: SeededRand;
  readonly #offset: number;

  constructor(queue: EventQueue, life: Life, rand: SeededRand, wallOffset: number) {
    this.#queue = queue;
    this.#life = life;
    this.#rand = rand;
    this.#offset = wallOffset;
  }

  now(): number {
    return this.#queue.now + this.#offset;
  }

  monotonic(): number {
    return this.#queue.now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: SimTimer = { cleared: false };
    this.#queue.activity++;
    this.#queue.after(Math.max(0, ms), () => {
      if (t.cleared) return;
      this.#life.run(() => {
        if (!t.cleared) fn();
      });
    });
    return t;
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer) (timer as SimTimer).cleared = true;
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const t: SimTimer = { cleared: false };
    this.#queue.activity++;
    const period = Math.max(1, ms);
    const schedule = (): void => {
      // ±5% per period: 95..105 units for a tick of 100.
      const jitter = Math.round(period * 0.05);
      this.#queue.after(period - jitter + this.#rand.int(2 * jitter + 1), () => {
        if (t.cleared) return;
        this.#life.run(() => {
          if (t.cleared) return;
          fn();
          schedule();
        });
      });
    };
    schedule();
    return t;
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.clearTimeout(timer);
  }

  defer(fn: () => void): void {
    this.#queue.defer(() => this.#life.run(fn));
  }
}
