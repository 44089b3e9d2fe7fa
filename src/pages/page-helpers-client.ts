/// <reference lib="dom" />
// What every report page's script needs, inlined (as a module script) before
// it: the page's data, a chart width that fits its container, and the mark a
// drawn chart leaves on its container (data-series, data-points) for the
// page tests to count. Page scripts reach it as `window.reportPage`, and
// uPlot (inlined first, a classic script) as `window.uPlot`.

import type UPlot from 'uplot';

export interface ReportPageHelpers {
  /** The JSON of `#report-data`. */
  data(): unknown;
  /** Width for a chart in `el`: the container's, within [360, max]. */
  plotWidth(el: HTMLElement, max: number): number;
  /** Notes on `el` how many series and finite points `u` drew. */
  mark(el: HTMLElement, u: UPlot): void;
}

declare global {
  interface Window {
    uPlot: typeof UPlot;
    reportPage: ReportPageHelpers;
  }
}

window.reportPage = {
  data: () => JSON.parse(document.getElementById('report-data')!.textContent!),
  plotWidth: (el, max) => Math.max(360, Math.min(max, el.clientWidth || max)),
  mark: (el, u) => {
    const ys = u.data.slice(1);
    el.dataset.series = String(ys.length);
    el.dataset.points = String(ys.reduce((n, s) => n + Array.from(s as ArrayLike<number | null | undefined>).filter((v) => typeof v === 'number' && Number.isFinite(v)).length, 0));
  },
};
