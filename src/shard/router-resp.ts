// The router's Redis protocol front: the node's RESP front and command table,
// over a NodeApi made of the router. Each connection gets its own view, so
// the keys a read fetched from the shards are the ones its commands read.

import type { NodeApi } from '../api/node-api.js';
import { NodeError, badRequest } from '../common/errors.js';
import { KvState, type KvCommand, type KvResult } from '../node/kv-state.js';
import { commandKeys } from './shard-guard.js';
import type { NodeStatus, ReadLevel } from '../node/types.js';
import type { Router } from './router.js';

const notHere = (what: string): NodeError => badRequest(`${what} is a node's operation, not the router's`);

/** What one RESP connection on the router sees as its node. */
export function routerNodeApi(router: Router, addrs: { http: string; resp: string }): NodeApi {
  let kv = new KvState();
  return {
    id: 'router',
    partial: true,
    propose: (cmd) => (cmd.op === 'batch' ? proposeBatch(router, cmd.cmds) : router.propose(cmd)),
    proposeLocal: () => Promise.reject(notHere('a forwarded proposal')),
    async readBarrier(level: ReadLevel, keys: readonly string[] = []): Promise<void> {
      // The read's keys, fetched from their shards at the connection's level.
      const values = keys.length > 0 ? await router.mgetTyped(keys, level) : [];
      const data = new Map<string, string>();
      keys.forEach((k, i) => {
        const v = values[i];
        if (typeof v === 'string') data.set(k, v);
      });
      kv = new KvState(data);
      keys.forEach((k, i) => {
        const v = values[i];
        if (typeof v === 'object') kv.keyspace.values.set(k, v);
      });
    },
    get kv() {
      return kv;
    },
    status: (): NodeStatus => ({
      id: 'router',
      // The router takes writes for every shard: to clients it is a master.
      role: 'leader',
      term: 0,
      leader: 'router',
      leaderHttp: addrs.http,
      commit: 0,
      applied: 0,
      firstIndex: 0,
      lastIndex: 0,
      lastTerm: 0,
      snapshotIndex: 0,
      snapshotTerm: 0,
      confIndex: 0,
      voters: [],
      learners: [],
      members: { router: { raft: '', http: addrs.http, resp: addrs.resp } },
      lastContactMs: 0,
      keys: router.dbsize(),
      paused: false,
      progress: {},
      addrs: { raft: '', http: addrs.http, resp: addrs.resp },
    }),
    join: () => Promise.reject(notHere('join')),
    remove: () => Promise.reject(notHere('remove')),
    transferLeadership: () => Promise.reject(notHere('transfer')),
    httpOf: () => undefined,
  };
}

/**
 * A pipeline's writes, split per shard: each shard's part is one batch
 * there (all in parallel), and the results come back in pipeline order. As
 * on a node, one bad command refuses the whole batch before anything is
 * written: here, a command whose own keys span shards.
 */
async function proposeBatch(router: Router, cmds: KvCommand[]): Promise<KvResult> {
  const groups = new Map<string, number[]>();
  for (const [i, c] of cmds.entries()) {
    const shards = new Set(commandKeys(c).map((k) => router.shardOf(k)));
    // The router refuses such a command (CROSSSLOT) before sending anything: let it word the error.
    if (shards.size !== 1) return router.propose(c);
    const shard = [...shards][0]!;
    groups.set(shard, [...(groups.get(shard) ?? []), i]);
  }
  const results: KvResult[] = new Array<KvResult>(cmds.length);
  await Promise.all(
    [...groups.values()].map(async (idx) => {
      const r = idx.length === 1 ? await router.propose(cmds[idx[0]!]!) : await router.propose({ op: 'batch', cmds: idx.map((i) => cmds[i]!) });
      if (idx.length === 1) results[idx[0]!] = r;
      else if ('results' in r) idx.forEach((i, j) => (results[i] = r.results[j]!));
      else idx.forEach((i) => (results[i] = r)); // the whole entry refused (a stale session)
    }),
  );
  return { ok: true, results };
}
