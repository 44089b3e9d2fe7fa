// The end of a run: the tables, ratios and targets it prints, the result
// file and benny's files it writes, and the summary line it closes with.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../src/cluster/config.js';
import type { BenchOptions } from './bench-options.js';
import { combinedSummary, saveBennyFiles, type BennyCase } from './benny-files.js';
import type { LeaderWatchResult } from './leader-watch.js';
import { writeRunReport } from './report-page/report-command.js';
import { extraRows, type LoadgenCheck } from './run-facts.js';
import type { MemoryLoadResult } from './memory-load.js';
import { previousTable, ratios, ratioTable, renderTable, resultsTable, summaryLine, targetChecks, targetsTable, type RatioRow } from './report.js';
import { compareWithPrevious, findPreviousResult, readResultFile, resultBaseName, writeResultFile, type BenchResultFile, type PreviousComparison, type WorkloadResult } from './result-file.js';
import { versionLine } from './systems/binaries.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));


/** Everything a run measured and noted. */
export interface RunRecord {
  opts: BenchOptions;
  startedAt: Date;
  loadavgAtStart: number[];
  elapsedSeconds: number;
  results: WorkloadResult[];
  skipped: BenchResultFile['skipped'];
  notes: string[];
  bennyCases: BennyCase[];
  firstWrite: Record<string, number>;
  leaderChanges: Record<string, LeaderWatchResult>;
  memory: MemoryLoadResult | undefined;
  loadgenCheck: LoadgenCheck | undefined;
  versions: Record<string, string>;
  config: { source: string; cluster: ClusterConfig };
  /** Neither interrupted nor failed: only then is a result file written. */
  complete: boolean;
}

export function finishRun(run: RunRecord, out: (line: string) => void): { summary: string; resultFile: string | undefined } {
  const { opts, results } = run;
  const summary = summaryLine(results);
  const etcdRows = ratios(results, 'raftkv', 'etcd');
  const redisRows = ratios(results, 'raftkv', 'redis-always');
  const redisNoneRows = ratios(results, 'raftkv', 'redis-none');
  const osRows = ratios(results, 'raftkv-os', 'raftkv');
  const tlsRows = ratios(results, 'raftkv-tls', 'raftkv');
  const targets = targetChecks(results);
  out('');
  out(`results (${run.elapsedSeconds.toFixed(0)} s, load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  out(resultsTable(results));
  if (etcdRows.length > 0) out(`\nraftkv / etcd (same workload, same run)\n${ratioTable(etcdRows, 'raftkv', 'etcd')}`);
  if (redisRows.length > 0) out(`\nraftkv / Redis appendfsync always\n${ratioTable(redisRows, 'raftkv', 'redis')}`);
  if (redisNoneRows.length > 0) out(`\nraftkv / Redis without persistence\n${ratioTable(redisNoneRows, 'raftkv', 'redis')}`);
  if (osRows.length > 0) out(`\ndurability os / fsync (raftkv)\n${ratioTable(osRows, 'os', 'fsync')}`);
  if (tlsRows.length > 0) out(`\nTLS and tokens / plaintext (raftkv, both durability fsync, same run)\n${ratioTable(tlsRows, 'tls', 'plain')}`);
  out(`\ntargets (issue 5)\n${targetsTable(targets)}`);
  const extras = extraRows(run);
  if (extras.length > 0) out(`\n${renderTable(['measure', 'value'], extras, 2)}`);
  const notes = [...run.notes];
  for (const s of run.skipped) if (!notes.some((n) => n.includes(s.reason))) notes.push(`${s.system} ${s.workload ?? ''}: skipped (${s.reason})`);
  if (notes.length > 0) out(`\nnotes\n${notes.map((n) => `- ${n}`).join('\n')}`);

  const commit = gitCommit();
  const baseName = resultBaseName(run.startedAt, commit);
  const resultsDir = path.resolve(opts.resultsDir);
  const machine = { cores: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), os: `${os.type()} ${os.release()}`, loadavgStart: run.loadavgAtStart, loadavgEnd: os.loadavg() };
  let previous: PreviousComparison | null = null;
  const prevFile = findPreviousResult(resultsDir, `${baseName}.json`);
  if (!prevFile) out(`\nno previous result file in ${path.relative(process.cwd(), resultsDir) || '.'} to compare with`);
  if (prevFile) {
    try {
      previous = compareWithPrevious({ results, machine }, prevFile, readResultFile(prevFile));
      out(`\ncompared with ${previous.file} (commit ${previous.commit}, ${previous.mode}${previous.otherMachine ? ', ANOTHER MACHINE' : ''})`);
      out(previousTable(previous.workloads));
    } catch (e) {
      out(`\n(could not read the previous result file ${prevFile}: ${(e as Error).message})`);
    }
  }
  let resultFile: string | undefined;
  if (opts.save && results.length > 0 && run.complete) {
    const data: BenchResultFile = {
      schema: 1,
      startedAt: run.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      mode: opts.quick ? 'quick' : 'full',
      compare: opts.compare,
      tls: opts.tls,
      target: opts.target ?? null,
      commit,
      machine,
      versions: run.versions,
      options: { seconds: opts.seconds, warmupSeconds: opts.warmupSeconds, threads: opts.threads, keys: opts.keys, valueBytes: opts.valueBytes, memoryKeys: opts.memoryKeys, only: opts.only },
      config: opts.target ? null : { source: run.config.source, durability: `fsync (and a second cluster with os${opts.tls ? ', a third with fsync, TLS and tokens' : ''})`, cluster: run.config.cluster },
      results,
      skipped: run.skipped,
      ratios: { etcd: etcdRows.map(compactRatio), redisAlways: redisRows.map(compactRatio), redisNone: redisNoneRows.map(compactRatio), osOverFsync: osRows.map(compactRatio), tlsOverPlain: tlsRows.map(compactRatio) },
      targets,
      startToFirstWriteMs: run.firstWrite,
      leaderChanges: run.leaderChanges,
      memory: run.memory ?? null,
      loadgenCheck: run.loadgenCheck ?? null,
      previous,
      summary,
    };
    resultFile = writeResultFile(resultsDir, baseName, data);
    const benny = saveBennyFiles(resultsDir, baseName, combinedSummary(`raftkv bench ${baseName}`, run.startedAt, run.bennyCases), `raftkv ${run.versions.raftkv}`);
    out(`\nsaved ${path.relative(process.cwd(), resultFile)}${benny.map((f) => `, ${path.relative(process.cwd(), f)}`).join('')}`);
    const page = writeRunReport(resultFile, out);
    if (page) out(`report: ${path.relative(process.cwd(), page)} (charts of this run and its history; raftkv bench report --open)`);
  }
  out(summary);
  return { summary, resultFile };
}

function compactRatio(r: RatioRow): Record<string, unknown> {
  return { workload: r.workload, opsPerSec: r.raftkv?.opsPerSec, peerOpsPerSec: r.peer?.opsPerSec, opsRatio: r.opsRatio, p50Ms: r.raftkv?.p50Ms, peerP50Ms: r.peer?.p50Ms, p50Ratio: r.p50Ratio };
}

/** The short commit of the checkout, with `-dirty` when tracked files differ from it. */
function gitCommit(): string {
  try {
    const o = { cwd: PACKAGE_ROOT, encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'] };
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], o).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], o).trim() !== '';
    return dirty ? `${hash}-dirty` : hash;
  } catch {
    return 'nogit';
  }
}

export function collectVersions(bin: { etcd?: string; redis?: string; wrk?: string }): Record<string, string> {
  const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  const v: Record<string, string> = { node: process.version, raftkv: pkg.version };
  for (const name of ['uWebSockets.js', 'sqlite3', 'benny', 'piscina', 'hdr-histogram-js', 'cac']) if (pkg.dependencies[name]) v[name] = pkg.dependencies[name];
  if (bin.etcd) v.etcd = versionLine(bin.etcd) ?? 'unknown';
  if (bin.redis) v.redis = versionLine(bin.redis) ?? 'unknown';
  if (bin.wrk) v.wrk = versionLine(bin.wrk, ['-v']) ?? 'unknown';
  return v;
}
