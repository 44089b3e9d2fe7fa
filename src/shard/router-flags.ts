// `raftkv router`'s shards from the command line, as the old distributor was
// run: a list of node addresses per shard. Each node is asked who it is
// (GET /status) unless the flag names it (`node0@10.0.0.1:11000`); the
// result is the `shards` of a cluster config, checked like any config file.

import { setTimeout as sleep } from 'node:timers/promises';
import { onHost, LOOPBACK } from '../node/this-host.js';
import { InternalClient } from '../node/internal-client.js';
import type { NodeStatus } from '../node/types.js';
import type { InternalHttp } from '../security/internal-http.js';

export interface ShardSpec {
  id: string;
  /** As written after the id ("0-8191"); absent: split evenly. */
  slots?: string;
  nodes: { id?: string; http: string }[];
}

/** The config's shard entry: what parseClusterConfig checks. */
export interface ShardConfigEntry {
  id: string;
  slots?: string;
  nodes: { id: string; http: string; raft: string; resp?: string }[];
}

const SPEC = /^([^:=\s]+)(?::([^=\s]+))?=(\S+)$/;

/** `ID[:SLOTS]=ADDR,ADDR,...`, each ADDR `host:port`, `:port` (this host) or `nodeid@host:port`. */
export function parseShardSpec(spec: string): ShardSpec {
  const m = SPEC.exec(spec);
  if (!m) throw new Error(`--shard ${JSON.stringify(spec)}: expected ID[:SLOTS]=ADDR,ADDR,..., for example s0=10.0.0.1:11000,10.0.0.2:11000 or s0:0-8191=:11100,:11101`);
  const nodes = m[3]!.split(',').filter(Boolean).map((a) => {
    const at = a.lastIndexOf('@');
    const http = at >= 0 ? a.slice(at + 1) : a;
    if (!/^[^\s@]*:\d{1,5}$/.test(http)) throw new Error(`--shard ${m[1]}: ${JSON.stringify(a)} is not host:port`);
    return { ...(at >= 0 ? { id: a.slice(0, at) } : {}), http: onHost(http, LOOPBACK) };
  });
  if (nodes.length === 0) throw new Error(`--shard ${m[1]}: name at least one node address`);
  return { id: m[1]!, ...(m[2] ? { slots: m[2] } : {}), nodes };
}

/**
 * Every node of every shard with its id and addresses, asking the nodes the
 * flags do not name (every `retryMs` until each has answered once: the router
 * may be started before its nodes). `say` reports who is still awaited.
 */
export async function resolveShards(specs: readonly ShardSpec[], say: (line: string) => void, asMember: { http: InternalHttp; clusterToken: string }, retryMs = 250): Promise<ShardConfigEntry[]> {
  const waited = new Set<string>();
  // As a member (the cluster token): on a secure cluster /status wants a user's token otherwise.
  const client = new InternalClient({ http: asMember.http, clusterToken: asMember.clusterToken, timeoutMs: 2000 });
  const ask = async (http: string): Promise<NodeStatus> => {
    for (;;) {
      const st = await client.json<NodeStatus>('GET', http, '/status').catch(() => undefined);
      if (st) return st;
      if (!waited.has(http)) say(`waiting for the node at ${http} to answer`);
      waited.add(http);
      await sleep(retryMs);
    }
  };
  return Promise.all(
    specs.map(async (s) => ({
      id: s.id,
      ...(s.slots ? { slots: s.slots } : {}),
      nodes: await Promise.all(
        s.nodes.map(async (n) => {
          const st = await ask(n.http);
          if (n.id !== undefined && n.id !== st.id) throw new Error(`--shard ${s.id}: the node at ${n.http} is ${st.id}, not ${n.id}`);
          return { id: st.id, http: n.http, raft: st.addrs.raft, ...(st.addrs.resp ? { resp: st.addrs.resp } : {}) };
        }),
      ),
    })),
  );
}
