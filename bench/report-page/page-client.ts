/// <reference lib="dom" />
// The benchmark report page's script: draws the latency distributions and
// the history with uPlot (`window.uPlot`), after src/pages/page-helpers-client
// (`window.reportPage`). It is inlined as a module script: types only may be
// imported.

import type UPlot from 'uplot';
import type { HistoryChart, HistoryPoint, LatencyChart, ReportData } from './report-data.js';

const data = window.reportPage.data() as ReportData;

const ms = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

function drawLatency(chart: LatencyChart): void {
  const el = document.querySelector<HTMLElement>(`#${chart.id} .plot`);
  if (!el || chart.series.length === 0) return;
  const xs = [...new Set(chart.series.flatMap((s) => s.points.map(([x]) => x)))].sort((a, b) => a - b);
  const ys = chart.series.map((s) => {
    const at = new Map(s.points);
    return xs.map((x) => at.get(x) ?? null);
  });
  const { splits, labels } = data.latencyAxis;
  const labelAt = (x: number): string => {
    const i = splits.findIndex((s) => Math.abs(s - x) < 1e-9);
    return i >= 0 ? labels[i]! : `p${(100 * (1 - 10 ** -x)).toPrecision(4)}`;
  };
  const u = new window.uPlot(
    {
      width: window.reportPage.plotWidth(el, 900),
      height: 260,
      scales: { x: { time: false, range: [splits[0]! - 0.05, Math.max(splits[1]!, xs[xs.length - 1] ?? 1) + 0.05] }, y: { distr: 3 } },
      axes: [
        { label: 'percentile', splits: (_u, _i, min, max) => splits.filter((s) => s >= min && s <= max), values: (_u, vals) => vals.map(labelAt) },
        { label: 'latency, ms (log)', values: (_u, vals) => vals.map((v) => (v === null ? '' : ms(v))), size: 60 },
      ],
      series: [
        { label: 'percentile', value: (_u, v) => (v === null ? '-' : labelAt(v)) },
        ...chart.series.map((s) => ({
          label: s.fromHistogram ? s.label : `${s.label} (p50/p90/p99 only)`,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          points: { show: !s.fromHistogram },
          value: (_u: UPlot, v: number | null) => (v === null ? '-' : `${ms(v)} ms`),
        })),
      ],
    },
    [xs, ...ys],
    el,
  );
  window.reportPage.mark(el, u);
}

function drawHistory(chart: HistoryChart, points: HistoryPoint[]): void {
  const el = document.querySelector<HTMLElement>(`#${chart.id} .plot`);
  if (!el || chart.series.length === 0) return;
  const xs = points.map((_, i) => i);
  const label = (i: number): string => points[Math.round(i)]?.commit ?? '';
  const u = new window.uPlot(
    {
      width: window.reportPage.plotWidth(el, 900),
      height: 220,
      scales: { x: { time: false, range: [-0.5, points.length - 0.5] }, y: { range: (_u, _min, max) => [0, (max || 1) * 1.1] } },
      axes: [
        { label: 'commit (one point per commit, oldest left)', splits: () => xs, values: (_u, vals) => vals.map(label) },
        { label: 'ops/s', size: 70, values: (_u, vals) => vals.map((v) => (v === null ? '' : Math.round(v).toLocaleString('en-US'))) },
      ],
      series: [
        { label: 'run', value: (_u, v) => (v === null ? '-' : `${label(v)} (${points[Math.round(v)]?.mode ?? ''}, ${points[Math.round(v)]?.startedAt.slice(0, 16) ?? ''})`) },
        ...chart.series.map((s) => ({ label: s.system, stroke: s.color, width: 2, spanGaps: true, points: { show: true, size: 7 }, value: (_u: UPlot, v: number | null) => (v === null ? '-' : `${Math.round(v).toLocaleString('en-US')}/s`) })),
      ],
    },
    [xs, ...chart.series.map((s) => s.values)],
    el,
  );
  window.reportPage.mark(el, u);
}

for (const chart of data.latency) drawLatency(chart);
for (const chart of data.history.charts) drawHistory(chart, data.history.points);
document.body.dataset.drawn = 'true';
