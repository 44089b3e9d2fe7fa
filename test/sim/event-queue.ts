// The simulator's clock: a priority queue of events ordered by (time, insertion
// order), so two runs of the same seed pop events in exactly the same order.

/** Simulated time units in one tick. */
export const TICK = 100;

interface Event {
  time: number;
  seq: number;
  run: () => void;
}

export class EventQueue {
  #heap: Event[] = [];
  #seq = 0;
  /** The time of the event being run. */
  now = 0;

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
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
