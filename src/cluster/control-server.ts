// The launcher's control API (loopback by default): what `raftkv ctl` talks
// to. Faults other than kill/restart go through each node's link filter, so
// no root or iptables is needed.

import http from 'node:http';
import type { Launcher } from './launcher.js';

export interface ControlServer {
  port: number;
  close(): Promise<void>;
}

export interface NodeRow {
  id: string;
  state: string;
  role: string;
  term: number | null;
  commit: number | null;
  applied: number | null;
  leader: string;
  cutOff: boolean;
  /** OS process id: its own in process isolation, the launcher's in thread isolation. */
  pid: number | null;
  /** The node's shard, in a sharded cluster. */
  shard?: string;
}

class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function clusterRows(launcher: Launcher): Promise<NodeRow[]> {
  const statuses = await launcher.statuses();
  return launcher.ids.map((id) => {
    const s = statuses.get(id);
    return {
      id,
      state: launcher.stateOf(id),
      role: s?.role ?? '-',
      term: s?.term ?? null,
      commit: s?.commit ?? null,
      applied: s?.applied ?? null,
      leader: s?.leader ?? '',
      cutOff: launcher.isCutOff(id),
      pid: launcher.pidOf(id) ?? null,
      ...(launcher.shardOf(id) !== undefined ? { shard: launcher.shardOf(id) } : {}),
    };
  });
}

export function startControlServer(launcher: Launcher, host: string, port: number): Promise<ControlServer> {
  const known = (id: string | undefined): string => {
    if (!id || !launcher.ids.includes(id)) throw new ControlError(404, `unknown node ${JSON.stringify(id)}; nodes: ${launcher.ids.join(', ')}`);
    return id;
  };
  const routes: Record<string, (arg: string | undefined, body: Record<string, unknown>) => Promise<unknown>> = {
    'GET status': async () => ({ isolation: launcher.isolation, nodes: await clusterRows(launcher), faults: launcher.faults() }),
    'GET leader': async (shard) => {
      const shards = [...new Set(launcher.ids.map((id) => launcher.shardOf(id)).filter((s) => s !== undefined))];
      if (shard !== undefined && !shards.includes(shard)) throw new ControlError(404, shards.length > 0 ? `unknown shard ${JSON.stringify(shard)}; shards: ${shards.join(', ')}` : 'this cluster has no shards');
      if (shard === undefined && shards.length > 0) {
        // Every shard's leader, for a sharded cluster.
        return { leaders: Object.fromEntries(await Promise.all(shards.map(async (s) => [s, (await launcher.leader(s)) ?? null] as const))) };
      }
      return { leader: (await launcher.leader(shard)) ?? null };
    },
    'GET memory': async () => {
      const heaps = await Promise.all(launcher.ids.map(async (id) => [id, (await launcher.heap(id)) ?? null] as const));
      const { rss, heapUsed } = process.memoryUsage();
      return { rss, launcherHeapUsed: heapUsed, nodes: Object.fromEntries(heaps) };
    },
    'POST kill': async (id) => {
      await launcher.killNode(known(id));
      return { ok: true, killed: id };
    },
    'POST restart': async (id) => {
      const n = known(id);
      if (launcher.stateOf(n) !== 'dead') await launcher.killNode(n);
      await launcher.startNode(n);
      return { ok: true, restarted: n };
    },
    'POST pause': async (id) => {
      launcher.pauseNode(known(id));
      return { ok: true, paused: id };
    },
    'POST resume': async (id) => {
      launcher.resumeNode(known(id));
      return { ok: true, resumed: id };
    },
    'POST partition': async (_arg, body) => {
      if (Array.isArray(body.groups)) {
        const groups = (body.groups as unknown[]).map((g) => (Array.isArray(g) ? g.map((x) => known(String(x))) : []));
        if (groups.length < 2 || groups.some((g) => g.length === 0)) throw new ControlError(400, 'a partition needs at least two non-empty groups');
        try {
          launcher.partition(groups);
        } catch (e) {
          throw new ControlError(400, (e as Error).message);
        }
      } else if (typeof body.from === 'string' && typeof body.to === 'string') {
        launcher.cutOneWay(known(body.from), known(body.to));
      } else {
        throw new ControlError(400, 'expected {"groups": [["a","b"],["c"]]} or {"from": "a", "to": "b"}');
      }
      return { ok: true, faults: launcher.faults() };
    },
    'POST heal': async () => {
      launcher.heal();
      return { ok: true };
    },
    'POST delay': async (_arg, body) => {
      const ms = Number(body.ms);
      if (!(ms >= 0)) throw new ControlError(400, 'expected {"ms": N}');
      launcher.degrade('delay', ms, Array.isArray(body.nodes) ? body.nodes.map((x) => known(String(x))) : undefined);
      return { ok: true, faults: launcher.faults() };
    },
    'POST loss': async (_arg, body) => {
      const pct = Number(body.pct);
      if (!(pct >= 0 && pct <= 100)) throw new ControlError(400, 'expected {"pct": 0..100}');
      launcher.degrade('loss', pct, Array.isArray(body.nodes) ? body.nodes.map((x) => known(String(x))) : undefined);
      return { ok: true, faults: launcher.faults() };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024) chunks.push(c);
    });
    req.on('end', () => {
      const [, cmd, arg] = (req.url ?? '/').split('?')[0]!.split('/');
      const answer = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const route = routes[`${req.method} ${cmd}`];
      if (!route) return answer(404, { error: `no control command ${req.method} /${cmd ?? ''}` });
      let body: Record<string, unknown> = {};
      try {
        if (size > 64 * 1024) throw new ControlError(413, 'body too large');
        const text = Buffer.concat(chunks).toString('utf8');
        if (text) body = JSON.parse(text) as Record<string, unknown>;
      } catch (e) {
        return answer(e instanceof ControlError ? e.status : 400, { error: e instanceof ControlError ? e.message : `malformed JSON: ${(e as Error).message}` });
      }
      route(arg ? decodeURIComponent(arg) : undefined, body).then(
        (r) => answer(200, r),
        (e: unknown) => answer(e instanceof ControlError ? e.status : 409, { error: e instanceof Error ? e.message : String(e) }),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({
        port: addr.port,
        close: () => new Promise((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
