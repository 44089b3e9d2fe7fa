// `raftkv bench`: starts (or finds) the systems one after the other, runs
// each one's workloads from the load-generator pool, and reports. Every
// process it starts is stopped by its PID at the end of its phase, and all
// of them on Ctrl-C, on an error or when the time limit is reached.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClusterConfig, parseClusterConfig, type ClusterConfig } from '../src/cluster/config.js';
import type { BenchOptions } from './bench-options.js';
import type { BennyCase } from './benny-files.js';
import { printProfiles } from './cpu-profile.js';
import { collectVersions, finishRun } from './final-report.js';
import { loadgenLine, mib, type LoadgenCheck } from './run-facts.js';
import { encodeHistogram } from './histogram.js';
import { LeaderWatch, type LeaderTerm, type LeaderWatchResult } from './leader-watch.js';
import { LoadPool, type LoadTarget } from './load/load-pool.js';
import type { LoadSecurity } from './load/task.js';
import { keyName, type KeySpace } from './load/requests.js';
import { measure } from './measure.js';
import { loadAndMeasureMemory, type MemoryLoadResult } from './memory-load.js';
import { formatMs, formatRate, formatRatio, renderTable } from './report.js';
import type { BenchResultFile, WorkloadResult } from './result-file.js';
import { findBinary } from './systems/binaries.js';
import { ChildProcesses } from './systems/child-processes.js';
import type { Endpoint, Topology } from './systems/endpoint.js';
import { EtcdCluster } from './systems/etcd-cluster.js';
import { RaftkvCluster } from './systems/raftkv-cluster.js';
import { RedisServer, type RedisPersistence } from './systems/redis-server.js';
import { runWrk, wrkScript } from './wrk-check.js';
import { requestFor, workloadsFor, type SystemName, type Workload } from './workloads.js';
import { RaftkvError } from '../src/common/errors.js';

export interface BenchIo {
  /** A line of the report. */
  out(line: string): void;
  /** Transient progress (redrawn in place on a terminal). */
  progress(text: string): void;
}

export interface BenchOutcome {
  exitCode: number;
  resultFile: string | undefined;
  summary: string;
  results: WorkloadResult[];
  /** Every process the run started (all stopped by now). */
  pids: number[];
}

const INSTALL_HINT = 'apt-get install etcd-server redis-server';

/** The run's time limit, or a signal, stopped it. */
class Aborted extends RaftkvError {
  constructor(reason: string) {
    super('RAFTKV_ERR_BENCH_ABORTED', reason);
  }
}

/** Endpoints of one system for its workloads. */
interface SystemEndpoints {
  topology: Topology | undefined;
  resp: Endpoint | undefined;
  respNote?: string;
  /** TLS and the token for every connection (a secure cluster). */
  security?: LoadSecurity;
}

export async function runBench(opts: BenchOptions, io: BenchIo): Promise<BenchOutcome> {
  const startedAt = new Date();
  const loadavgAtStart = os.loadavg();
  const t0 = performance.now();
  const stamp = (): string => `[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s]`;
  const say = (line: string): void => io.out(`${stamp()} ${line}`);
  const procs = new ChildProcesses();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftkv-bench-'));
  let abortReason: string | undefined;
  const abort = (why: string): void => {
    if (abortReason) return;
    abortReason = why;
    io.out(`\n${stamp()} ${why}: stopping every process the harness started`);
  };
  const checkAbort = (): void => {
    if (abortReason) throw new Aborted(abortReason);
  };
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      procs.killAllNow();
      process.exit(130);
    }
    abort(sig === 'SIGINT' ? 'interrupted (Ctrl-C)' : `got ${sig}`);
  };
  const lastResort = (): void => procs.killAllNow();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', lastResort);
  const timeLimit = setTimeout(() => abort(`time limit of ${opts.timeLimitSeconds} s reached`), opts.timeLimitSeconds * 1000);

  const results: WorkloadResult[] = [];
  const skipped: BenchResultFile['skipped'] = [];
  const notes: string[] = [];
  const bennyCases: BennyCase[] = [];
  const firstWrite: Record<string, number> = {};
  const leaderChanges: Record<string, LeaderWatchResult> = {};
  let memory: MemoryLoadResult | undefined;
  let loadgenCheck: LoadgenCheck | undefined;
  let failure: Error | undefined;

  const space: KeySpace = { keys: opts.keys, valueBytes: opts.valueBytes, prefix: 'k' };
  const wanted = (w: Workload): boolean => opts.only.length === 0 || opts.only.includes(w.id);
  const binaries = { etcd: findBinary('etcd'), redis: findBinary('redis-server'), wrk: findBinary('wrk') };
  const versions = collectVersions(binaries);
  const { config: baseConfig, source: configSource } = baseClusterConfig(opts.config);
  const pool = new LoadPool(opts.threads);

  say(`raftkv bench (${opts.quick ? 'quick' : 'full'}${opts.compare ? ', --compare' : ''}${opts.tls ? ', --tls' : ''}): ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  say(`${opts.threads} load-generator thread(s); ${opts.seconds} s per workload after ${opts.warmupSeconds} s warm-up; ${opts.keys} keys, ${opts.valueBytes}-byte values`);
  if (opts.compare && (!binaries.etcd || !binaries.redis)) {
    const missing = [!binaries.etcd && 'etcd', !binaries.redis && 'redis-server'].filter(Boolean).join(' and ');
    say(`${missing} not found on PATH: to compare with them, ${INSTALL_HINT}. Running the rest.`);
    notes.push(`${missing} not installed (${INSTALL_HINT}); their workloads were not run`);
  }

  const filled = new Set<string>();
  /** Measure every wanted workload of `system` against its endpoints. */
  const runWorkloads = async (system: SystemName, eps: SystemEndpoints, extra?: (w: Workload, r: WorkloadResult, target: Endpoint) => Promise<void>): Promise<void> => {
    for (const w of workloadsFor(system).filter(wanted)) {
      checkAbort();
      const endpoint = w.proto === 'resp' ? eps.resp : w.node === 'leader' ? eps.topology?.leader : eps.topology?.follower;
      if (!endpoint) {
        const reason = w.proto === 'resp' ? (eps.respNote ?? 'no RESP endpoint') : `no ${w.node} to send to`;
        skipped.push({ system, workload: w.id, reason });
        say(`${system} ${w.id}: skipped (${reason})`);
        continue;
      }
      const base = { proto: w.proto, space, requestTimeoutMs: 10_000, ...(eps.security ? { security: eps.security } : {}) } as const;
      if (w.op === 'get' && !filled.has(system)) {
        const fillEp = w.proto === 'resp' ? endpoint : (eps.topology?.leader ?? endpoint);
        const fillTarget: LoadTarget = { ...base, cacheKey: `${system}/fill`, host: fillEp.host, port: fillEp.port, spec: requestFor(system, { ...w, op: 'set' }), conns: 64, pipeline: 1 };
        io.progress(`${system}: writing ${opts.keys} keys before the reads`);
        const f = await pool.fill(fillTarget, 120_000);
        say(`${system}: wrote ${formatRate(f.ok)} keys for the reads in ${(f.wallMs / 1000).toFixed(1)} s${f.errors ? ` (${f.errors} errors: ${f.errorSamples.join('; ')})` : ''}`);
        filled.add(system);
      }
      const target: LoadTarget = { ...base, cacheKey: `${system}/${w.id}`, host: endpoint.host, port: endpoint.port, spec: requestFor(system, w), conns: w.conns, pipeline: w.pipeline };
      const name = `${system} ${w.id}`;
      const m = await measure(pool, target, name, {
        warmupMs: opts.warmupSeconds * 1000,
        seconds: opts.seconds,
        roundMs: Math.min(250, Math.max(50, (opts.seconds * 1000) / 10)),
        minSamples: opts.quick ? 3 : 5,
        aborted: () => abortReason !== undefined,
        onRound: (n, ms) => io.progress(`${name}: ${(ms / 1000).toFixed(1)} s, ${formatRate(n)} requests, ${formatRate((n / ms) * 1000)}/s`),
      });
      checkAbort();
      const r: WorkloadResult = {
        system,
        workload: w.id,
        title: w.title,
        conns: w.conns,
        pipeline: w.pipeline,
        node: endpoint.id,
        opsPerSec: m.opsPerSec,
        p50Ms: m.latency.p50,
        p90Ms: m.latency.p90,
        p99Ms: m.latency.p99,
        maxMs: m.latency.max,
        meanMs: m.latency.mean,
        requests: m.requests,
        errors: m.errors,
        errorSamples: m.errorSamples,
        seconds: m.seconds,
        loadgenCpuUsPerRequest: m.loadgenCpuUsPerRequest,
        benny: { opsPerSec: m.benny.opsPerSec, margin: m.benny.margin, samples: m.benny.samples, batch: m.batch },
        histogram: encodeHistogram(m.histogram),
      };
      results.push(r);
      if (m.bennyCase) bennyCases.push({ name, result: m.bennyCase, batch: m.batch });
      say(
        `${name.padEnd(24)} ${formatRate(r.opsPerSec).padStart(9)}/s  p50 ${formatMs(r.p50Ms)} ms  p90 ${formatMs(r.p90Ms)}  p99 ${formatMs(r.p99Ms)}  max ${formatMs(r.maxMs)}` +
          `  errors ${r.errors}${r.errors ? ` (${r.errorSamples.join('; ')})` : ''}  [benny ${formatRate(r.benny.opsPerSec)}/s ±${r.benny.margin.toFixed(1)}%, ${r.benny.samples} rounds of ${m.batch}]`,
      );
      await extra?.(w, r, endpoint);
    }
  };
  const watchRaftkv = (cluster: RaftkvCluster): LeaderWatch =>
    new LeaderWatch(async (): Promise<LeaderTerm | undefined> => {
      const statuses = await cluster.statuses();
      const term = Math.max(0, ...statuses.map((s) => s.term));
      const leader = statuses.find((s) => s.term === term && s.leader)?.leader;
      return leader ? { leader, term } : undefined;
    });
  const some = (system: SystemName): boolean => workloadsFor(system).some(wanted);

  try {
    // raftkv, durability fsync (the cluster of the targets), or the running cluster of --target.
    {
      let cluster: RaftkvCluster;
      if (opts.target) {
        say(`raftkv: using the running cluster at ${opts.target}`);
        const security = opts.cacert && opts.authTokenFile ? { ca: readFileSync(opts.cacert, 'utf8'), token: readFileSync(opts.authTokenFile, 'utf8').trim() } : undefined;
        cluster = await RaftkvCluster.attach(opts.target, security);
        notes.push(`raftkv: measured the running cluster at ${opts.target} (its own durability and config); no start-up time, memory or durability-os phase`);
      } else {
        say(`raftkv: starting ${baseConfig.nodes.length} nodes (durability fsync) from ${configSource} on free loopback ports`);
        const dir = path.join(tmp, 'raftkv-fsync');
        mkdirSync(dir);
        const cpuProfDir = opts.cpuProf ? path.resolve(opts.cpuProf) : undefined;
        if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
        cluster = await RaftkvCluster.start({ base: baseConfig, durability: 'fsync', procs, dir, cpuProfDir });
        firstWrite.raftkv = cluster.firstWriteMs!;
        say(`raftkv: first write acknowledged ${formatMs(cluster.firstWriteMs!)} ms after start (launcher PID ${cluster.child!.pid})`);
      }
      const watch = watchRaftkv(cluster);
      watch.start();
      try {
        const topology = await cluster.topology();
        say(`raftkv: leader ${topology.leader.id} (${topology.leader.host}:${topology.leader.port}), follower ${topology.follower?.id ?? '-'}`);
        // Which HTTP server the nodes run (a native uWS build or node:http) decides much of the HTTP numbers.
        const httpServer = (await cluster.status(topology.leader.id))?.httpServer;
        if (httpServer) {
          versions['raftkv http server'] = httpServer;
          say(`raftkv: HTTP served by ${httpServer}`);
        }
        const resp = await cluster.respOf(topology.leader.id);
        if (!resp.endpoint && workloadsFor('raftkv').some((w) => w.proto === 'resp' && wanted(w))) {
          notes.push(`raftkv RESP workloads skipped: ${resp.note}`);
          say(`raftkv: RESP workloads will be skipped (${resp.note})`);
        }
        await runWorkloads('raftkv', { topology, resp: resp.endpoint, respNote: resp.note, ...(cluster.security ? { security: cluster.security } : {}) }, async (w, r, endpoint) => {
          if (w.id !== 'getstale64' || !opts.wrk) return;
          if (!binaries.wrk) {
            notes.push('wrk not installed: the load generator was not cross-checked');
            return;
          }
          io.progress('raftkv getstale64: the same workload with wrk');
          const wrk = await runWrk({
            binary: binaries.wrk,
            procs,
            dir: tmp,
            endpoint,
            conns: w.conns,
            threads: opts.threads,
            seconds: Math.max(2, Math.round(opts.seconds)),
            script: wrkScript(opts.keys, (i) => `/key/${keyName(space, i)}?level=stale`),
          });
          if (!wrk) {
            notes.push('wrk ran but its output could not be read');
            return;
          }
          loadgenCheck = { workload: 'raftkv getstale64', ours: r.opsPerSec, wrk, oursOverWrk: r.opsPerSec / wrk.opsPerSec };
          say(`load-generator check: ours ${loadgenLine(r.opsPerSec, r.loadgenCpuUsPerRequest)} vs wrk ${loadgenLine(wrk.opsPerSec, wrk.cpuUsPerRequest)}, p50 ${wrk.p50Ms ?? '?'} ms, p99 ${wrk.p99Ms ?? '?'} ms: ours/wrk ${formatRatio(loadgenCheck.oursOverWrk)}`);
        });
        if (!opts.target && opts.memoryKeys > 0) {
          checkAbort();
          say(`raftkv: loading ${formatRate(opts.memoryKeys)} keys of 100 bytes for the memory figures`);
          memory = await loadAndMeasureMemory(cluster, `${topology.leader.host}:${topology.leader.port}`, opts.memoryKeys, 100, opts.quick ? 60_000 : 300_000, (n) => {
            io.progress(`raftkv memory: ${formatRate(n)} of ${formatRate(opts.memoryKeys)} keys`);
            if (abortReason) throw new Aborted(abortReason);
          });
          say(
            `raftkv memory with ${formatRate(memory.keysLoaded)} keys loaded in ${memory.seconds.toFixed(1)} s: launcher RSS ${mib(memory.rssBytes)}, heap ${Object.entries(memory.heapUsedBytes).map(([id, b]) => `${id} ${mib(b)}`).join(', ')}` +
              `${memory.caughtUp ? '' : ' (followers had not caught up)'}`,
          );
        }
      } finally {
        leaderChanges.raftkv = await watch.stop();
        await cluster.stop();
      }
      if (opts.cpuProf && !opts.target) printProfiles(path.resolve(opts.cpuProf), io.out, renderTable);
    }

    // raftkv, durability os: what fsync costs.
    if (!opts.target && some('raftkv-os')) {
      checkAbort();
      say('raftkv-os: starting a second cluster with durability os');
      const dir = path.join(tmp, 'raftkv-os');
      mkdirSync(dir);
      const cluster = await RaftkvCluster.start({ base: baseConfig, durability: 'os', procs, dir });
      firstWrite['raftkv-os'] = cluster.firstWriteMs!;
      const watch = watchRaftkv(cluster);
      watch.start();
      try {
        await runWorkloads('raftkv-os', { topology: await cluster.topology(), resp: undefined });
      } finally {
        leaderChanges['raftkv-os'] = await watch.stop();
        await cluster.stop();
      }
    }

    // raftkv with TLS on every link and a token on every request: what security costs, against the plaintext cluster above.
    if (opts.tls && some('raftkv-tls')) {
      checkAbort();
      say('raftkv-tls: starting a third cluster (durability fsync) with TLS and tokens, certificates made for it');
      const dir = path.join(tmp, 'raftkv-tls');
      mkdirSync(dir);
      const cluster = await RaftkvCluster.start({ base: baseConfig, durability: 'fsync', procs, dir, secure: true });
      firstWrite['raftkv-tls'] = cluster.firstWriteMs!;
      const watch = watchRaftkv(cluster);
      watch.start();
      try {
        const topology = await cluster.topology();
        const resp = await cluster.respOf(topology.leader.id);
        await runWorkloads('raftkv-tls', { topology, resp: resp.endpoint, respNote: resp.note, security: cluster.security! });
      } finally {
        leaderChanges['raftkv-tls'] = await watch.stop();
        await cluster.stop();
      }
    }

    if (opts.compare && binaries.etcd && some('etcd')) {
      checkAbort();
      say('etcd: starting 3 members on free loopback ports');
      const dir = path.join(tmp, 'etcd');
      mkdirSync(dir);
      const etcd = await EtcdCluster.start({ binary: binaries.etcd, procs, dir });
      firstWrite.etcd = etcd.firstWriteMs;
      say(`etcd: first write acknowledged ${formatMs(etcd.firstWriteMs)} ms after start`);
      const watch = new LeaderWatch(() => etcd.leaderTerm());
      watch.start();
      try {
        const topology = await etcd.topology();
        say(`etcd: leader ${topology.leader.id}, follower ${topology.follower?.id ?? '-'}`);
        await runWorkloads('etcd', { topology, resp: undefined });
      } finally {
        leaderChanges.etcd = await watch.stop();
        await etcd.stop();
      }
    }

    if (opts.compare && binaries.redis) {
      for (const persistence of ['always', 'none'] as RedisPersistence[]) {
        const system: SystemName = persistence === 'always' ? 'redis-always' : 'redis-none';
        if (!some(system)) continue;
        checkAbort();
        say(`${system}: starting redis-server (${persistence === 'always' ? 'appendonly yes, appendfsync always' : 'no persistence'})`);
        const dir = path.join(tmp, system);
        mkdirSync(dir);
        const redis = await RedisServer.start({ binary: binaries.redis, procs, dir, persistence });
        try {
          await runWorkloads(system, { topology: undefined, resp: redis.endpoint });
        } finally {
          await redis.stop();
        }
      }
    }
  } catch (e) {
    if (!(e instanceof Aborted)) {
      failure = e as Error;
      io.out(`\n${stamp()} error: ${failure.message}`);
    }
  } finally {
    clearTimeout(timeLimit);
    await pool.destroy().catch(() => {});
    await procs.stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', lastResort);
  }
  if (failure) io.out(`logs of the failed run are kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });

  const { summary, resultFile } = finishRun(
    {
      opts,
      startedAt,
      loadavgAtStart,
      elapsedSeconds: (performance.now() - t0) / 1000,
      results,
      skipped,
      notes,
      bennyCases,
      firstWrite,
      leaderChanges,
      memory,
      loadgenCheck,
      versions,
      config: { source: configSource, cluster: baseConfig },
      complete: !abortReason && !failure,
    },
    io.out,
  );
  return { exitCode: failure ? 1 : abortReason ? 130 : 0, resultFile, summary, results, pids: [...procs.started] };
}

/** The cluster config to copy (node ids, Raft tuning); the built-in 3-node default when the file does not exist. */
function baseClusterConfig(file: string): { config: ClusterConfig; source: string } {
  if (existsSync(file)) return { config: loadClusterConfig(file).config, source: file };
  const nodes = [0, 1, 2].map((i) => ({ id: `node${i}`, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` }));
  return { config: parseClusterConfig({ nodes }, 'default').config, source: 'the built-in default' };
}
