// The simulator's clock: a priority queue of events ordered by (time, insertion
// order), so two runs of the same seed pop events in exactly the same order.
//
// The production node runs on it, and that node awaits promises (its store's,
// its own). Promise continuations are microtasks, whose order JavaScript fixes,
// so a run stays deterministic as long as nothing but microtasks runs between
// two events: no real timer, no setImmediate, no I/O. After each event the run
// loop lets the microtasks run out (settle()) before the clock moves, so a
// continuation happens at the simulated time of what it continues.

/** Simulated time units in one tick (the nodes' tickMs: a unit is a millisecond to them). */
export const TICK = 100;

interface Event {
  time: number;
  seq: number;
  run: () => void;
}

/**
 * Microtask turns with no sign of activity after which the work of an event
 * counts as done. Between two calls into the simulator the node's
 * continuation chains go a few turns deep (an async return alone costs up to
 * three; over 80 seeds the longest quiet stretch seen was 4), so a quiet
 * stretch this long means nothing is left. test/sim/simulation.test.ts checks
 * that a much longer one changes no run. Were it too short, a continuation
 * would run a little late, at the next event: a slower node, still
 * deterministic.
 */
export const QUIET_TURNS = 6;
/** More turns than this after one event is a loop that never ends. */
const MAX_TURNS = 100_000;

export class EventQueue {
  #heap: Event[] = [];
  #seq = 0;
  /** Work to run after the current event, before the clock moves (a clock's defer, i.e. setImmediate). */
  #immediates: (() => void)[] = [];
  readonly #quietTurns: number;
  /** The time of the event being run. */
  now = 0;
  /**
   * Bumped by every call the node makes into the simulated world (disk,
   * clock, network, observer) and every answer a client gets: microtasks are
   * settled once it stays still for a few turns.
   */
  activity = 0;
  /**
   * A reading of progress inside the nodes that calls no seam (the simulator
   * sums its cores' outstanding readies: a node finishing a run of readies
   * whose writes are done calls nothing outside for many turns).
   */
  progress: () => number = () => 0;

  constructor(quietTurns = QUIET_TURNS) {
    this.#quietTurns = quietTurns;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Run `fn` at absolute time `time` (never before now). */
  at(time: number, run: () => void): void {
    const ev: Event = { time: Math.max(Math.round(time), this.now), seq: this.#seq++, run };
    const h = this.#heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(ev, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ev;
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run);
  }

  /** Run `fn` once the current event and its microtasks are done, at the same time. */
  defer(fn: () => void): void {
    this.activity++;
    this.#immediates.push(fn);
  }

  /** Pop and run the next event; false when the queue is empty or the next event is after `limit`. */
  runNext(limit: number): boolean {
    const h = this.#heap;
    if (h.length === 0 || h[0]!.time > limit) return false;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    this.now = top.time;
    top.run();
    return true;
  }

  /**
   * Let the current event's consequences run out: its microtasks, then the
   * deferred work (each followed by its own microtasks, as Node runs
   * setImmediate callbacks), until nothing is left at this time.
   */
  async settle(): Promise<void> {
    await this.#drainMicrotasks();
    while (this.#immediates.length > 0) {
      const batch = this.#immediates;
      this.#immediates = [];
      for (const fn of batch) {
        fn();
        await this.#drainMicrotasks();
      }
    }
  }

  async #drainMicrotasks(): Promise<void> {
    let seen = this.activity;
    let progress = this.progress();
    let quiet = 0;
    let turns = 0;
    while (quiet < this.#quietTurns) {
      await null;
      const now = this.progress();
      if (this.activity !== seen || now !== progress) {
        seen = this.activity;
        progress = now;
        quiet = 0;
      } else {
        quiet++;
      }
      if (++turns > MAX_TURNS) throw new Error(`microtasks still busy after ${MAX_TURNS} turns`);
    }
  }
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
