// What a run prints: the closing summary line (exact form, for scripts),
// ratios to the peers and the targets.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratios, summaryLine, targetChecks } from '../../bench/report.js';
import { result } from './fixtures.js';

const RUN = [
  result('raftkv', 'set1', 1500.4, 0.712),
  result('raftkv', 'set64', 30_000, 2),
  result('raftkv', 'getlin64', 60_123.6, 1),
  result('raftkv', 'getstale64', 93_500, 0.6),
  result('etcd', 'set1', 1100, 0.85),
  result('etcd', 'set64', 8000, 7),
  result('etcd', 'getlin64', 10_000, 6),
];

test('the summary line has exactly the form of issue 5', () => {
  assert.equal(summaryLine(RUN), 'bench: set1 p50 0.71ms (0.84x etcd), set64 30000/s (3.75x etcd), getlin64 60124/s (6.01x etcd), getstale64 93500/s (1.10x hraftd-ref)');
  assert.match(summaryLine(RUN), /^bench: set1 p50 [\d.]+ms \([\d.]+x etcd\), set64 \d+\/s \([\d.]+x etcd\), getlin64 \d+\/s \([\d.]+x etcd\), getstale64 \d+\/s \([\d.]+x hraftd-ref\)$/);
});

test('without etcd (no --compare), the etcd ratios read n/a', () => {
  const mine = RUN.filter((r) => r.system === 'raftkv');
  assert.equal(summaryLine(mine), 'bench: set1 p50 0.71ms (n/a etcd), set64 30000/s (n/a etcd), getlin64 60124/s (n/a etcd), getstale64 93500/s (1.10x hraftd-ref)');
  assert.equal(summaryLine([]), 'bench: set1 p50 n/a (n/a etcd), set64 n/a (n/a etcd), getlin64 n/a (n/a etcd), getstale64 n/a (n/a hraftd-ref)');
});

test('ratios pair the same workload on both systems; workloads one side lacks are left out', () => {
  const rows = ratios([...RUN, result('raftkv', 'getleader64', 70_000, 0.9)], 'raftkv', 'etcd');
  assert.deepEqual(rows.map((r) => r.workload), ['set1', 'set64', 'getlin64']);
  assert.equal(rows[1]!.opsRatio, 3.75);
  assert.ok(Math.abs(rows[0]!.p50Ratio! - 0.712 / 0.85) < 1e-9);
});

test('targets: met, missed, and not measured', () => {
  const checks = targetChecks(RUN);
  assert.deepEqual(checks.map((c) => c.met), [true, true, true, true]);
  const slow = targetChecks([...RUN.filter((r) => r.workload !== 'set64' && r.workload !== 'getstale64'), result('raftkv', 'set64', 9000, 2), result('etcd', 'set64', 8000, 7)]);
  assert.deepEqual(slow.map((c) => c.met), [false, true, undefined, true]);
  assert.equal(slow[0]!.got, '1.13x');
});
