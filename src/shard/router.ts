// The router in front of the shards: each key goes to the shard that owns
// its hash slot, to that shard's current leader. Its fronts reach it through
// the front contract (router-front.ts: propose, mgetTyped, dbsize) and its
// own HTTP rows (router-routes.ts: set, view, eachShard).

import { fromTagged } from '../node/types/json.js';
import type { TypedValue } from '../node/types/values.js';
import { validateKey } from '../api/kv-rules.js';
import { badRequest, crossSlot, internal } from '../common/errors.js';
import type { KvCommand, KvResult, Ttl } from '../node/kv-state.js';
import type { ReadLevel } from '../node/types.js';
import { commandKeys } from './shard-guard.js';
import { ShardClient, type ShardMember, type ShardView } from './shard-client.js';
import { answerError } from '../node/internal-client.js';
import { SlotMap } from '../common/slot-map.js';
import { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge, type Labels } from '../node/metric-tallies.js';
import { RequestMeter } from '../node/request-meter.js';
import { SLOT_COUNT, keySlot, type SlotRange } from '../common/slots.js';

export interface RouterShard {
  id: string;
  slots: SlotRange[];
  members: ShardMember[];
}

import type { InternalHttp } from '../security/internal-http.js';

export interface RouterOptions {
  shards: RouterShard[];
  /** A request's whole budget, retries included. */
  timeoutMs: number;
  /** One attempt's budget (default: a fifth of timeoutMs, at most 1 s). */
  attemptMs?: number;
  /** Status polling period (default 1 s); failures poll at once. */
  pollMs?: number;
  /** The cluster token (the router speaks to nodes as a member). */
  clusterToken: string;
  /** http, or https trusting the cluster CA. */
  http?: InternalHttp;
  log?: (msg: string, fields: Record<string, unknown>) => void;
}

/** GET /shards. */
export interface ShardsView {
  slots: number;
  shards: ShardView[];
}

export class Router {
  readonly #map: SlotMap;
  readonly #clients: ShardClient[];

  constructor(opts: RouterOptions) {
    this.#map = new SlotMap(opts.shards.map((s) => ({ id: s.id, slots: s.slots })));
    const attemptMs = opts.attemptMs ?? Math.min(1000, Math.max(100, Math.floor(opts.timeoutMs / 5)));
    this.#clients = opts.shards.map(
      (s) => new ShardClient({ id: s.id, slots: s.slots, members: s.members, timeoutMs: opts.timeoutMs, attemptMs, pollMs: opts.pollMs ?? 1000, clusterToken: opts.clusterToken, ...(opts.http ? { http: opts.http } : {}), log: opts.log }),
    );
  }

  start(): void {
    for (const c of this.#clients) c.start();
  }

  close(): void {
    for (const c of this.#clients) c.close();
  }

  /** The id of the shard that owns a key. */
  shardOf(key: string): string {
    return this.#clients[this.#map.indexOfKey(key)]!.id;
  }

  /**
   * Several keys, gathered from every shard that owns some of them (one
   * request per shard, in parallel), strings and typed values alike. Each
   * shard's part is read at `level`; the parts are not one snapshot across shards.
   */
  async mgetTyped(keys: readonly string[], level: ReadLevel): Promise<(string | TypedValue | undefined)[]> {
    if (keys.length === 0) throw badRequest('name at least one key');
    for (const k of keys) validateKey(k);
    const groups = new Map<number, Set<string>>();
    for (const k of keys) {
      const i = this.#map.indexOfKey(k);
      let g = groups.get(i);
      if (!g) groups.set(i, (g = new Set()));
      g.add(k);
    }
    const values = new Map<string, string | TypedValue | undefined>();
    await Promise.all(
      [...groups].map(async ([i, g]) => {
        const a = await this.#clients[i]!.read('POST', `/mget?level=${level}&typed=1`, { keys: [...g] });
        if (a.status !== 200 || !a.json) throw answerError(a);
        for (const k of g) {
          const v = (Object.hasOwn(a.json, k) ? a.json[k] : undefined) as unknown;
          values.set(k, typeof v === 'string' ? v : fromTagged(v));
        }
      }),
    );
    return keys.map((k) => values.get(k));
  }

  /** Set every pair atomically: all keys must belong to one shard. */
  async set(kv: [string, string][], ttl?: Ttl): Promise<void> {
    if (kv.length === 0) throw badRequest('name at least one key');
    check(await this.propose({ op: 'set', kv, ...(ttl ? { ttl } : {}) }));
  }

  /**
   * Any state machine command (the RESP front's INCR, APPEND, SET NX...):
   * replicated on the one shard that owns its keys, exactly once however
   * often it is retried. Keys of several shards are refused (CROSSSLOT).
   */
  async propose(cmd: KvCommand): Promise<KvResult> {
    const keys = commandKeys(cmd);
    for (const k of keys) validateKey(k);
    // A transaction (EXEC, POST /txn) keeps Redis Cluster's rule: one slot, not merely one shard.
    if (cmd.op === 'txn' || (cmd.op === 'batch' && cmd.cmds.some((c) => c.op === 'txn'))) oneSlot(keys);
    return this.#clients[this.#oneShard(keys)]!.propose(cmd);
  }

  /**
   * A read of every shard (scans), in parallel: `fn` gets a reader of a path
   * on that shard, which answers the JSON of a 200 or throws the shard's error.
   */
  eachShard<T>(fn: (read: (path: string) => Promise<Record<string, unknown>>) => Promise<T>): Promise<T[]> {
    return Promise.all(
      this.#clients.map((c) =>
        fn(async (path) => {
          const a = await c.read('GET', path);
          if (a.status !== 200 || !a.json) throw answerError(a);
          return a.json as Record<string, unknown>;
        }),
      ),
    );
  }

  /** Keys held by the shards' leaders at their last status poll. */
  dbsize(): number {
    return this.#clients.reduce((n, c) => n + c.leaderKeys(), 0);
  }

  /** Where the router's fronts count their requests. */
  readonly requests = new RequestMeter();
  #registry: Registry | undefined;

  /** The router's /metrics: its requests, and per shard the leader it follows, leader changes, forwarded requests and retries. */
  async metricsText(): Promise<{ contentType: string; text: string }> {
    if (!this.#registry) {
      const r = new Registry();
      const clients = this.#clients;
      scrapedGauge(r, 'raftkv_router_shard_leader', 'The leader the router sends each shard\'s requests to (1, labelled by shard and leader id).', ['shard', 'leader'], () =>
        clients.filter((c) => c.leader !== undefined).map((c) => [{ shard: c.id, leader: c.leader! }, 1] as const),
      );
      scrapedCounter(r, 'raftkv_router_shard_leader_changes_total', 'Times the router learned of a new leader, per shard.', ['shard'], () => clients.map((c) => [{ shard: c.id }, c.leaderChanges] as const));
      const byOp = (read: (c: ShardClient) => { write: number; read: number }): (readonly [Labels, number])[] =>
        clients.flatMap((c) => (['write', 'read'] as const).map((op) => [{ shard: c.id, op }, read(c)[op]] as const));
      scrapedCounter(r, 'raftkv_router_forwarded_total', 'Requests the router sent on to a shard member (every attempt), by shard and operation.', ['shard', 'op'], () => byOp((c) => c.forwarded));
      scrapedCounter(r, 'raftkv_router_retries_total', 'Attempts that were retries (after no leader, a lost answer, a timeout), by shard and operation.', ['shard', 'op'], () => byOp((c) => c.retries));
      this.requests.register(r);
      this.#registry = r;
    }
    return { contentType: this.#registry.contentType, text: await this.#registry.metrics() };
  }

  /** Slot ranges, members, leaders and terms (polled now). */
  async view(): Promise<ShardsView> {
    return { slots: SLOT_COUNT, shards: await Promise.all(this.#clients.map((c) => c.view())) };
  }

  /** The one shard that owns every key; CROSSSLOT when they are spread over several. */
  #oneShard(keys: readonly string[]): number {
    if (keys.length === 0) throw badRequest('name at least one key');
    const first = this.#map.indexOfKey(keys[0]!);
    for (const k of keys) {
      const i = this.#map.indexOfKey(k);
      if (i === first) continue;
      const a = keys[0]!;
      throw crossSlot(
        `keys of one write must belong to one shard: ${JSON.stringify(a)} (slot ${keySlot(a)}) is on shard ${this.#clients[first]!.id}, ` +
          `${JSON.stringify(k)} (slot ${keySlot(k)}) on shard ${this.#clients[i]!.id}; a hash tag keeps keys together, e.g. {user1}.name and {user1}.email`,
        { shards: `${this.#clients[first]!.id},${this.#clients[i]!.id}` },
      );
    }
    return first;
  }
}

function oneSlot(keys: readonly string[]): void {
  if (keys.length === 0) return;
  const slot = keySlot(keys[0]!);
  for (const k of keys) {
    if (keySlot(k) !== slot) {
      throw crossSlot(
        `keys of one transaction must hash to one slot: ${JSON.stringify(keys[0])} is in slot ${slot}, ${JSON.stringify(k)} in slot ${keySlot(k)}; a hash tag keeps keys together, e.g. {user1}.name and {user1}.email`,
      );
    }
  }
}

/** set, del and cas never fail in the state machine; a refusal here means a broken session. */
function check(result: KvResult): KvResult {
  if (result.ok) return result;
  throw internal(`the shard refused the write: ${result.error}`);
}
