// The timeline of a chaos run as SVG: one lane per node with the faults that
// struck it (a degraded network has a lane of its own), and above them one
// lane per Raft group with who led, in which term, when.

import { escapeXml } from '../pages/bar-chart-svg.js';
import type { SerialFault } from './nemesis.js';
import type { ChaosTimeline, FaultEvent } from './timeline.js';

export const FAULT_COLORS: Record<SerialFault, string> = {
  kill: '#c53030',
  pause: '#d69e2e',
  partition: '#805ad5',
  oneway: '#3182ce',
  degrade: '#718096',
};

const LEADER_COLORS = ['#2f855a', '#38a169', '#276749', '#48bb78', '#22543d', '#68d391'];

const LABEL_W = 110;
const LANE_H = 24;
const WIDTH = 1080;
const PLOT_W = WIDTH - LABEL_W - 20;

function tickStep(duration: number): number {
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => duration / s <= 12) ?? 1200;
}

const faultText = (f: FaultEvent): string =>
  `${f.kind} ${f.detail || f.target}: ${f.startS.toFixed(1)} s to ${f.endS === undefined ? 'the end' : `${f.endS.toFixed(1)} s`}${f.failoverMs !== undefined ? `, failover ${f.failoverMs} ms` : ''}${f.error ? `, error: ${f.error}` : ''}`;

export function faultTimelineSvg(t: ChaosTimeline, nodeIds: readonly string[]): string {
  const duration = Math.max(t.durationS, ...t.faults.map((f) => f.endS ?? f.startS), 1);
  const x = (s: number): number => LABEL_W + (Math.min(Math.max(s, 0), duration) / duration) * PLOT_W;
  const groups = [...new Set(t.leaders.map((l) => l.group))].sort((a, b) => a - b);
  const lanes = [
    ...groups.map((g) => (groups.length > 1 ? `leader, group ${g}` : 'leader')),
    ...nodeIds,
    ...(t.faults.some((f) => f.kind === 'degrade') ? ['all links'] : []),
  ];
  const laneY = (name: string): number => 30 + lanes.indexOf(name) * LANE_H;
  const out: string[] = [];
  lanes.forEach((name, i) => {
    const y = 30 + i * LANE_H;
    out.push(`<rect x="${LABEL_W}" y="${y}" width="${PLOT_W}" height="${LANE_H - 2}" fill="${i % 2 ? '#f7fafc' : '#edf2f7'}"/>`);
    out.push(`<text x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end" font-size="12" fill="#2d3748">${escapeXml(name)}</text>`);
  });
  for (const g of groups) {
    const lane = groups.length > 1 ? `leader, group ${g}` : 'leader';
    const mine = t.leaders.filter((l) => l.group === g);
    mine.forEach((l, i) => {
      const end = mine[i + 1]?.atS ?? duration;
      const x0 = x(l.atS);
      const w = Math.max(1, x(end) - x0);
      const color = LEADER_COLORS[Math.max(0, nodeIds.indexOf(l.leader)) % LEADER_COLORS.length]!;
      out.push(
        `<g class="leader-span" data-leader="${escapeXml(l.leader)}" data-term="${l.term}"><rect x="${x0.toFixed(1)}" y="${laneY(lane) + 2}" width="${w.toFixed(1)}" height="${LANE_H - 6}" fill="${color}"><title>${escapeXml(`${l.leader} leads term ${l.term} from ${l.atS.toFixed(1)} s`)}</title></rect>` +
          (w > 60 ? `<text x="${(x0 + 4).toFixed(1)}" y="${laneY(lane) + 15}" font-size="11" fill="#ffffff">${escapeXml(`${l.leader} t${l.term}`)}</text>` : '') +
          `</g>`,
      );
    });
  }
  for (const f of t.faults) {
    const lane = f.kind === 'degrade' ? 'all links' : lanes.includes(f.target) ? f.target : undefined;
    if (lane === undefined) continue;
    const x0 = x(f.startS);
    const w = Math.max(2, x(f.endS ?? duration) - x0);
    out.push(
      `<rect class="fault" data-kind="${f.kind}" data-target="${escapeXml(f.target)}" x="${x0.toFixed(1)}" y="${laneY(lane) + 3}" width="${w.toFixed(1)}" height="${LANE_H - 8}" rx="2" fill="${FAULT_COLORS[f.kind]}" fill-opacity="${f.error ? 0.45 : 0.9}"><title>${escapeXml(faultText(f))}</title></rect>`,
    );
    if (w > 44) out.push(`<text x="${(x0 + 3).toFixed(1)}" y="${laneY(lane) + 15}" font-size="10" fill="#ffffff" pointer-events="none">${f.kind}${f.failoverMs !== undefined ? ` ${f.failoverMs}ms` : ''}</text>`);
  }
  const axisY = 30 + lanes.length * LANE_H + 4;
  const step = tickStep(duration);
  for (let s = 0; s <= duration + 1e-9; s += step) {
    out.push(`<line x1="${x(s)}" x2="${x(s)}" y1="30" y2="${axisY}" stroke="#cbd5e0" stroke-width="0.5"/><text x="${x(s)}" y="${axisY + 14}" text-anchor="middle" font-size="11" fill="#4a5568">${s} s</text>`);
  }
  let lx = LABEL_W;
  const legend = (Object.keys(FAULT_COLORS) as SerialFault[]).map((k) => {
    const item = `<rect x="${lx}" y="8" width="12" height="12" rx="2" fill="${FAULT_COLORS[k]}"/><text x="${lx + 16}" y="18" font-size="12" fill="#2d3748">${k}</text>`;
    lx += 30 + k.length * 7;
    return item;
  });
  const height = axisY + 26;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="fault-timeline" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif">` +
    `<title>Faults and leaders over the run</title><rect width="100%" height="100%" fill="#ffffff"/>${legend.join('')}${out.join('')}</svg>`
  );
}
