// Warnings about hostile input are rate limited per event: a flood of bad
// connections or messages must not become a flood of log lines (the
// counters keep the totals). The first lines of each window go out; the
// next line after a quiet spell says how many were suppressed.

export class LogLimiter {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { start: number; count: number; suppressed: number }>();
  /** Monotonic milliseconds: a node passes its clock's, so simulated time rate limits its lines too. */
  readonly #now: () => number;

  constructor(perWindow = 10, windowMs = 1000, now: () => number = () => performance.now()) {
    this.#perWindow = perWindow;
    this.#windowMs = windowMs;
    this.#now = now;
  }

  /**
   * Whether a line for `event` may go out now: -1 when it must be
   * suppressed, else how many were suppressed since the last one (to report).
   * The caller builds the line only when allowed, so a flood allocates nothing.
   */
  take(event: string): number {
    const now = this.#now();
    let w = this.#windows.get(event);
    if (w === undefined) {
      w = { start: now, count: 0, suppressed: 0 };
      this.#windows.set(event, w);
    }
    if (now - w.start >= this.#windowMs) {
      w.start = now;
      w.count = 0;
    }
    if (w.count >= this.#perWindow) {
      w.suppressed++;
      return -1;
    }
    w.count++;
    const suppressed = w.suppressed;
    w.suppressed = 0;
    return suppressed;
  }
}
