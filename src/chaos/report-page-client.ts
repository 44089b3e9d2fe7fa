/// <reference lib="dom" />
// The chaos report page's script: availability over time and the failover
// distribution, drawn with uPlot (`window.uPlot`), after
// src/pages/page-helpers-client (`window.reportPage`). Inlined as a module
// script: types only may be imported.

import type UPlot from 'uplot';
import type { ChaosPageData } from './report-page-data.js';

const data = window.reportPage.data() as ChaosPageData;

function drawAvailability(): void {
  const el = document.querySelector<HTMLElement>('#availability .plot');
  const a = data.availability;
  if (!el || !a || a.seconds.length === 0) return;
  const u = new window.uPlot(
    {
      width: window.reportPage.plotWidth(el, 1100),
      height: 260,
      scales: { x: { time: false }, ops: { range: (_u, _min, max) => [0, (max || 1) * 1.1] }, pct: { range: [0, 100] } },
      axes: [
        { label: 'seconds into the run' },
        { scale: 'ops', label: 'operations per second', size: 60 },
        { scale: 'pct', label: 'answered, %', side: 1, grid: { show: false } },
      ],
      series: [
        { label: 'second' },
        { label: 'answered', scale: 'ops', stroke: '#2f855a', fill: 'rgba(47,133,90,0.12)', width: 1.5 },
        { label: 'failed', scale: 'ops', stroke: '#c53030', fill: 'rgba(197,48,48,0.18)', width: 1.5 },
        { label: 'answered %', scale: 'pct', stroke: '#2b6cb0', width: 1, dash: [4, 3], spanGaps: false, value: (_u: UPlot, v: number | null) => (v === null ? '-' : `${v.toFixed(1)}%`) },
      ],
    },
    [a.seconds, a.ok, a.failed, a.percent],
    el,
  );
  window.reportPage.mark(el, u);
}

function drawFailovers(): void {
  const el = document.querySelector<HTMLElement>('#failover .plot');
  const f = data.failoversMs;
  if (!el || f.length === 0) return;
  // The share of failovers done within x ms; equal times are one step.
  const xs: number[] = [];
  const ys: number[] = [];
  f.forEach((ms, i) => {
    if (xs[xs.length - 1] === ms) ys[ys.length - 1] = ((i + 1) / f.length) * 100;
    else {
      xs.push(ms);
      ys.push(((i + 1) / f.length) * 100);
    }
  });
  const u = new window.uPlot(
    {
      width: window.reportPage.plotWidth(el, 1100),
      height: 240,
      scales: { x: { time: false }, y: { range: [0, 100] } },
      axes: [{ label: 'leader killed -> first successful write, ms' }, { label: 'failovers done, %', size: 60 }],
      series: [
        { label: 'ms', value: (_u, v) => (v === null ? '-' : `${Math.round(v)} ms`) },
        { label: 'failovers done', stroke: '#805ad5', width: 2, points: { show: true, size: 6 }, paths: window.uPlot.paths.stepped!({ align: 1 }), value: (_u: UPlot, v: number | null) => (v === null ? '-' : `${v.toFixed(0)}%`) },
      ],
    },
    [xs, ys],
    el,
  );
  window.reportPage.mark(el, u);
}

drawAvailability();
drawFailovers();
document.body.dataset.drawn = 'true';
