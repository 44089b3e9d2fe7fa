// The router behind the fronts: the front contract (api/front.ts) made of
// the router, for its HTTP front (the one route table, with the router's own
// rows: router-routes.ts) and its RESP front (the one command table). A read
// resolves to the keys it named, fetched from their shards; what needs the
// whole keyspace, or revisions and expiry the router does not fetch, is
// refused with an error that says so.

import type { Front, FrontStatus, KvView } from '../api/front.js';
import { badRequest, type NodeError } from '../common/errors.js';
import { KvState, type KvCommand, type KvResult } from '../node/kv-state.js';
import { commandKeys } from './shard-guard.js';
import type { TypedOutcome } from '../node/types/registry.js';
import type { TypedValue } from '../node/types/values.js';
import type { ReadLevel } from '../node/types.js';
import type { Router } from './router.js';

/** The router's front: the contract, and the router itself for its own HTTP rows. */
export interface RouterFront extends Front {
  readonly router: Router;
}

/** Where the router's fronts listen (known once they do: a port may be 0 until then). */
export interface RouterAddrs {
  http: string;
  resp?: string;
}

export function routerFront(router: Router, addrs: () => RouterAddrs): RouterFront {
  return {
    router,
    propose: (cmd) => (cmd.op === 'batch' ? proposeBatch(router, cmd.cmds) : router.propose(cmd)),
    async read(level: ReadLevel, keys: readonly string[] = []): Promise<KvView> {
      // The read's keys, fetched from their shards at the read's level.
      return new FetchedKeys(router, keys, keys.length > 0 ? await router.mgetTyped(keys, level) : []);
    },
    status: (): FrontStatus => {
      const { http, resp } = addrs();
      return {
        id: 'router',
        // It takes the writes of every shard itself: to clients, the router is where writes go.
        role: 'router',
        leader: 'router',
        leaderHttp: http,
        members: { router: { raft: '', http, ...(resp ? { resp } : {}) } },
        keys: router.dbsize(),
      };
    },
    extras: { requests: router.requests, metricsText: () => router.metricsText() },
  };
}

/** The keys one read named, as their shards answered them. */
class FetchedKeys implements KvView {
  readonly #kv: KvState;
  readonly #router: Router;

  constructor(router: Router, keys: readonly string[], values: readonly (string | TypedValue | undefined)[]) {
    this.#router = router;
    const data = new Map<string, string>();
    keys.forEach((k, i) => {
      const v = values[i];
      if (typeof v === 'string') data.set(k, v);
    });
    this.#kv = new KvState(data);
    keys.forEach((k, i) => {
      const v = values[i];
      if (typeof v === 'object') this.#kv.keyspace.values.set(k, v);
    });
  }

  now(): number {
    return this.#kv.now();
  }

  get(key: string, now?: number): string | undefined {
    return this.#kv.get(key, now);
  }

  has(key: string, now?: number): boolean {
    return this.#kv.has(key, now);
  }

  typedValue(key: string, now?: number): TypedValue | undefined {
    return this.#kv.typedValue(key, now);
  }

  readTyped(name: string, args: string[]): TypedOutcome {
    return this.#kv.readTyped(name, args);
  }

  /** Keys held by the shards' leaders at their last status poll (DBSIZE). */
  size(): number {
    return this.#router.dbsize();
  }

  sortedKeys(reader?: string): never {
    throw badRequest(`${reader ?? 'a scan of the whole keyspace'} is not served by the router: send it to a node of each shard, or use the router's GET /keys`);
  }

  revision(): never {
    throw valuesOnly();
  }

  pttl(): never {
    throw valuesOnly();
  }

  deadline(): never {
    throw valuesOnly();
  }
}

function valuesOnly(): NodeError {
  return badRequest("the router reads values only, not their revisions or expiry: ask a node of the key's shard");
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
