// The first success after a fault (a leader killed, a cluster starting):
// probes sent every few milliseconds until one succeeds, timed from the
// fault. Failover times in chaos and bench, start-up times in bench.

import { setTimeout as sleep } from 'node:timers/promises';

export interface ProbeOptions {
  /** performance.now() at the fault: the result and the bound are measured from here. */
  started: number;
  boundMs: number;
  everyMs: number;
  /**
   * Send the next probe without waiting for the one before (each must be
   * bounded by itself): a probe stuck on the dead leader does not hide a
   * later one that succeeds. Default: one at a time.
   */
  overlap?: boolean;
  /** Looked at before each probe: a reason to stop at once (the process exited), thrown. */
  abort?: () => string | undefined;
}

export interface ProbeResult {
  /** From `started` to the first success; undefined when none came within the bound. */
  ms: number | undefined;
  /** Why the last probe that failed did (for the message when none succeeded). */
  last: string;
}

/** `probe(n)` answers true on success, else why not. */
export async function firstSuccess(probe: (n: number) => Promise<true | string>, o: ProbeOptions): Promise<ProbeResult> {
  let ms: number | undefined;
  let last = 'no answer';
  const inFlight: Promise<void>[] = [];
  for (let n = 0; ms === undefined && performance.now() - o.started < o.boundMs; n++) {
    const reason = o.abort?.();
    if (reason !== undefined) throw new Error(reason);
    const sent = probe(n).then((r) => {
      if (r === true) ms ??= performance.now() - o.started;
      else last = r;
    });
    if (o.overlap) inFlight.push(sent);
    else await sent;
    if (ms === undefined) await sleep(o.everyMs);
  }
  await Promise.all(inFlight);
  return { ms, last };
}
