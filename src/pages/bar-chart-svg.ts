// Grouped bar charts as plain SVG, made in Node: the report page inlines
// them and the README shows one as an image, so no browser (and no chart
// library) is needed to make them. Each group has its own scale: workloads
// run from 1 thousand to over a million operations per second, so one
// shared axis would flatten the slow ones; the value is written on every
// bar and the ratio above every group instead.

export interface Bar {
  /** Legend key: system, or system and run. */
  label: string;
  system: string;
  color: string;
  /** 1 for the newest run; lighter for older ones. */
  opacity: number;
  value: number;
  /** Tooltip. */
  title: string;
}

export interface BarGroup {
  workload: string;
  bars: Bar[];
  /** Written above the group, one line each, e.g. "1.56x etcd". */
  ratio?: string[];
}

export interface BarRow {
  title: string;
  groups: BarGroup[];
}

export interface BarFigure {
  title: string;
  rows: BarRow[];
  legend: { label: string; color: string; opacity: number }[];
  /** Lines under the chart (machine, run, command). */
  caption: string[];
}

const BAR_W = 36;
const BAR_GAP = 4;
const GROUP_PAD = 26;
const PLOT_H = 140;
const MARGIN = 16;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1,084 · 14.1k · 407k · 1.40M: short enough to sit on a bar. */
export function compactRate(v: number): string {
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e5) return `${(v / 1e3).toFixed(0)}k`;
  if (v >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  return Math.round(v).toLocaleString('en-US');
}

const groupWidth = (g: BarGroup): number => g.bars.length * BAR_W + (g.bars.length - 1) * BAR_GAP + GROUP_PAD;

export function barFigureSvg(f: BarFigure): string {
  const rowWidths = f.rows.map((r) => r.groups.reduce((w, g) => w + groupWidth(g), 0));
  const legendWidth = f.legend.reduce((w, l) => w + 22 + l.label.length * 6.6, 0);
  // Text widths are estimated (no font metrics without a browser): about 0.6 em per character.
  const titleWidth = Math.max(f.title.length * 9.6, ...f.rows.map((r) => r.title.length * 7.8), ...f.caption.map((c) => c.length * 6.6));
  const width = Math.ceil(Math.max(560, legendWidth, titleWidth, ...rowWidths) + 2 * MARGIN);
  const out: string[] = [];
  let y = MARGIN + 16;
  out.push(`<text x="${MARGIN}" y="${y}" font-size="16" font-weight="600" fill="#1a202c">${escapeXml(f.title)}</text>`);
  // Legend: one swatch per system (and run), wrapped to the width.
  y += 22;
  let x = MARGIN;
  for (const l of f.legend) {
    const w = 22 + l.label.length * 6.6;
    if (x + w > width - MARGIN) {
      x = MARGIN;
      y += 18;
    }
    out.push(`<g class="legend-item"><rect x="${x}" y="${y - 10}" width="12" height="12" rx="2" fill="${l.color}" fill-opacity="${l.opacity}"/><text x="${x + 16}" y="${y}" font-size="12" fill="#2d3748">${escapeXml(l.label)}</text></g>`);
    x += w;
  }
  y += 14;
  for (const row of f.rows) {
    y += 20;
    out.push(`<text x="${MARGIN}" y="${y}" font-size="13" font-weight="600" fill="#2d3748">${escapeXml(row.title)}</text>`);
    const ratioLines = Math.max(1, ...row.groups.map((g) => g.ratio?.length ?? 0));
    const top = y + 20 + 14 * ratioLines; // room for the ratio and the tallest bar's value
    const base = top + PLOT_H;
    let gx = MARGIN;
    for (const g of row.groups) {
      const max = Math.max(...g.bars.map((b) => b.value), 0);
      const gw = groupWidth(g) - GROUP_PAD;
      const parts: string[] = [];
      g.ratio?.forEach((line, i, all) =>
        parts.push(`<text class="ratio" x="${gx + gw / 2}" y="${top - 20 - 14 * (all.length - 1 - i)}" text-anchor="middle" font-size="12" font-weight="700" fill="#1a202c">${escapeXml(line)}</text>`),
      );
      g.bars.forEach((b, i) => {
        const h = max > 0 ? Math.max(b.value > 0 ? 1 : 0, (b.value / max) * PLOT_H) : 0;
        const bx = gx + i * (BAR_W + BAR_GAP);
        parts.push(
          `<rect class="bar" data-system="${escapeXml(b.system)}" data-label="${escapeXml(b.label)}" data-value="${b.value}" x="${bx}" y="${(base - h).toFixed(1)}" width="${BAR_W}" height="${h.toFixed(1)}" fill="${b.color}" fill-opacity="${b.opacity}"><title>${escapeXml(b.title)}</title></rect>`,
          `<text class="value" x="${bx + BAR_W / 2}" y="${(base - h - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#2d3748">${compactRate(b.value)}</text>`,
        );
      });
      parts.push(`<line x1="${gx - 2}" x2="${gx + gw + 2}" y1="${base}" y2="${base}" stroke="#a0aec0"/>`);
      parts.push(`<text x="${gx + gw / 2}" y="${base + 15}" text-anchor="middle" font-size="12" fill="#1a202c">${escapeXml(g.workload)}</text>`);
      out.push(`<g class="group" data-workload="${escapeXml(g.workload)}">${parts.join('')}</g>`);
      gx += groupWidth(g);
    }
    y = base + 18;
  }
  y += 8;
  for (const line of f.caption) {
    y += 15;
    out.push(`<text x="${MARGIN}" y="${y}" font-size="11" fill="#4a5568">${escapeXml(line)}</text>`);
  }
  const height = Math.ceil(y + MARGIN);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="bar-figure" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>` +
    `<title>${escapeXml(f.title)}</title><rect width="100%" height="100%" fill="#ffffff"/>${out.join('')}</svg>`
  );
}
