// Entry of a load-generator thread (a piscina worker). A thread keeps the
// connections and pre-built requests of the workload it last ran, so the
// rounds of one workload reuse warm keep-alive connections.

import { encodeHistogram } from '../histogram.js';
import { runClosedLoop } from './closed-loop.js';
import { LoadConnection } from './connection.js';
import { buildRequests } from './requests.js';
import type { LoadTask, LoadTaskResult } from './task.js';

let current: { cacheKey: string; conns: LoadConnection[]; requests: Buffer[] } | undefined;

export default async function loadTask(task: LoadTask): Promise<LoadTaskResult> {
  if (current?.cacheKey !== task.cacheKey || current.conns.length !== task.conns) {
    for (const c of current?.conns ?? []) c.destroy('workload finished', true);
    const conns = Array.from({ length: task.conns }, () => new LoadConnection(task.proto, task.host, task.port, task.security));
    current = { cacheKey: task.cacheKey, conns, requests: buildRequests(task.spec, task.space, `${task.host}:${task.port}`, task.security?.token) };
    // A connection that cannot open now is retried inside the loop (and counted as an error there).
    await Promise.allSettled(conns.map((c) => c.connect()));
  }
  const outcome = await runClosedLoop(task, current.conns, current.requests);
  return {
    ok: outcome.ok,
    errors: outcome.errors,
    errorSamples: outcome.errorSamples,
    histogram: encodeHistogram(outcome.histogram),
    elapsedMs: outcome.elapsedMs,
  };
}
