// The router in front of the shards: each key goes to the shard that owns
// its hash slot, to that shard's current leader. Both of its fronts (HTTP
// here; RESP once it lands) call these operations and nothing else.

import { validateKey } from '../api/kv-rules.js';
import { NodeError, badRequest } from '../node/errors.js';
import type { KvCommand, KvResult } from '../node/kv-state.js';
import type { ReadLevel } from '../node/types.js';
import { commandKeys } from '../node/shard-guard.js';
import { ShardClient, errorOf, type ShardMember, type ShardView } from './shard-client.js';
import { SlotMap } from './slot-map.js';
import { SLOT_COUNT, keySlot, type SlotRange } from './slots.js';

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

  async get(key: string, level: ReadLevel = 'linearizable'): Promise<string | undefined> {
    validateKey(key);
    const a = await this.#clientOf(key).read('GET', `/key/${encodeURIComponent(key)}?level=${level}`);
    if (a.status === 404) {
      if (a.json?.code === 'RAFTKV_ERR_NOT_FOUND') return undefined;
      throw errorOf(a);
    }
    const v = a.json?.[key];
    if (typeof v !== 'string') throw new NodeError('RAFTKV_ERR_INTERNAL', `shard ${this.shardOf(key)} answered a read of ${JSON.stringify(key)} without its value`);
    return v;
  }

  /**
   * Several keys, gathered from every shard that owns some of them (one
   * request per shard, in parallel). Each shard's part is read at `level`;
   * the parts are not one snapshot across shards.
   */
  async mget(keys: readonly string[], level: ReadLevel = 'linearizable'): Promise<(string | undefined)[]> {
    if (keys.length === 0) throw badRequest('name at least one key');
    for (const k of keys) validateKey(k);
    const groups = new Map<number, Set<string>>();
    for (const k of keys) {
      const i = this.#map.indexOfKey(k);
      let g = groups.get(i);
      if (!g) groups.set(i, (g = new Set()));
      g.add(k);
    }
    const values = new Map<string, string | undefined>();
    await Promise.all(
      [...groups].map(async ([i, g]) => {
        const a = await this.#clients[i]!.read('POST', `/mget?level=${level}`, { keys: [...g] });
        if (a.status !== 200 || !a.json) throw errorOf(a);
        for (const k of g) {
          const v = Object.hasOwn(a.json, k) ? a.json[k] : undefined;
          values.set(k, typeof v === 'string' ? v : undefined);
        }
      }),
    );
    return keys.map((k) => values.get(k));
  }

  /** Set every pair atomically: all keys must belong to one shard. */
  async set(kv: [string, string][]): Promise<void> {
    if (kv.length === 0) throw badRequest('name at least one key');
    check(await this.propose({ op: 'set', kv }));
  }

  /** Delete keys (all of one shard); answers how many existed. */
  async del(keys: string[]): Promise<number> {
    const r = check(await this.propose({ op: 'del', keys }));
    return 'count' in r ? r.count : 0;
  }

  async cas(key: string, expect: string | null, value: string): Promise<{ swapped: boolean; value: string | null }> {
    const r = check(await this.propose({ op: 'cas', key, expect, value }));
    if (!('swapped' in r)) throw new NodeError('RAFTKV_ERR_INTERNAL', 'compare-and-swap answered without "swapped"');
    return { swapped: r.swapped, value: r.value };
  }

  /**
   * Any state machine command (the RESP front's INCR, APPEND, SET NX...):
   * replicated on the one shard that owns its keys, exactly once however
   * often it is retried. Keys of several shards are refused (CROSSSLOT).
   */
  async propose(cmd: KvCommand): Promise<KvResult> {
    const keys = commandKeys(cmd);
    for (const k of keys) validateKey(k);
    return this.#clients[this.#oneShard(keys)]!.propose(cmd);
  }

  /** Keys held by the shards' leaders at their last status poll. */
  dbsize(): number {
    return this.#clients.reduce((n, c) => n + c.leaderKeys(), 0);
  }

  /** Slot ranges, members, leaders and terms (polled now). */
  async view(): Promise<ShardsView> {
    return { slots: SLOT_COUNT, shards: await Promise.all(this.#clients.map((c) => c.view())) };
  }

  #clientOf(key: string): ShardClient {
    return this.#clients[this.#map.indexOfKey(key)]!;
  }

  /** The one shard that owns every key; CROSSSLOT when they are spread over several. */
  #oneShard(keys: readonly string[]): number {
    if (keys.length === 0) throw badRequest('name at least one key');
    const first = this.#map.indexOfKey(keys[0]!);
    for (const k of keys) {
      const i = this.#map.indexOfKey(k);
      if (i === first) continue;
      const a = keys[0]!;
      throw new NodeError(
        'RAFTKV_ERR_CROSSSLOT',
        `keys of one write must belong to one shard: ${JSON.stringify(a)} (slot ${keySlot(a)}) is on shard ${this.#clients[first]!.id}, ` +
          `${JSON.stringify(k)} (slot ${keySlot(k)}) on shard ${this.#clients[i]!.id}; a hash tag keeps keys together, e.g. {user1}.name and {user1}.email`,
        '',
        { shards: `${this.#clients[first]!.id},${this.#clients[i]!.id}` },
      );
    }
    return first;
  }
}

/** set, del and cas never fail in the state machine; a refusal here means a broken session. */
function check(result: KvResult): KvResult {
  if (result.ok) return result;
  throw new NodeError('RAFTKV_ERR_INTERNAL', `the shard refused the write: ${result.error}`);
}
