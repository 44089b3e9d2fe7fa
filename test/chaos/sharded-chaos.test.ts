// `raftkv chaos --shards 2`: two Raft groups behind the router, every client
// going through the router while the nemesis strikes nodes of both groups.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatChaosReport } from '../../src/chaos/report.js';
import { DEFAULT_CHAOS, runChaos } from '../../src/chaos/run-chaos.js';

const show = process.env.RAFTKV_TEST_LOGS === '1' ? (l: string): void => void process.stderr.write(l + '\n') : (): void => {};

test('chaos through the router on 2 shards (kills, pauses, partitions, one-way cuts): linearizable and nothing lost', async () => {
  const report = await runChaos({ ...DEFAULT_CHAOS, say: show, shards: 2, durationS: 15, seed: 6, writers: 4, faults: ['kill', 'pause', 'partition', 'oneway'] });
  const lines = formatChaosReport(report);
  const text = lines.join('\n');
  show(text);
  assert.match(lines[0]!, /2 shards of 3 nodes, clients through the router/);
  assert.ok(report.ops > 50 && report.clientStats.ok > 25, `the clients got work done through the router:\n${text}`);
  assert.ok(report.writes.ok > 25 && report.ackedChecked === report.writes.ok, text);
  assert.equal(report.nemesis.errors.length, 0, text);
  assert.deepEqual(report.checkTimedOut, [], text);
  assert.equal(lines[lines.length - 1], `chaos: ops ${report.ops}, violations 0, lost 0`, text);
});
