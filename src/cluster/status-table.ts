import type { NodeStatus } from '../node/types.js';
import type { NodeState } from './launcher.js';

export interface TableRow {
  id: string;
  state: NodeState;
  status: NodeStatus | undefined;
  cutOff?: boolean;
  /** The node's shard, in a sharded cluster: rows are grouped by it. */
  shard?: string;
  /** Why the node failed, when its state is 'failed': a line under the table says it. */
  failed?: string;
}

/** The live status table: one line per node; in a sharded cluster, one group per shard under a line naming it and its slots. */
export function renderStatusTable(rows: TableRow[], shardSlots: Record<string, string> = {}): string {
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
  const failures = rows.filter((r) => r.state === 'failed' && r.failed).map((r) => `${r.id} failed: ${r.failed}`);
  if (!rows.some((r) => r.shard !== undefined)) return [fmt(header), ...lines.map(fmt), ...failures].join('\n');
  const out: string[] = [];
  const shards = [...new Set(rows.map((r) => r.shard ?? '-'))];
  for (const shard of shards) {
    if (out.length > 0) out.push('');
    out.push(`shard ${shard}${shardSlots[shard] ? `  slots ${shardSlots[shard]}` : ''}`, fmt(header));
    rows.forEach((r, i) => {
      if ((r.shard ?? '-') === shard) out.push(fmt(lines[i]!));
    });
  }
  return [...out, ...failures].join('\n');
}
