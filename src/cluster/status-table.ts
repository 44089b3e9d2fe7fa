import type { NodeStatus } from '../node/types.js';
import type { NodeState } from './launcher.js';

export interface TableRow {
  id: string;
  state: NodeState;
  status: NodeStatus | undefined;
  cutOff?: boolean;
}

/** The live status table: one line per node. */
export function renderStatusTable(rows: TableRow[]): string {
  const header = ['node', 'state', 'role', 'term', 'commit', 'applied', 'last', 'leader', 'contact', 'keys', 'http'];
  const lines = rows.map(({ id, state, status: s, cutOff }) => [
    id,
    cutOff && state === 'alive' ? 'cut off' : state,
    s?.role ?? '-',
    s ? String(s.term) : '-',
    s ? String(s.commit) : '-',
    s ? String(s.applied) : '-',
    s ? String(s.lastIndex) : '-',
    s?.leader || '-',
    s ? (s.role === 'leader' ? 'self' : `${s.lastContactMs} ms`) : '-',
    s ? String(s.keys) : '-',
    s?.addrs.http ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
