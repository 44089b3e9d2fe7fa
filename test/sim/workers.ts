// Run simulation seeds for the tests in worker threads (see seed-worker.ts
// for why not in the test's own thread), several at once when the machine
// has the cores.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RunOptions, RunResult } from './run.js';
import type { SeedWork } from './seed-worker.js';

const WORKER = new URL('./seed-worker.js', import.meta.url);

/** The results of `runs`, in their order, spread over up to `workers` threads. */
export async function runInWorkers(runs: RunOptions[], workers = Math.min(4, availableParallelism())): Promise<RunResult[]> {
  const n = Math.max(1, Math.min(workers, runs.length));
  const shares: RunOptions[][] = Array.from({ length: n }, () => []);
  runs.forEach((r, i) => shares[i % n]!.push(r));
  const results = await Promise.all(shares.map((share) => runWorker({ runs: share, stopAtViolation: false })));
  const out: RunResult[] = [];
  for (let i = 0; i < runs.length; i++) out.push(results[i % n]![Math.floor(i / n)]!);
  return out;
}

/** Run `runs` in order in one worker, up to and including the first with a violation. */
export function runUntilViolation(runs: RunOptions[]): Promise<RunResult[]> {
  return runWorker({ runs, stopAtViolation: true });
}

function runWorker(work: SeedWork): Promise<RunResult[]> {
  return new Promise((resolve, reject) => {
    const results: RunResult[] = [];
    const w = new Worker(WORKER, { workerData: work });
    w.on('message', (r: RunResult) => results.push(r));
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve(results) : reject(new Error(`simulation worker exited with code ${code}`))));
  });
}
