// A Clock that moves only when the test says so: timers fire, in order of
// due time, as advance() passes them, and deferred work runs in settle().
// Between steps the real event loop turns once, so the promises the node
// awaits (its store's) resolve; no real time reaches the node.

import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../src/node/clock.js';

interface Timer {
  id: number;
  due: number;
  fn: () => void;
  /** Repeat period for intervals. */
  every?: number;
}

export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, Timer>();
  #deferred: (() => void)[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  clearTimeout(timer: TimerHandle | undefined): void {
    if (timer) this.#timers.delete((timer as { id: number }).id);
  }

  clearInterval(timer: TimerHandle | undefined): void {
    this.clearTimeout(timer);
  }

  defer(fn: () => void): void {
    this.#deferred.push(fn);
  }

  /** Timers waiting (intervals included). */
  get pending(): number {
    return this.#timers.size;
  }

  /** Run deferred work and let promises resolve, until nothing is left to do now. */
  async settle(): Promise<void> {
    for (let round = 0; round < 10_000; round++) {
      await new Promise<void>((r) => setImmediate(r));
      if (this.#deferred.length === 0) return;
      const now = this.#deferred;
      this.#deferred = [];
      for (const fn of now) fn();
    }
    throw new Error('ManualClock: work keeps deferring more work');
  }

  /** Move time forward by `ms`, firing every timer due on the way, each followed by settle(). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await this.settle();
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers.values()) if (t.due <= end && (!next || t.due < next.due || (t.due === next.due && t.id < next.id))) next = t;
      if (!next) break;
      this.#now = Math.max(this.#now, next.due);
      if (next.every === undefined) this.#timers.delete(next.id);
      else next.due += next.every;
      next.fn();
      await this.settle();
    }
    this.#now = end;
  }

  #add(fn: () => void, ms: number, every?: number): TimerHandle {
    const t: Timer = { id: this.#nextId++, due: this.#now + Math.max(0, ms), fn, every };
    this.#timers.set(t.id, t);
    return { id: t.id };
  }
}

/** Move the clock on in ticks until `cond` holds (at most `ms` of simulated time). */
export async function until(clock: ManualClock, cond: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await clock.advance(10);
  assert.ok(cond(), `not reached within ${ms} simulated ms`);
}

/** A promise's outcome once the clock has moved on, without letting it hang the test. */
export async function settled<T>(clock: ManualClock, p: Promise<T>, ms = 1000): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  await until(clock, () => done, ms);
  return watched;
}
