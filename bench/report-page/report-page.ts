// The benchmark report: one self-contained HTML page per run (or per set of
// runs compared side by side). Everything it needs is inlined when it is
// made: uPlot's script and styles from node_modules, the page script, the
// data, and the bar charts as SVG. Opened with no network, it renders.

import type { LeaderWatchResult } from '../leader-watch.js';
import type { MemoryLoadResult } from '../memory-load.js';
import { formatMs, formatRate, formatRatio, ratios, targetChecks, type TargetCheck } from '../report.js';
import type { BenchResultFile } from '../result-file.js';
import { extraRows, type LoadgenCheck } from '../run-facts.js';
import { barFigureSvg, type BarFigure } from '../../src/pages/bar-chart-svg.js';
import { esc, htmlPage, pageScript, table } from '../../src/pages/html-page.js';
import { durabilityFigure, historyData, latencyCharts, throughputFigure } from './figures.js';
import { LABELLED_PERCENTILES, nines, type LatencySeries, type ReportData } from './report-data.js';
import type { LoadedRun } from './runs.js';

const PERCENTILE_LABELS: Record<number, string> = { 50: 'p50', 90: 'p90', 99: 'p99', 99.9: 'p99.9', 99.99: 'p99.99' };

/** The command line that made a run, from its mode and the options that differ from that mode's defaults. */
export function commandOf(d: BenchResultFile): string {
  const quick = d.mode === 'quick';
  const o = d.options as Record<string, unknown>;
  const parts = ['raftkv bench', ...(quick ? ['--quick'] : []), ...(d.compare ? ['--compare'] : []), ...(d.target ? [`--target ${d.target}`] : [])];
  const defaults: [string, string, unknown][] = [
    ['seconds', '--seconds', quick ? 1.5 : 8],
    ['warmupSeconds', '--warmup', quick ? 0.3 : 1],
    ['threads', '--threads', Math.max(1, Math.floor(d.machine.cores / 2))],
    ['keys', '--keys', 10_000],
    ['valueBytes', '--value-size', 16],
    ['memoryKeys', '--memory-keys', quick ? 100_000 : 1_000_000],
  ];
  for (const [key, flag, dflt] of defaults) if (o[key] !== undefined && o[key] !== dflt) parts.push(`${flag} ${String(o[key])}`);
  if (Array.isArray(o.only) && o.only.length > 0) parts.push(`--only ${o.only.join(',')}`);
  return parts.join(' ');
}

/** The line under the README's chart and the page's: what ran, where, how loaded. */
export function runCaption(run: LoadedRun): string[] {
  const d = run.data;
  const m = d.machine;
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  return [
    `${commandOf(d)}, commit ${d.commit}, ${d.startedAt.slice(0, 16).replace('T', ' ')} UTC (${run.base}.json)`,
    `${m.cores} cores, ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}, Node ${d.versions.node ?? '?'}; load average ${load(m.loadavgStart)} at start, ${load(m.loadavgEnd)} at the end`,
    `3-node clusters on one machine over loopback; ${d.versions.etcd ? `${d.versions.etcd.replace(/^etcd Version: /, 'etcd ')}, ` : ''}${d.versions.redis ? `Redis ${/v=(\S+)/.exec(d.versions.redis)?.[1] ?? ''}` : ''}. One run: single runs swing by 10-25% on this machine.`,
  ];
}

function latencyTable(series: LatencySeries[]): string {
  const cell = (v: number | undefined): string => (v === undefined ? '–' : formatMs(v));
  return table(
    'numbers latency',
    ['system', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99.99 ms', 'max ms', 'requests'],
    series.map((s) => [esc(s.label), cell(s.summary.p50), cell(s.summary.p90), cell(s.summary.p99), cell(s.summary.p999), cell(s.summary.p9999), cell(s.summary.max), formatRate(s.count)]),
  );
}

function targetsOf(d: BenchResultFile): TargetCheck[] {
  return Array.isArray(d.targets) ? (d.targets as TargetCheck[]) : targetChecks(d.results);
}

/** Start to first write, leader changes, memory, the load generator against wrk. */
function measuredRows(run: LoadedRun): string[][] {
  const d = run.data;
  return extraRows({
    firstWrite: d.startToFirstWriteMs ?? {},
    leaderChanges: (d.leaderChanges ?? {}) as Record<string, LeaderWatchResult>,
    memory: (d.memory ?? undefined) as MemoryLoadResult | undefined,
    loadgenCheck: (d.loadgenCheck ?? undefined) as LoadgenCheck | undefined,
    results: d.results,
  }).map(([k, v]) => [esc(k!), esc(v!)]);
}

/** What ran where: commit, machine, load, options, versions, what was skipped. */
function machineRows(run: LoadedRun): string[][] {
  const d = run.data;
  const m = d.machine;
  const o = d.options as Record<string, unknown>;
  const minutes = d.finishedAt ? ((Date.parse(d.finishedAt) - Date.parse(d.startedAt)) / 60_000).toFixed(1) : '?';
  const rows: string[][] = [
    ['commit', d.commit],
    ['started', `${d.startedAt} (${minutes} min)`],
    ['mode', `${d.mode}${d.compare ? ', --compare' : ''}${d.target ? `, --target ${d.target}` : ''}`],
    ['machine', `${m.cores} cores, ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, ${m.os}`],
    ['load average at start', m.loadavgStart.map((l) => l.toFixed(2)).join(' ')],
    ['load average at the end', m.loadavgEnd.map((l) => l.toFixed(2)).join(' ')],
    ['options', `${o.seconds ?? '?'} s per workload after ${o.warmupSeconds ?? '?'} s warm-up, ${o.threads ?? '?'} load thread(s), ${o.keys ?? '?'} keys of ${o.valueBytes ?? '?'} bytes`],
    ...Object.entries(d.versions).map(([k, v]) => [`version: ${k}`, v]),
  ];
  for (const s of d.skipped ?? []) rows.push(['skipped', `${s.system} ${s.workload ?? ''}: ${s.reason}`]);
  return rows.map(([k, v]) => [esc(k!), esc(v!)]);
}

/**
 * raftkv against another raftkv cluster of the same run, workload by
 * workload: `variant` (durability os, or TLS and tokens) beside the plain
 * fsync cluster, named `ours` and `base` in the column heads.
 */
function variantTable(run: LoadedRun, variant: 'raftkv-os' | 'raftkv-tls', cls: string, [ours, base]: [string, string], none: string): string {
  const rows = ratios(run.data.results, variant, 'raftkv');
  if (rows.length === 0) return none;
  return table(
    `numbers ${cls}`,
    ['workload', `${base} ops/s`, `${ours} ops/s`, `${ours} / ${base}`, `${base} p50 ms`, `${ours} p50 ms`, `${base} p99 ms`, `${ours} p99 ms`],
    rows.map((r) => [esc(r.workload), formatRate(r.peer!.opsPerSec), formatRate(r.raftkv!.opsPerSec), formatRatio(r.opsRatio), formatMs(r.peer!.p50Ms), formatMs(r.raftkv!.p50Ms), formatMs(r.peer!.p99Ms), formatMs(r.raftkv!.p99Ms)]),
  );
}

const durabilityTable = (run: LoadedRun): string => variantTable(run, 'raftkv-os', 'durability', ['os', 'fsync'], '');
/** What TLS and tokens cost (raftkv bench --tls): the TLS cluster beside the plaintext one of the same run. */
const tlsTable = (run: LoadedRun): string => variantTable(run, 'raftkv-tls', 'tls', ['tls', 'plain'], '<p class="none">Not measured in this run (raftkv bench --tls).</p>');

function figure(f: BarFigure | undefined, id: string): string {
  return f ? `<figure class="bars" id="${id}">${barFigureSvg(f)}</figure>` : '<p class="none">Not measured in this run.</p>';
}

/** The whole page for `runs` (one, or several compared), with the history of `history`. */
export function reportHtml(runs: readonly LoadedRun[], history: readonly LoadedRun[], notes: readonly string[] = []): string {
  const newest = runs[runs.length - 1]!;
  const several = runs.length > 1;
  const data: ReportData = {
    latencyAxis: { splits: LABELLED_PERCENTILES.map(nines), labels: LABELLED_PERCENTILES.map((p) => PERCENTILE_LABELS[p]!) },
    latency: latencyCharts(runs),
    history: historyData(history),
  };
  const runNames = runs.map((r) => `${r.data.commit} (${r.data.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.data.mode})`);
  const title = several ? `raftkv benchmark: ${runs.map((r) => r.data.commit).join(' vs ')}` : `raftkv benchmark: ${newest.data.commit}, ${newest.data.startedAt.slice(0, 10)}`;
  const perRun = (h: (r: LoadedRun) => string): string => `<div class="side">${runs.map((r) => `<div>${several ? `<h3>${esc(r.data.commit)} · ${esc(r.base)}</h3>` : ''}${h(r)}</div>`).join('')}</div>`;
  const noHistogram = data.latency.some((c) => c.series.some((s) => !s.fromHistogram));

  const body = `
<header>
<h1>${esc(title)}</h1>
<p>${several ? `${runs.length} runs side by side: ${esc(runNames.join('; '))}` : `Run ${esc(runNames[0]!)} from <code>${esc(newest.base)}.json</code>`}.</p>
<p class="note">${esc(runCaption(newest).slice(1).join(' '))} Page made ${esc(new Date().toISOString().slice(0, 16).replace('T', ' '))} UTC.</p>
${notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
<nav><a href="#throughput">throughput</a><a href="#latency">latency</a><a href="#durability">durability</a><a href="#facts">run and machine</a><a href="#history">history</a><a href="#targets">targets</a></nav>
</header>
<section id="throughput"><h2>Throughput</h2>
${figure(throughputFigure(runs, runCaption(newest)), 'throughput-bars')}
</section>
<section id="latency"><h2>Latency distribution</h2>
<p class="note">Every successful request's latency, from p50 to p99.99 on a log scale (x: the percentile's nines), measured by the load generator's closed loops.${noHistogram ? ' Runs saved before latency histograms were kept show only their p50, p90 and p99.' : ''}</p>
<div class="charts">${data.latency.map((c) => `<div class="chart latency" id="${c.id}"><h3>${esc(c.workload)}: ${esc(c.title)}</h3><div class="plot"></div>${latencyTable(c.series)}</div>`).join('\n')}</div>
</section>
<section id="durability"><h2>Durability: os against fsync</h2>
${figure(durabilityFigure(runs), 'durability-bars')}
${perRun((r) => durabilityTable(r))}
<h3 id="tls">TLS and tokens against plaintext</h3>
${perRun((r) => tlsTable(r))}
</section>
<section id="facts"><h2>Run and machine</h2>
<p class="note">Start to first write, leader changes under load, memory with many keys, the load generator against wrk, and what ran where.</p>
${perRun((r) => `${table('facts measured', ['measure', 'value'], measuredRows(r))}${table('facts machine', ['run', ''], machineRows(r))}`)}
</section>
<section id="history"><h2>History on this machine</h2>
<p class="note">${data.history.points.length} run(s) of this machine (${newest.data.machine.cores} cores, ${esc(newest.data.machine.cpuModel)}), the latest of each commit, from the result files beside <code>${esc(newest.base)}.json</code>: ${esc(data.history.points.map((p) => `${p.commit} (${p.mode})`).join(', '))}. Quick runs measure for 1.5 s instead of 8 s.</p>
<div class="charts">${data.history.charts.map((c) => `<div class="chart history" id="${c.id}"><h3>${esc(c.workload)}: ${esc(c.title)}, ops/s</h3><div class="plot"></div></div>`).join('\n')}</div>
</section>
<section id="targets"><h2>Targets</h2>
${perRun((r) =>
  table(
    'targets',
    ['target', 'wanted', 'reached', ''],
    targetsOf(r.data).map((t) => [esc(t.name), esc(t.wanted), esc(t.got), t.met === undefined ? { html: 'not measured', cls: 'unmeasured' } : t.met ? { html: 'met', cls: 'met' } : { html: 'missed', cls: 'missed' }]),
  ),
)}
</section>`;

  return htmlPage({ title, body, data, script: pageScript(new URL('./page-client.js', import.meta.url)) });
}

/** The README's picture: the throughput comparison of one run, as a standalone SVG. */
export function headlineSvg(run: LoadedRun): string {
  return barFigureSvg(throughputFigure([run], runCaption(run)));
}
