// The harness end to end, as small as it gets: a real 3-node cluster on
// free ports, two short workloads, a small memory load, the result file and
// benny's json, the report page, the summary line last, and no process left behind.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BenchOptions } from '../../bench/bench-options.js';
import type { BenchResultFile } from '../../bench/result-file.js';
import { runBench } from '../../bench/run-bench.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('raftkv bench, quick and tiny: measures, saves, summarizes, stops what it started', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-smoke-'));
  try {
    const config = path.join(dir, 'cluster.config.json');
    // Addresses are replaced by free ports; ids and tuning are kept.
    writeFileSync(config, JSON.stringify({ nodes: ['a', 'b', 'c'].map((id, i) => ({ id, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` })) }));
    const opts: BenchOptions = {
      quick: true, compare: false, target: undefined, config, seconds: 0.3, warmupSeconds: 0.1, threads: 1, keys: 300, valueBytes: 16,
      memoryKeys: 2000, only: ['set16', 'getstale64'], resultsDir: path.join(dir, 'results'), save: true, cpuProf: undefined, wrk: false, timeLimitSeconds: 50,
    };
    const lines: string[] = [];
    const outcome = await runBench(opts, { out: (l) => lines.push(l), progress: () => {} });
    assert.equal(outcome.exitCode, 0, lines.join('\n'));
    assert.deepEqual(outcome.results.map((r) => `${r.system} ${r.workload}`), ['raftkv set16', 'raftkv getstale64']);
    for (const r of outcome.results) assert.ok(r.requests > 0 && r.opsPerSec > 0, `${r.workload} ran`);
    assert.equal(lines[lines.length - 1], outcome.summary);
    assert.match(outcome.summary, /^bench: set1 p50 n\/a \(n\/a etcd\), set64 n\/a \(n\/a etcd\), getlin64 n\/a \(n\/a etcd\), getstale64 \d+\/s \([\d.]+x hraftd-ref\)$/);

    const saved = JSON.parse(readFileSync(outcome.resultFile!, 'utf8')) as BenchResultFile;
    assert.match(path.basename(outcome.resultFile!), /^\d{4}-\d{2}-\d{2}T\d{6}Z-[\w-]+\.json$/);
    assert.equal(saved.machine.cores > 0, true);
    assert.ok(saved.machine.cpuModel.length > 0);
    assert.equal(saved.versions.node, process.version);
    assert.equal(saved.results.length, 2);
    assert.ok(saved.startToFirstWriteMs.raftkv! > 0);
    assert.ok('raftkv' in saved.leaderChanges);
    const memory = saved.memory as { keysLoaded: number; rssBytes: number; heapUsedBytes: Record<string, number> };
    assert.equal(memory.keysLoaded, 2000);
    assert.ok(memory.rssBytes > 0);
    assert.deepEqual(Object.keys(memory.heapUsedBytes).sort(), ['a', 'b', 'c']);
    const base = outcome.resultFile!.replace(/\.json$/, '');
    assert.ok(existsSync(`${base}.benny.json`) && !existsSync(`${base}.benny.chart.html`));
    // The run's report page, beside the result file, and its path printed before the summary.
    assert.ok(existsSync(`${base}.html`));
    assert.ok(lines.some((l) => l.startsWith('report: ') && l.includes(`${path.basename(base)}.html`)), lines.join('\n'));
    // A new result file keeps its latency histograms, for the page's percentile plots.
    assert.ok(saved.results.every((r) => typeof r.histogram === 'string' && r.histogram.length > 0));

    assert.ok(outcome.pids.length >= 1);
    for (const pid of outcome.pids) assert.equal(alive(pid), false, `process ${pid} was stopped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
