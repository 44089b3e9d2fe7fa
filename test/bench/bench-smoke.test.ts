// The harness end to end, as small as it gets: a real 3-node cluster on
// free ports, two short workloads, a small memory load, the result file and
// benny's json, the report page, the summary line last, and no process left
// behind. With --tls, a second cluster behind TLS and tokens, and its ratios to plaintext.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { BenchOptions } from '../../bench/bench-options.js';
import type { BenchResultFile } from '../../bench/result-file.js';
import { runBench } from '../../bench/run-bench.js';
import { TestCluster } from '../helpers/test-cluster.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Tiny options in a fresh directory with a config to copy (addresses are replaced by free ports; ids and tuning are kept). */
function tinyOptions(dir: string, more: Partial<BenchOptions>): BenchOptions {
  const config = path.join(dir, 'cluster.config.json');
  writeFileSync(config, JSON.stringify({ nodes: ['a', 'b', 'c'].map((id, i) => ({ id, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` })) }));
  return {
    quick: true, compare: false, target: undefined, config, seconds: 0.3, warmupSeconds: 0.1, threads: 1, keys: 300, valueBytes: 16,
    memoryKeys: 0, only: [], resultsDir: path.join(dir, 'results'), save: true, cpuProf: undefined, wrk: false, timeLimitSeconds: 50,
    tls: false, cacert: undefined, authTokenFile: undefined, ...more,
  };
}

test('raftkv bench, quick and tiny: measures, saves, summarizes, stops what it started', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-smoke-'));
  try {
    const opts = tinyOptions(dir, { memoryKeys: 2000, only: ['set16', 'getstale64'] });
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

test('raftkv bench --tls: the same writes and reads through TLS and tokens, with their ratios to plaintext printed and saved', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-tls-'));
  try {
    // One HTTP write workload and one RESP read workload (its keys written first, over TLS after AUTH).
    const opts = tinyOptions(dir, { only: ['set1', 'rget50'], tls: true, timeLimitSeconds: 80 });
    const lines: string[] = [];
    const outcome = await runBench(opts, { out: (l) => lines.push(l), progress: () => {} });
    const log = lines.join('\n');
    assert.equal(outcome.exitCode, 0, log);
    // (raftkv-os measures set1 too: what fsync costs.)
    assert.deepEqual(outcome.results.map((r) => `${r.system} ${r.workload}`), ['raftkv set1', 'raftkv rget50', 'raftkv-os set1', 'raftkv-tls set1', 'raftkv-tls rget50']);
    // Without the handshake every connection fails; without the token every request is a 401 or NOAUTH.
    for (const r of outcome.results) assert.ok(r.requests > 0 && r.errors === 0, `${r.system} ${r.workload}: ${r.requests} requests, ${r.errors} errors (${r.errorSamples.join('; ')})\n${log}`);
    assert.match(log, /raftkv-tls: wrote 300 keys for the reads/);
    const table = log.slice(log.indexOf('TLS and tokens / plaintext'));
    assert.match(table, /^set1\s+[\d,]+\s+[\d,]+\s+\d+\.\d\dx/m, log);
    assert.match(table, /^rget50\s+[\d,]+\s+[\d,]+\s+\d+\.\d\dx/m, log);

    const saved = JSON.parse(readFileSync(outcome.resultFile!, 'utf8')) as BenchResultFile;
    assert.equal(saved.tls, true);
    const rows = (saved.ratios as { tlsOverPlain: { workload: string; opsPerSec: number; peerOpsPerSec: number; opsRatio: number }[] }).tlsOverPlain;
    assert.deepEqual(rows.map((r) => r.workload), ['set1', 'rget50']);
    for (const r of rows) assert.ok(r.opsRatio > 0 && Math.abs(r.opsRatio - r.opsPerSec / r.peerOpsPerSec) < 1e-9, JSON.stringify(r));
    assert.ok(saved.startToFirstWriteMs['raftkv-tls']! > 0);
    for (const pid of outcome.pids) assert.equal(alive(pid), false, `process ${pid} was stopped`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('raftkv bench --target https://... with --cacert and --auth-token-file measures a running secure cluster', { timeout: 60_000 }, async () => {
  const c = await TestCluster.start({ nodes: 3, inMemory: true, secure: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-target-'));
  try {
    const leader = await c.waitForLeader();
    const certs = path.join(c.dir, 'certs');
    const opts = tinyOptions(dir, { target: c.url(leader, ''), cacert: path.join(certs, 'ca.pem'), authTokenFile: path.join(certs, 'admin.token'), only: ['getleader64', 'rget50'], save: false });
    const lines: string[] = [];
    const outcome = await runBench(opts, { out: (l) => lines.push(l), progress: () => {} });
    const log = lines.join('\n');
    assert.equal(outcome.exitCode, 0, log);
    assert.deepEqual(outcome.results.map((r) => `${r.system} ${r.workload}`), ['raftkv getleader64', 'raftkv rget50'], log);
    for (const r of outcome.results) assert.ok(r.requests > 0 && r.errors === 0, `${r.workload}: ${r.requests} requests, ${r.errors} errors (${r.errorSamples.join('; ')})\n${log}`);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
