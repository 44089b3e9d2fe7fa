// The deterministic simulation: hundreds of seeded runs of 3- and 5-node
// clusters of the production RaftNode under crashes, partitions, lossy
// networks, failing and stalling disks, membership changes and leadership
// transfers, each checked for Raft's safety properties, a linearizable client
// history and liveness once the faults stop.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { QUIET_TURNS } from './event-queue.js';
import { MUTANTS } from './mutants.js';
import { formatFailure, type RunOptions, type RunResult } from './run.js';
import { runInWorkers } from './workers.js';

const TICKS = 1000;
const CHECK_TIMEOUT_MS = 5_000;

function seeds(nodes: 3 | 5, first: number, count: number): RunOptions[] {
  return Array.from({ length: count }, (_, i) => ({ seed: first + i, nodes, ticks: TICKS, checkTimeoutMs: CHECK_TIMEOUT_MS }));
}

function report(failures: RunResult[]): string {
  return `${failures.length} seed(s) with violations:\n\n${failures
    .slice(0, 3)
    .map((r) => formatFailure(r, TICKS))
    .join('\n\n')}`;
}

describe('simulation', () => {
  for (const nodes of [3, 5] as const) {
    it(`300 seeds of a ${nodes}-node cluster keep every safety property, stay linearizable and recover`, async (t) => {
      const results = await runInWorkers(seeds(nodes, 1, 300));
      const failures = results.filter((r) => r.violations.length > 0);
      const checkTimeouts = results.filter((r) => r.stats.checkTimedOut).length;
      if (checkTimeouts > 0) t.diagnostic(`${checkTimeouts} linearizability check(s) timed out`);
      assert.equal(failures.length, 0, report(failures));
    });
  }

  // Any change to the node changes every run, so these claims are made of one
  // run among a few seeds, not of one fixed seed.
  let exercisedRuns: Promise<RunResult[]> | undefined;
  const exercised = (): Promise<RunResult[]> => (exercisedRuns ??= runInWorkers(Array.from({ length: 8 }, (_, i) => ({ seed: i + 1, nodes: 5 as const, ticks: 1000 }))));

  it('a run exercises what it claims to: elections, commits, snapshots, membership, faults, clients', async () => {
    const runs = await exercised();
    for (const r of runs) assert.deepEqual(r.violations, [], `seed ${r.seed}`);
    const claims = (s: RunResult['stats']): string[] =>
      [
        s.leaderTerms >= 2 ? '' : `leader terms: ${s.leaderTerms}`,
        s.maxCommit >= 100 ? '' : `max commit: ${s.maxCommit}`,
        s.snapshotsCaptured > 0 && s.snapshotsInstalled > 0 ? '' : `snapshots ${s.snapshotsCaptured}/${s.snapshotsInstalled}`,
        s.membership.applied > 5 ? '' : `conf changes applied: ${s.membership.applied}`,
        s.nemesis.crashes > 0 && s.nemesis.partitions > 0 ? '' : JSON.stringify(s.nemesis),
        s.net.dropped > 0 && s.net.duplicated > 0 ? '' : JSON.stringify(s.net),
        s.clients.ok > 50 && s.clients.reads > 20 ? '' : JSON.stringify(s.clients),
        s.livenessTicks !== undefined ? '' : 'no recovery after healing',
      ].filter((x) => x !== '');
    assert.ok(
      runs.some((r) => claims(r.stats).length === 0),
      runs.map((r) => `seed ${r.seed}: ${claims(r.stats).join('; ')}`).join('\n'),
    );
  });

  it('a run fails disks, stalls them, pauses nodes and transfers leadership, and answers retried writes through their sessions', async () => {
    const runs = await exercised();
    const claims = (s: RunResult['stats']): string[] =>
      [
        s.diskFailures > 0 && s.nemesis.diskStalls > 0 ? '' : `disk failures ${s.diskFailures}, stalls ${s.nemesis.diskStalls}`,
        s.nemesis.pauses > 0 && s.nemesis.transfers > 0 ? '' : JSON.stringify(s.nemesis),
        s.clients.retriesAnswered > 0 ? '' : JSON.stringify(s.clients),
        s.livenessTicks !== undefined ? '' : 'no recovery after healing',
      ].filter((x) => x !== '');
    assert.ok(
      runs.some((r) => r.violations.length === 0 && claims(r.stats).length === 0),
      runs.map((r) => `seed ${r.seed}: ${claims(r.stats).join('; ')}`).join('\n'),
    );
  });

  it('replays a seed exactly, in any thread: same trace, same history, same stats', async () => {
    const runs: RunOptions[] = [];
    for (const nodes of [3, 5] as const) runs.push({ seed: 42, nodes, ticks: 300 }, { seed: 42, nodes, ticks: 300 }, { seed: 43, nodes, ticks: 300 });
    const results = await runInWorkers(runs);
    for (let i = 0; i < results.length; i += 3) {
      const [a, b, other] = [results[i]!, results[i + 1]!, results[i + 2]!];
      assert.equal(a.fingerprint, b.fingerprint);
      assert.deepEqual(a.trace, b.trace);
      assert.deepEqual(a.history, b.history);
      assert.deepEqual(a.violations, b.violations);
      const { wallMs: _a, checkMs: _ca, ...sa } = a.stats;
      const { wallMs: _b, checkMs: _cb, ...sb } = b.stats;
      assert.deepEqual(sa, sb);
      assert.notEqual(a.fingerprint, other.fingerprint, 'another seed gives another run');
    }
  });

  it('lets the microtasks of each event run out: a much longer wait for them changes no run', async () => {
    const runs: RunOptions[] = [];
    for (const nodes of [3, 5] as const) {
      for (const seed of [1, 2, 3]) runs.push({ seed, nodes, ticks: 300 }, { seed, nodes, ticks: 300, quietTurns: QUIET_TURNS * 8 });
    }
    // The comparison can tell: with no wait, continuations slip to later events.
    runs.push({ seed: 1, nodes: 3, ticks: 300, quietTurns: 0 });
    const results = await runInWorkers(runs);
    for (let i = 0; i + 1 < results.length; i += 2) {
      assert.equal(results[i]!.fingerprint, results[i + 1]!.fingerprint, `seed ${runs[i]!.seed}, ${runs[i]!.nodes} nodes`);
    }
    assert.notEqual(results.at(-1)!.fingerprint, results[0]!.fingerprint);
  });
});

describe('npm run sim (cli)', () => {
  const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
  const run = (...args: string[]): { status: number; out: string } => {
    try {
      return { status: 0, out: execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8' }) };
    } catch (e) {
      const err = e as { status: number; stdout: string };
      return { status: err.status, out: err.stdout };
    }
  };

  it('ends with the seeds and violations line, exit code 0 when clean', () => {
    const { status, out } = run('--seeds', '3', '--seed', '5', '--nodes', '5');
    assert.equal(status, 0);
    assert.equal(out.trimEnd().split('\n').at(-1), 'seeds: 3, violations: 0');
  });

  it('prints the violation, the replay command and the trace of a failing seed, exit code 1', () => {
    const { status, out } = run('--seeds', '2', '--mutant', 'ack-before-persist');
    assert.equal(status, 1);
    assert.match(out, /commit safety/);
    assert.match(out, /replay: npm run sim -- --seeds 1 --seed 1 --nodes 3 --mutant ack-before-persist/);
    assert.match(out, /last \d+ events:/);
    assert.equal(out.trimEnd().split('\n').at(-1), 'seeds: 2, violations: 2');
  });

  it('lists the mutants', () => {
    const { status, out } = run('--list-mutants');
    assert.equal(status, 0);
    assert.match(out, /^commit-previous-term +\S/m);
    assert.match(out, /^runtime-ack-before-apply +\S/m);
    assert.equal(out.trim().split('\n').length, MUTANTS.length);
  });
});
