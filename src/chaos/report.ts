// What a chaos run prints: availability, failover times, leader changes, and
// the one line scripts read (`chaos: ops N, violations V, lost L`).

import { hostileInputs } from './hostile-nemesis.js';
import type { ChaosReport } from './run-chaos.js';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const ms = (x: number): string => `${Math.round(x)} ms`;

export function formatChaosReport(r: ChaosReport): string[] {
  const o = r.options;
  const lines: string[] = [];
  const c = r.clientStats;
  const n = r.nemesis;
  const mode = r.cyclesDone !== undefined ? `${r.cyclesDone} kill/restart cycles` : `faults ${o.faults.length > 0 ? o.faults.join(',') : 'none'}`;
  lines.push(`run: ${o.durationS} s max, ${o.shards ? `${o.shards} shards of ${o.nodes} nodes, clients through the router` : `${o.nodes} nodes`}, ${o.isolation} isolation, ${o.durability}${o.secure ? ', TLS and tokens' : ''}, seed ${o.seed}, ${mode}${o.unsafe ? `, UNSAFE ${o.unsafe}` : ''}`);
  lines.push(`nemesis: kill ${n.counts.kill} (leader ${n.leaderKills}), pause ${n.counts.pause}, partition ${n.counts.partition}, one-way ${n.counts.oneway}, degrade ${n.counts.degrade}${n.errors.length > 0 ? `, errors ${n.errors.length}` : ''}`);
  for (const e of n.errors.slice(0, 5)) lines.push(`  nemesis error: ${e}`);
  if (r.hostile) {
    const h = r.hostile;
    const i = h.inputs;
    lines.push(`hostile: inputs ${hostileInputs(h)} (resp ${i.resp}, http ${i.http}, peer ${i.peer}, control ${i.control}, floods ${i.floods}), node failures ${h.failures.length}${h.errors.length > 0 ? `, errors ${h.errors.length}` : ''}`);
    for (const f of h.failures.slice(0, 5)) {
      lines.push(`  failure: ${f.node} ${f.how} at ${f.atS.toFixed(1)} s${f.error ? ` (${f.error})` : ''}; its last inputs:`);
      for (const l of f.lastInputs) lines.push(`    ${l}`);
    }
    for (const e of h.errors.slice(0, 5)) lines.push(`  hostile error: ${e}`);
  }
  lines.push(
    `history: ${r.ops} operations by ${o.clients} clients on ${o.keys} keys (get ${c.byOp.get}, put ${c.byOp.put}, put with TTL ${c.byOp.putex}, cas ${c.byOp.cas}, txn ${c.byOp.txn}, delete ${c.byOp.delete}); ` +
      `availability ${(r.availability * 100).toFixed(1)}% (${c.ok} ok, ${c.failed} failed, of which ${c.unknownWrites} writes of unknown outcome)`,
  );
  lines.push(`writers: ${o.writers} connections, ${r.writes.ok} acknowledged writes, ${r.writes.failed} failed; ${r.ackedChecked} read back, ${r.lost} lost`);
  for (const e of r.lostExamples) lines.push(`  lost: ${e}`);
  const f = [...n.failoversMs].sort((a, b) => a - b);
  lines.push(
    f.length === 0
      ? `failover (leader killed -> first successful write, probed every 10 ms): no leader kill${n.failoverTimeouts > 0 ? `, ${n.failoverTimeouts} without a write within 10 s` : ''}`
      : `failover (leader killed -> first successful write, probed every 10 ms): n ${f.length}, min ${ms(f[0]!)}, median ${ms(percentile(f, 50))}, p90 ${ms(percentile(f, 90))}, max ${ms(f[f.length - 1]!)}${n.failoverTimeouts > 0 ? `, ${n.failoverTimeouts} without a write within 10 s` : ''}`,
  );
  lines.push(`leader changes: ${r.leaderChanges}`);
  lines.push(`linearizability: ${r.violations} of ${o.keys} keys violate it (checked in ${(r.checkMs / 1000).toFixed(1)} s)${r.checkTimedOut.length > 0 ? `; UNPROVEN, the check ran out of time on ${r.checkTimedOut.join(', ')}` : ''}`);
  for (const d of r.violationDetails.slice(0, 3)) lines.push(...d.split('\n').slice(0, 30).map((l) => `  ${l}`));
  lines.push(`chaos: ops ${r.ops}, violations ${r.violations}, lost ${r.lost}`);
  return lines;
}
