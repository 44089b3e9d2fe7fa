// `raftkv bench` options as cac hands them over, checked and with the
// defaults of a quick or a full run filled in.

import { WORKLOADS } from './workloads.js';
import { RaftkvError } from '../src/common/errors.js';

export interface BenchOptions {
  quick: boolean;
  compare: boolean;
  /** URL of one node of a running cluster; the harness then starts no raftkv cluster of its own. */
  target: string | undefined;
  config: string;
  /** Measuring time per workload (benny's maxTime). */
  seconds: number;
  warmupSeconds: number;
  /** Load-generator threads (piscina). */
  threads: number;
  keys: number;
  valueBytes: number;
  /** Keys of 100 bytes loaded for the memory figures (0: skip). */
  memoryKeys: number;
  /** Workload ids to run (all when empty). */
  only: string[];
  resultsDir: string;
  save: boolean;
  /** Write V8 CPU profiles of the raftkv cluster process here. */
  cpuProf: string | undefined;
  /** Cross-check the load generator with wrk (full runs; --no-wrk turns it off). */
  wrk: boolean;
  /** The whole run is stopped (cleanly) after this long. */
  timeLimitSeconds: number;
  /** Also start a cluster with TLS and tokens and report its ratios to the plaintext one (same run). */
  tls: boolean;
  /** With --target: the CA file of a secure cluster (then the target URL is https). */
  cacert: string | undefined;
  /** With --target: the token file of a secure cluster (sent as a Bearer token and with AUTH). */
  authTokenFile: string | undefined;
}

export class BenchOptionError extends RaftkvError {
  constructor(message: string) {
    super('RAFTKV_ERR_BENCH_OPTION', message);
  }
}

function num(raw: unknown, name: string, fallback: number, min: number): number {
  if (raw === undefined || raw === true) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new BenchOptionError(`--${name} must be a number >= ${min} (got ${JSON.stringify(raw)})`);
  return n;
}

export function resolveBenchOptions(raw: Record<string, unknown>, cores: number): BenchOptions {
  const quick = raw.quick === true;
  const only = raw.only === undefined || raw.only === true ? [] : String(raw.only).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const known = new Set(WORKLOADS.map((w) => w.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) throw new BenchOptionError(`--only: unknown workload ${unknown.join(', ')}; workloads: ${[...known].join(', ')}`);
  const target = typeof raw.target === 'string' ? raw.target : undefined;
  if (target !== undefined) {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      throw new BenchOptionError(`--target must be a URL such as http://127.0.0.1:11000 (got ${JSON.stringify(target)})`);
    }
    if ((u.protocol === 'https:') !== (typeof raw.cacert === 'string')) throw new BenchOptionError('--target: an https URL goes with --cacert (the cluster CA), an http one without it');
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !u.hostname.startsWith('127.')) {
      throw new BenchOptionError(`--target must be a loopback address (got ${u.hostname})`);
    }
  }
  const tls = raw.tls === true;
  if (tls && target !== undefined) throw new BenchOptionError('--tls starts a TLS cluster of its own to compare with plaintext; to measure a running secure cluster use --target https://... with --cacert and --auth-token-file');
  for (const name of ['cacert', 'authTokenFile'] as const) {
    if (raw[name] !== undefined && target === undefined) throw new BenchOptionError(`--${name === 'cacert' ? 'cacert' : 'auth-token-file'} is for --target (a running secure cluster); --tls makes its own certificates`);
  }
  if ((typeof raw.cacert === 'string') !== (typeof raw.authTokenFile === 'string')) throw new BenchOptionError('a secure --target needs both --cacert and --auth-token-file');
  return {
    quick,
    compare: raw.compare === true,
    target,
    config: typeof raw.config === 'string' ? raw.config : 'cluster.config.json',
    seconds: num(raw.seconds, 'seconds', quick ? 1.5 : 8, 0.1),
    warmupSeconds: num(raw.warmup, 'warmup', quick ? 0.3 : 1, 0),
    // Half the cores: the server under test needs the rest (on 2 cores a second load thread only competes with it).
    threads: Math.floor(num(raw.threads, 'threads', Math.max(1, Math.floor(cores / 2)), 1)),
    keys: Math.floor(num(raw.keys, 'keys', 10_000, 1)),
    valueBytes: Math.floor(num(raw.valueSize, 'value-size', 16, 1)),
    memoryKeys: Math.floor(num(raw.memoryKeys, 'memory-keys', quick ? 100_000 : 1_000_000, 0)),
    only,
    resultsDir: typeof raw.results === 'string' ? raw.results : 'bench/results',
    save: raw.save !== false,
    cpuProf: typeof raw.cpuProf === 'string' ? raw.cpuProf : raw.cpuProf === true ? 'bench/profiles' : undefined,
    wrk: raw.wrk !== false && !quick,
    timeLimitSeconds: num(raw.timeLimit, 'time-limit', quick ? 180 : 1200, 10),
    tls,
    cacert: typeof raw.cacert === 'string' ? raw.cacert : undefined,
    authTokenFile: typeof raw.authTokenFile === 'string' ? raw.authTokenFile : undefined,
  };
}
