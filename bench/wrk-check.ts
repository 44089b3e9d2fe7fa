// Is our load generator the bottleneck? wrk (C, epoll) runs the same
// workload against the same node right after ours; the two rates are
// reported side by side.

import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChildProcesses } from './systems/child-processes.js';
import type { Endpoint } from './systems/endpoint.js';
import { sleep } from '../src/kit/wait.js';

export interface WrkResult {
  opsPerSec: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  /** Non-2xx answers and socket errors. */
  errors: number;
  /** wrk's CPU time per request, microseconds (sampled from /proc during the run). */
  cpuUsPerRequest: number | undefined;
  command: string;
}

/** A Lua script that asks for a random key of `keys` per request, as our stale-read workload does. */
export function wrkScript(keys: number, pathOf: (i: number) => string): string {
  const sample = pathOf(0);
  const [prefix, suffix] = [sample.slice(0, sample.indexOf('00000')), sample.slice(sample.indexOf('00000') + 5)];
  return `request = function()\n  return wrk.format("GET", string.format("${prefix}%05d${suffix}", math.random(0, ${keys - 1})))\nend\n`;
}

export function parseWrkOutput(out: string): Omit<WrkResult, 'command' | 'cpuUsPerRequest'> | undefined {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rate) return undefined;
  const ms = (label: string): number | undefined => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
    if (!m) return undefined;
    const v = Number(m[1]);
    return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
  };
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(non2xx?.[1] ?? 0) + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { opsPerSec: Number(rate[1]), p50Ms: ms('50'), p99Ms: ms('99'), errors };
}

export async function runWrk(o: { binary: string; procs: ChildProcesses; dir: string; endpoint: Endpoint; conns: number; threads: number; seconds: number; script: string }): Promise<WrkResult | undefined> {
  const script = path.join(o.dir, 'wrk-keys.lua');
  writeFileSync(script, o.script);
  const log = path.join(o.dir, 'wrk.log');
  const args = [`-t${o.threads}`, `-c${o.conns}`, `-d${o.seconds}s`, '--latency', '-s', script, `http://${o.endpoint.host}:${o.endpoint.port}`];
  const child = o.procs.spawn('wrk', o.binary, args, log);
  const timer = setTimeout(() => void o.procs.stop(child, 1000), (o.seconds + 15) * 1000);
  // wrk's CPU between 0.5 s in and 0.5 s before its end: a share of a core, turned into time per request below.
  const window = Math.max(0.5, o.seconds - 1);
  const sampled = (async () => {
    await sleep(500);
    const a = await cpuSecondsOf(child.pid);
    await sleep(window * 1000);
    const b = await cpuSecondsOf(child.pid);
    return a !== undefined && b !== undefined ? (b - a) / window : undefined;
  })();
  await child.exited;
  clearTimeout(timer);
  const coreShare = await sampled;
  const parsed = parseWrkOutput(await readFile(log, 'utf8'));
  if (!parsed) return undefined;
  return { ...parsed, cpuUsPerRequest: coreShare !== undefined && parsed.opsPerSec > 0 ? (coreShare * 1e6) / parsed.opsPerSec : undefined, command: `wrk ${args.join(' ')}` };
}

/** User + system CPU seconds of a running process (Linux /proc), undefined once it is gone. */
export async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}
