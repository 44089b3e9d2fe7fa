// The load-generator pool (piscina): a round of a workload splits its
// connections over the threads, runs them, and merges what they measured.

import { Piscina } from 'piscina';
import { decodeHistogram, newLatencyHistogram, type Histogram } from '../histogram.js';
import type { LoadTask, LoadTaskResult } from './task.js';

/** Where and how one workload sends its requests: a task's fields, with `conns` the workload's total (split over the threads). */
export type LoadTarget = Pick<LoadTask, 'cacheKey' | 'proto' | 'host' | 'port' | 'spec' | 'space' | 'conns' | 'pipeline' | 'requestTimeoutMs' | 'security'>;

export interface LoadRound {
  ok: number;
  errors: number;
  errorSamples: string[];
  histogram: Histogram;
  /** From handing out the tasks until the last one answered. */
  wallMs: number;
}

/** Split `total` into `parts` integers that differ by at most one. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export class LoadPool {
  readonly #pool: Piscina<LoadTask, LoadTaskResult>;
  readonly threads: number;

  constructor(threads: number) {
    this.threads = threads;
    this.#pool = new Piscina({
      filename: new URL('./load-worker.js', import.meta.url).href,
      minThreads: threads,
      maxThreads: threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: 24 * 3600 * 1000,
    });
  }

  /** Closed loops on every connection until `quota` requests are sent or `durationMs` is up. */
  async round(target: LoadTarget, quota: number, durationMs: number): Promise<LoadRound> {
    const tasks = Math.max(1, Math.min(this.threads, target.conns));
    const conns = split(target.conns, tasks);
    const quotas = Number.isFinite(quota) ? conns.map((c) => Math.round((quota * c) / target.conns)) : conns.map(() => Infinity);
    return this.#run(conns.map((c, i) => ({ ...target, conns: c, quota: quotas[i]!, durationMs, order: 'random' as const, seqStart: 0, seqStep: 1 })));
  }

  /** Write every key of the key space once (before reads), bounded by `durationMs`. */
  async fill(target: LoadTarget, durationMs: number): Promise<LoadRound> {
    const tasks = Math.max(1, Math.min(this.threads, target.conns));
    const conns = split(target.conns, tasks);
    const keys = split(target.space.keys, tasks);
    return this.#run(conns.map((c, i) => ({ ...target, conns: c, quota: keys[i]!, durationMs, order: 'sequential' as const, seqStart: i, seqStep: tasks })));
  }

  async #run(tasks: LoadTask[]): Promise<LoadRound> {
    const started = performance.now();
    const results = await Promise.all(tasks.map((t) => this.#pool.run(t)));
    const wallMs = performance.now() - started;
    const histogram = newLatencyHistogram();
    const round: LoadRound = { ok: 0, errors: 0, errorSamples: [], histogram, wallMs };
    for (const r of results) {
      round.ok += r.ok;
      round.errors += r.errors;
      for (const e of r.errorSamples) if (!round.errorSamples.includes(e)) round.errorSamples.push(e);
      histogram.add(decodeHistogram(r.histogram));
    }
    return round;
  }

  async destroy(): Promise<void> {
    await this.#pool.destroy();
  }
}
