// The chaos run's report page: the verdict, the numbers, the timeline of
// faults and leaders, availability second by second, the failover
// distribution, and the printed report. Self-contained like the
// benchmark's (src/pages), so it renders with no network.

import { z } from 'zod';
import { esc, htmlPage, pageScript, table, type Cell } from '../pages/html-page.js';
import { readReportFile } from '../pages/report-file.js';
import { faultTimelineSvg } from './fault-timeline-svg.js';
import { hostileInputs } from './hostile-nemesis.js';
import { formatChaosReport, percentile } from './report.js';
import type { ChaosPageData } from './report-page-data.js';
import type { ChaosReport } from './run-chaos.js';

// The fields the page reads; anything else in the file is kept as it is.
const chaosReportFile = z.looseObject({
  options: z.looseObject({ durationS: z.number(), nodes: z.number(), isolation: z.string(), durability: z.string(), seed: z.number(), faults: z.array(z.string()), clients: z.number(), writers: z.number(), keys: z.number() }),
  ops: z.number(),
  availability: z.number(),
  clientStats: z.looseObject({ ok: z.number(), failed: z.number(), unknownWrites: z.number(), byOp: z.record(z.string(), z.number()) }),
  writes: z.looseObject({ ok: z.number(), failed: z.number() }),
  nemesis: z.looseObject({ counts: z.record(z.string(), z.number()), leaderKills: z.number(), failoversMs: z.array(z.number()), failoverTimeouts: z.number(), errors: z.array(z.string()) }),
  leaderChanges: z.number(),
  violations: z.number(),
  lost: z.number(),
  timeline: z.looseObject({ durationS: z.number(), faults: z.array(z.looseObject({ kind: z.string(), startS: z.number() })), leaders: z.array(z.looseObject({ atS: z.number() })), perSecond: z.looseObject({ ok: z.array(z.number()), failed: z.array(z.number()) }) }).optional(),
});

/** A report saved with `raftkv chaos --json`, checked for what the page needs. */
export function loadChaosReport(file: string): ChaosReport {
  return readReportFile(file, chaosReportFile, 'a raftkv chaos report', '; write one with raftkv chaos --json FILE') as ChaosReport;
}

const ms = (x: number): string => `${Math.round(x)} ms`;
const count = (n: number): string => n.toLocaleString('en-US');

function numbers(r: ChaosReport): Cell[][] {
  const c = r.clientStats;
  const n = r.nemesis;
  const f = [...n.failoversMs].sort((a, b) => a - b);
  const verdict = (bad: boolean, text: string): Cell => ({ html: esc(text), cls: bad ? 'bad' : 'good' });
  const rows: Cell[][] = [
    ['operations checked', count(r.ops)],
    ['availability (history clients)', `${(r.availability * 100).toFixed(1)}%`],
    ['answered', count(c.ok)],
    ['failed', `${count(c.failed)} (${count(c.unknownWrites)} writes of unknown outcome)`],
    ['writers: acknowledged, failed', `${count(r.writes.ok)}, ${count(r.writes.failed)}`],
    ['acknowledged writes read back', count(r.ackedChecked)],
    ['lost', verdict(r.lost > 0, count(r.lost))],
    ['linearizability violations', verdict(r.violations > 0, `${r.violations} of ${r.options.keys} keys`)],
    ['leader changes', count(r.leaderChanges)],
    ['faults', Object.entries(n.counts).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['leader kills', `${n.leaderKills}${n.failoverTimeouts > 0 ? ` (${n.failoverTimeouts} without a write within 10 s)` : ''}`],
    ['failover: n, min, median, p90, max', f.length === 0 ? 'no leader kill' : `${f.length}, ${ms(f[0]!)}, ${ms(percentile(f, 50))}, ${ms(percentile(f, 90))}, ${ms(f[f.length - 1]!)}`],
  ];
  if (r.hostile) rows.push(['hostile inputs, node failures', verdict(r.hostile.failures.length > 0, `${count(hostileInputs(r.hostile))}, ${r.hostile.failures.length}`)]);
  return rows.map(([k, v]) => [esc(k as string), typeof v === 'string' ? esc(v) : v!]);
}

function pageData(r: ChaosReport): ChaosPageData {
  const data: ChaosPageData = { failoversMs: [...r.nemesis.failoversMs].sort((a, b) => a - b) };
  const p = r.timeline?.perSecond;
  if (p) {
    const n = Math.max(p.ok.length, p.failed.length);
    const seconds = Array.from({ length: n }, (_, i) => i);
    const ok = seconds.map((i) => p.ok[i] ?? 0);
    const failed = seconds.map((i) => p.failed[i] ?? 0);
    data.availability = { seconds, ok, failed, percent: seconds.map((i) => (ok[i]! + failed[i]! === 0 ? null : (100 * ok[i]!) / (ok[i]! + failed[i]!))) };
  }
  return data;
}

/** Node ids of the run: node0..n-1 of every shard, and any other the timeline names. */
function nodeIds(r: ChaosReport): string[] {
  const total = r.options.nodes * Math.max(1, r.options.shards ?? 0);
  const ids = Array.from({ length: total }, (_, i) => `node${i}`);
  for (const id of [...(r.timeline?.faults.map((f) => f.target) ?? []), ...(r.timeline?.leaders.map((l) => l.leader) ?? [])]) if (id !== 'all links' && !ids.includes(id)) ids.push(id);
  return ids;
}

export function chaosReportHtml(r: ChaosReport, source?: string): string {
  const lines = formatChaosReport(r);
  const last = lines[lines.length - 1]!;
  const failed = r.violations > 0 || r.lost > 0 || (r.hostile?.failures.length ?? 0) > 0;
  const t = r.timeline;
  const body = `
<header>
<h1>raftkv chaos run</h1>
<p class="verdict ${failed ? 'bad' : 'good'}" id="verdict">${esc(last)}</p>
<p>${esc(lines[0]!.replace(/^run: /, ''))}${source ? ` · <code>${esc(source)}</code>` : ''}</p>
<nav><a href="#numbers">numbers</a><a href="#timeline">timeline</a><a href="#availability-section">availability</a><a href="#failover-section">failover</a><a href="#printed">printed report</a></nav>
</header>
<section id="numbers"><h2>Numbers</h2>${table('facts numbers', ['measure', 'value'], numbers(r))}</section>
<section id="timeline"><h2>Faults and leaders</h2>
${t ? `<p class="note">Each fault from injection to heal (a killed node until it restarted; hover for details), and who led each Raft group. ${t.faults.length} faults, ${t.leaders.length} leaders seen in ${t.durationS.toFixed(0)} s.</p><figure>${faultTimelineSvg(t, nodeIds(r))}</figure>` : '<p class="note">This report was saved without a timeline (before raftkv recorded one).</p>'}
</section>
<section id="availability-section"><h2>Availability over time</h2>
<p class="note">History client operations answered and failed in each second, and the share answered.</p>
<div class="chart" id="availability"><div class="plot"></div></div>
</section>
<section id="failover-section"><h2>Failover</h2>
<p class="note">Each kill of a leader is timed from the kill to the first write that succeeds anywhere (probed every 10 ms): the share of failovers done within x ms.${r.nemesis.failoversMs.length === 0 ? ' No leader was killed in this run.' : ''}</p>
<div class="chart" id="failover"><div class="plot"></div></div>
</section>
<section id="printed"><h2>Printed report</h2><pre>${esc(lines.join('\n'))}</pre></section>`;
  return htmlPage({
    title: `raftkv chaos: ${last.replace(/^chaos: /, '')}`,
    css: '.verdict { font-size: 18px; font-weight: 600; } .verdict.good { color: #2f855a; } .verdict.bad { color: #c53030; } pre { background: #f7fafc; padding: 8px; overflow-x: auto; }',
    body,
    data: pageData(r),
    script: pageScript(new URL('./report-page-client.js', import.meta.url)),
  });
}
