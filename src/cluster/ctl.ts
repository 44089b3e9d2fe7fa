// `raftkv ctl`: fault injection against a running cluster, through its control API.

import type { NodeRow } from './control-server.js';
import { InternalClient, type Answer } from '../node/internal-client.js';

export interface CtlRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

/** Turn `raftkv ctl <command> [args]` into a control API request. */
export function ctlRequest(command: string, args: string[]): CtlRequest {
  const need = (n: number, usage: string): void => {
    if (args.length < n) throw new Error(`usage: raftkv ctl ${usage}`);
  };
  switch (command) {
    case 'status':
      return { method: 'GET', path: '/status' };
    case 'leader':
      return { method: 'GET', path: args[0] ? `/leader/${encodeURIComponent(args[0])}` : '/leader' };
    case 'memory':
      return { method: 'GET', path: '/memory' };
    case 'kill':
    case 'restart':
    case 'pause':
    case 'resume':
      need(1, `${command} NODE`);
      return { method: 'POST', path: `/${command}/${encodeURIComponent(args[0]!)}` };
    case 'partition': {
      need(1, 'partition A,B C  |  partition A->B');
      if (args.length === 1 && args[0]!.includes('->')) {
        const [from, to] = args[0]!.split('->');
        if (!from || !to) throw new Error('usage: raftkv ctl partition A->B');
        return { method: 'POST', path: '/partition', body: { from, to } };
      }
      const groups = args.map((g) => g.split(',').filter((x) => x !== ''));
      if (groups.length < 2) throw new Error('usage: raftkv ctl partition A,B C (at least two groups)');
      return { method: 'POST', path: '/partition', body: { groups } };
    }
    case 'heal':
      return { method: 'POST', path: '/heal' };
    case 'delay':
    case 'loss': {
      need(1, `${command} ${command === 'delay' ? 'MS' : 'PCT'} [NODE...]`);
      const value = Number(args[0]);
      if (!Number.isFinite(value)) throw new Error(`${command}: ${JSON.stringify(args[0])} is not a number`);
      const nodes = args.length > 1 ? args.slice(1) : undefined;
      return { method: 'POST', path: `/${command}`, body: command === 'delay' ? { ms: value, nodes } : { pct: value, nodes } };
    }
    case 'transfer':
      // Leadership to a node, or (without one) to whichever follower the leader picks.
      return { method: 'POST', path: '/transfer', body: args[0] ? { to: args[0] } : {} };
    case 'write':
      need(2, 'write KEY VALUE [NODE]');
      return { method: 'POST', path: '/write', body: { key: args[0], value: args[1], ...(args[2] ? { node: args[2] } : {}) } };
    case 'read':
      need(1, 'read KEY [LEVEL] [NODE]');
      return { method: 'POST', path: '/read', body: { key: args[0], ...(args[1] ? { level: args[1] } : {}), ...(args[2] ? { node: args[2] } : {}) } };
    default:
      throw new Error(`unknown ctl command ${JSON.stringify(command)}; use status, leader, memory, kill, restart, pause, resume, partition, heal, delay, loss, transfer, write, read`);
  }
}

/** How ctl reaches a secure control API: the CA of its certificate, the admin token. */
export interface CtlCredentials {
  ca?: string;
  token?: string;
}

export async function runCtl(control: string, command: string, args: string[], credentials: CtlCredentials = {}): Promise<string> {
  const req = ctlRequest(command, args);
  const client = new InternalClient({ ca: credentials.ca, ...(credentials.token ? { bearer: credentials.token } : {}) });
  let res: Answer;
  try {
    res = await client.call(req.method, control, req.path, { body: req.body });
  } catch (e) {
    throw new Error(`no cluster answers on ${control} (is \`raftkv cluster\` running?): ${(e as Error).message}`);
  }
  const body = res.json ?? { error: `control API answered ${res.status} without JSON` };
  if (!res.ok) throw new Error(String(body.error ?? `control API answered ${res.status}`));
  if (command === 'leader') {
    // A sharded cluster without a shard named: one "shard leader" line per shard.
    if (body.leaders) return Object.entries(body.leaders as Record<string, string | null>).map(([s, l]) => `${s} ${l ?? '-'}`).join('\n');
    return body.leader ? String(body.leader) : '';
  }
  if (command === 'status') return renderCtlStatus(body.nodes as NodeRow[], body.faults as { cuts: string[]; degraded: string[] }, String(body.isolation ?? 'thread'));
  return JSON.stringify(body);
}

function renderCtlStatus(nodes: NodeRow[], faults: { cuts: string[]; degraded: string[] }, isolation: string): string {
  const sharded = nodes.some((n) => n.shard !== undefined);
  const header = [...(sharded ? ['shard'] : []), 'node', 'state', 'role', 'term', 'commit', 'applied', 'leader', ...(isolation === 'process' ? ['pid'] : [])];
  const rows = nodes.map((n) => [
    ...(sharded ? [n.shard ?? '-'] : []),
    n.id,
    n.cutOff && n.state === 'alive' ? 'cut off' : n.state,
    n.role,
    n.term === null ? '-' : String(n.term),
    n.commit === null ? '-' : String(n.commit),
    n.applied === null ? '-' : String(n.applied),
    n.leader || '-',
    ...(isolation === 'process' ? [n.pid === null ? '-' : String(n.pid)] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const lines = [fmt(header), ...rows.map(fmt)];
  for (const n of nodes) if (n.state === 'failed' && n.failed) lines.push(`${n.id} failed: ${n.failed} (raftkv ctl restart ${n.id})`);
  if (faults.cuts.length > 0) lines.push(`cut links: ${faults.cuts.join(' ')}`);
  for (const d of faults.degraded) lines.push(`degraded: ${d}`);
  return lines.join('\n');
}
