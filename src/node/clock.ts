// Time as the node sees it. RaftNode and its forwarder read the time and set
// timers only through a Clock, so a simulator can run the production node on
// simulated time (a fake clock that fires timers when told), and production
// passes realClock, which is Node's own timers and clocks.

/**
 * A timer as a Clock hands it out: opaque, only given back to the same
 * clock's clear functions. (Node's Timeout objects, or whatever a fake clock uses.)
 */
export type TimerHandle = object;

export interface Clock {
  /** Wall-clock milliseconds (Date.now()): for deadlines and "last contact" ages. */
  now(): number;
  /** A monotonic reading in milliseconds (performance.now()): for measuring gaps. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle | undefined): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(timer: TimerHandle | undefined): void;
  /** Run `fn` after the current work, before any timer (setImmediate): the drive loop's "soon". */
  defer(fn: () => void): void;
}

/** Node's own time: the production wiring. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  // Only handles this clock made come back here, so they are Node's Timeouts.
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (timer) => clearInterval(timer as NodeJS.Timeout | undefined),
  defer: (fn) => {
    setImmediate(fn);
  },
};

/** A promise that resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    clock.setTimeout(resolve, ms);
  });
}
