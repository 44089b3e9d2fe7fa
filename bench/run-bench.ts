// `raftkv bench`: starts (or finds) the systems one after the other, runs
// each one's workloads from the load-generator pool, and reports. Every
// process it starts is stopped by its PID at the end of its phase, and all
// of them on Ctrl-C, on an error or when the time limit is reached.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClusterConfig, parseClusterConfig, type ClusterConfig } from '../src/cluster/config.js';
import type { BenchOptions } from './bench-options.js';
import { combinedSummary, saveBennyFiles, type BennyCase } from './benny-files.js';
import { profilesIn, summarizeProfile } from './cpu-profile.js';
import { LeaderWatch, type LeaderTerm, type LeaderWatchResult } from './leader-watch.js';
import { LoadPool, type LoadTarget } from './load/load-pool.js';
import { keyName, type KeySpace } from './load/requests.js';
import { measure } from './measure.js';
import { loadAndMeasureMemory, type MemoryLoadResult } from './memory-load.js';
import {
  formatMs,
  formatRate,
  formatRatio,
  previousTable,
  ratios,
  ratioTable,
  renderTable,
  resultsTable,
  summaryLine,
  targetChecks,
  targetsTable,
} from './report.js';
import { compareWithPrevious, findPreviousResult, readResultFile, resultBaseName, writeResultFile, type BenchResultFile, type PreviousComparison, type WorkloadResult } from './result-file.js';
import { findBinary, versionLine } from './systems/binaries.js';
import { ChildProcesses } from './systems/child-processes.js';
import type { Endpoint, Topology } from './systems/endpoint.js';
import { EtcdCluster } from './systems/etcd-cluster.js';
import { RaftkvCluster } from './systems/raftkv-cluster.js';
import { RedisServer, type RedisPersistence } from './systems/redis-server.js';
import { runWrk, wrkScript, type WrkResult } from './wrk-check.js';
import { requestFor, SYSTEM_TITLES, workloadsFor, type SystemName, type Workload } from './workloads.js';

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

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL_HINT = 'apt-get install etcd-server redis-server';

class Aborted extends Error {}

/** Endpoints of one system for its workloads. */
interface SystemEndpoints {
  topology: Topology | undefined;
  resp: Endpoint | undefined;
  respNote?: string;
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
  let loadgenCheck: { workload: string; ours: number; wrk: WrkResult; oursOverWrk: number } | undefined;
  let failure: Error | undefined;

  const space: KeySpace = { keys: opts.keys, valueBytes: opts.valueBytes, prefix: 'k' };
  const wanted = (w: Workload): boolean => opts.only.length === 0 || opts.only.includes(w.id);
  const binaries = { etcd: findBinary('etcd'), redis: findBinary('redis-server'), wrk: findBinary('wrk') };
  const versions = collectVersions(binaries);
  const { config: baseConfig, source: configSource } = baseClusterConfig(opts.config);
  const pool = new LoadPool(opts.threads);

  say(`raftkv bench (${opts.quick ? 'quick' : 'full'}${opts.compare ? ', --compare' : ''}): ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
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
      const base = { proto: w.proto, space, requestTimeoutMs: 10_000 } as const;
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
      };
      results.push(r);
      if (m.bennyCase) bennyCases.push({ name, result: m.bennyCase, batch: m.batch });
      say(
        `${name.padEnd(24)} ${formatRate(r.opsPerSec).padStart(9)}/s  p50 ${formatMs(r.p50Ms)} ms  p90 ${formatMs(r.p90Ms)}  p99 ${formatMs(r.p99Ms)}  max ${formatMs(r.maxMs)}` +
          `  errors ${r.errors}${r.errors ? ` (${r.errorSamples.join('; ')})` : ''}  [benny ${formatRate(r.benny.opsPerSec)}/s ±${r.benny.margin.toFixed(1)}%, ${r.benny.samples} rounds of ${m.batch}; load generator ${r.loadgenCpuUsPerRequest.toFixed(1)} us CPU/request]`,
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
        cluster = await RaftkvCluster.attach(opts.target);
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
        const resp = await cluster.respOf(topology.leader.id);
        if (!resp.endpoint && workloadsFor('raftkv').some((w) => w.proto === 'resp' && wanted(w))) {
          notes.push(`raftkv RESP workloads skipped: ${resp.note}`);
          say(`raftkv: RESP workloads will be skipped (${resp.note})`);
        }
        await runWorkloads('raftkv', { topology, resp: resp.endpoint, respNote: resp.note }, async (w, r, endpoint) => {
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
      if (opts.cpuProf && !opts.target) reportProfiles(path.resolve(opts.cpuProf), io);
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

  // The report.
  const finishedAt = new Date();
  const summary = summaryLine(results);
  const etcdRows = ratios(results, 'raftkv', 'etcd');
  const redisRows = ratios(results, 'raftkv', 'redis-always');
  const redisNoneRows = ratios(results, 'raftkv', 'redis-none');
  const osRows = ratios(results, 'raftkv-os', 'raftkv');
  const targets = targetChecks(results);
  io.out('');
  io.out(`results (${((performance.now() - t0) / 1000).toFixed(0)} s, load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  io.out(resultsTable(results));
  if (etcdRows.length > 0) io.out(`\nraftkv / etcd (same workload, same run)\n${ratioTable(etcdRows, 'raftkv', 'etcd')}`);
  if (redisRows.length > 0) io.out(`\nraftkv / Redis appendfsync always\n${ratioTable(redisRows, 'raftkv', 'redis')}`);
  if (redisNoneRows.length > 0) io.out(`\nraftkv / Redis without persistence\n${ratioTable(redisNoneRows, 'raftkv', 'redis')}`);
  if (osRows.length > 0) io.out(`\ndurability os / fsync (raftkv)\n${ratioTable(osRows, 'os', 'fsync')}`);
  io.out(`\ntargets (issue 5)\n${targetsTable(targets)}`);
  const extras: string[][] = [];
  for (const [s, ms] of Object.entries(firstWrite)) extras.push([`start to first write, ${s}`, `${formatMs(ms)} ms`]);
  for (const [s, lc] of Object.entries(leaderChanges)) extras.push([`leader changes, ${s}`, `${lc.changes} (${lc.observations} polls, term ${lc.first?.term ?? '?'} -> ${lc.last?.term ?? '?'}${lc.leaderless ? `, ${lc.leaderless} without a leader` : ''})`]);
  if (memory) {
    extras.push([`memory, ${formatRate(memory.keysLoaded)} keys x 100 B`, `launcher RSS ${mib(memory.rssBytes)}`]);
    for (const [id, b] of Object.entries(memory.heapUsedBytes)) extras.push([`  heap ${id}`, `${mib(b)} (${formatRate(memory.keysPerNode[id] ?? 0)} keys)`]);
  }
  if (loadgenCheck) {
    const ours = results.find((r) => `${r.system} ${r.workload}` === loadgenCheck!.workload);
    extras.push([`load generator vs wrk (${loadgenCheck.workload})`, `ours ${loadgenLine(loadgenCheck.ours, ours?.loadgenCpuUsPerRequest)} vs wrk ${loadgenLine(loadgenCheck.wrk.opsPerSec, loadgenCheck.wrk.cpuUsPerRequest)}: ${formatRatio(loadgenCheck.oursOverWrk)}`]);
  }
  if (extras.length > 0) io.out(`\n${renderTable(['measure', 'value'], extras, 2)}`);
  for (const s of skipped) if (!notes.some((n) => n.includes(s.reason))) notes.push(`${s.system} ${s.workload ?? ''}: skipped (${s.reason})`);
  if (notes.length > 0) io.out(`\nnotes\n${notes.map((n) => `- ${n}`).join('\n')}`);

  const commit = gitCommit();
  const baseName = resultBaseName(startedAt, commit);
  const resultsDir = path.resolve(opts.resultsDir);
  let previous: PreviousComparison | null = null;
  const machine = { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), os: `${os.type()} ${os.release()}`, loadavgStart: [], loadavgEnd: os.loadavg() };
  const prevFile = findPreviousResult(resultsDir, `${baseName}.json`);
  if (prevFile) {
    try {
      previous = compareWithPrevious({ results, machine }, prevFile, readResultFile(prevFile));
      io.out(`\ncompared with ${previous.file} (commit ${previous.commit}, ${previous.mode}${previous.otherMachine ? ', ANOTHER MACHINE' : ''})`);
      io.out(previousTable(previous.workloads));
    } catch (e) {
      io.out(`\n(could not read the previous result file ${prevFile}: ${(e as Error).message})`);
    }
  }
  let resultFile: string | undefined;
  if (opts.save && results.length > 0 && !abortReason && !failure) {
    const data: BenchResultFile = {
      schema: 1,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      mode: opts.quick ? 'quick' : 'full',
      compare: opts.compare,
      target: opts.target ?? null,
      commit,
      machine: { ...machine, loadavgStart: loadavgAtStart },
      versions,
      options: { seconds: opts.seconds, warmupSeconds: opts.warmupSeconds, threads: opts.threads, keys: opts.keys, valueBytes: opts.valueBytes, memoryKeys: opts.memoryKeys, only: opts.only },
      config: opts.target ? null : { source: configSource, durability: 'fsync (and a second cluster with os)', cluster: baseConfig },
      results,
      skipped,
      ratios: { etcd: etcdRows.map(compactRatio), redisAlways: redisRows.map(compactRatio), redisNone: redisNoneRows.map(compactRatio), osOverFsync: osRows.map(compactRatio) },
      targets,
      startToFirstWriteMs: firstWrite,
      leaderChanges,
      memory: memory ?? null,
      loadgenCheck: loadgenCheck ?? null,
      previous,
      summary,
    };
    resultFile = writeResultFile(resultsDir, baseName, data);
    const benny = saveBennyFiles(resultsDir, baseName, combinedSummary(`raftkv bench ${baseName}`, startedAt, bennyCases), `raftkv ${versions.raftkv}`);
    io.out(`\nsaved ${path.relative(process.cwd(), resultFile)}${benny.map((f) => `, ${path.relative(process.cwd(), f)}`).join('')}`);
  }
  io.out(summary);
  return { exitCode: failure ? 1 : abortReason ? 130 : 0, resultFile, summary, results, pids: [...procs.started] };
}

function loadgenLine(rate: number, cpuUs: number | undefined): string {
  return `${formatRate(rate)}/s${cpuUs === undefined ? '' : ` (${cpuUs.toFixed(1)} us CPU/request)`}`;
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function compactRatio(r: ReturnType<typeof ratios>[number]): Record<string, unknown> {
  return { workload: r.workload, opsPerSec: r.raftkv?.opsPerSec, peerOpsPerSec: r.peer?.opsPerSec, opsRatio: r.opsRatio, p50Ms: r.raftkv?.p50Ms, peerP50Ms: r.peer?.p50Ms, p50Ratio: r.p50Ratio };
}

function reportProfiles(dir: string, io: BenchIo): void {
  const files = profilesIn(dir);
  if (files.length === 0) {
    io.out(`(no CPU profiles in ${dir})`);
    return;
  }
  io.out(`\nCPU profiles of the raftkv cluster process (fsync) in ${dir}:`);
  for (const f of files) {
    const p = summarizeProfile(f);
    io.out(`${p.file}: ${p.totalMs.toFixed(0)} ms, idle ${p.idlePercent.toFixed(1)}%`);
    io.out(renderTable(['self %', 'function', 'where'], p.top.map((h) => [h.selfPercent.toFixed(1), h.name, h.where]), 0));
  }
}

/** The cluster config to copy (node ids, Raft tuning); the built-in 3-node default when the file does not exist. */
function baseClusterConfig(file: string): { config: ClusterConfig; source: string } {
  if (existsSync(file)) return { config: loadClusterConfig(file).config, source: file };
  const nodes = [0, 1, 2].map((i) => ({ id: `node${i}`, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` }));
  return { config: parseClusterConfig({ nodes }, 'default').config, source: 'the built-in default' };
}

function gitCommit(): string {
  try {
    const opts = { cwd: PACKAGE_ROOT, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], opts).trim() !== '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'nogit';
  }
}

function collectVersions(bin: { etcd?: string; redis?: string; wrk?: string }): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const v: Record<string, string> = { node: process.version, raftkv: pkg.version };
  for (const name of ['uWebSockets.js', 'sqlite3', 'benny', 'piscina', 'hdr-histogram-js', 'cac']) if (pkg.dependencies[name]) v[name] = pkg.dependencies[name];
  if (bin.etcd) v.etcd = versionLine(bin.etcd) ?? 'unknown';
  if (bin.redis) v.redis = versionLine(bin.redis) ?? 'unknown';
  if (bin.wrk) v.wrk = versionLine(bin.wrk, ['-v']) ?? 'unknown';
  return v;
}
