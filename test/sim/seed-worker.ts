// A worker thread that runs simulation seeds for the tests (workers.ts).
// Under node:test every promise pays for the runner's async context tracking
// (an await costs some twenty times more), and the simulated cluster awaits
// all the time; a worker thread has none of that.

import { parentPort, workerData } from 'node:worker_threads';
import { runSeed, type RunOptions } from './run.js';

export interface SeedWork {
  runs: RunOptions[];
  /** Stop after the first run with a violation. */
  stopAtViolation: boolean;
}

const work = workerData as SeedWork;
for (const opts of work.runs) {
  const r = await runSeed(opts);
  parentPort!.postMessage(r);
  if (work.stopAtViolation && r.violations.length > 0) break;
}
