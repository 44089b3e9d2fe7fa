// The chaos load: history clients run put / get / delete / cas, puts with a
// TTL (POST /key?ttl=) and one-key transactions (POST /txn) on a few hot
// keys (every written value unique, so the checker can tell writes apart),
// and writers add a plain write load on unique keys, each acknowledged one
// to be read back at the end.

import type { KvInput, KvOutput } from '../check/linearizability.js';
import type { SeededRand } from '../raft/rand.js';
import type { History } from './history.js';
import type { ChaosHttp } from './http-client.js';
import type { TimelineRecorder } from './timeline.js';
import { sleep } from '../kit/wait.js';

export interface Target {
  /** Base URLs of the nodes worth sending to now (not known dead). */
  live(): string[];
  /** How to call them (plain, or TLS with the token). */
  http: ChaosHttp;
}

export interface ClientStats {
  ok: number;
  failed: number;
  unknownWrites: number;
  byOp: Record<KvInput['op'], number>;
}

export const newClientStats = (): ClientStats => ({ ok: 0, failed: 0, unknownWrites: 0, byOp: { get: 0, put: 0, delete: 0, cas: 0, putex: 0, txn: 0 } });

/** When the load stops; shared so that it can be moved earlier. */
export interface StopAt {
  at: number;
}

export interface ClientOptions {
  id: number;
  keys: string[];
  rand: SeededRand;
  history: History;
  target: Target;
  stop: StopAt;
  timeoutMs: number;
  stats: ClientStats;
  /** Counts each answer (and failure) in its second of the run, for the report page. */
  timeline?: TimelineRecorder;
}

function pick<T>(rand: SeededRand, xs: readonly T[]): T {
  return xs[rand.int(xs.length)]!;
}

/** One history client: one op at a time, like a real client, until the stop time. */
export async function runHistoryClient(o: ClientOptions): Promise<void> {
  let seq = 0;
  const seen = new Map<string, string | null>();
  while (Date.now() < o.stop.at) {
    const urls = o.target.live();
    if (urls.length === 0) {
      await sleep(50);
      continue;
    }
    const base = pick(o.rand, urls);
    const key = pick(o.rand, o.keys);
    const value = `c${o.id}-${++seq}`;
    const r = o.rand.next();
    const expect = seen.get(key) ?? null;
    // TTLs short enough that keys expire under the clients' eyes, in whole milliseconds.
    const ttlMs = 100 + o.rand.int(1900);
    const input: KvInput =
      r < 0.4
        ? { op: 'get', key }
        : r < 0.6
          ? { op: 'put', key, value }
          : r < 0.7
            ? { op: 'putex', key, value, ttlMs }
            : r < 0.8
              ? { op: 'cas', key, expect, value }
              : r < 0.9
                ? { op: 'txn', key, expect, value }
                : { op: 'delete', key };
    o.stats.byOp[input.op]++;
    const done = o.history.begin(o.id, input);
    const output = await perform(o.target.http, base, input, o.timeoutMs);
    o.timeline?.op(!('unknown' in output));
    if ('unknown' in output) {
      o.stats.failed++;
      // A failed read changed nothing: leave it out. A failed write may still take effect.
      if (input.op === 'get') o.history.forget(o.id, input);
      else {
        o.stats.unknownWrites++;
        done(output);
      }
      await sleep(10);
      continue;
    }
    o.stats.ok++;
    done(output);
    if (input.op === 'get') seen.set(key, output.value ?? null);
    else if (input.op === 'cas' || input.op === 'txn') seen.set(key, output.swapped ? input.value : (output.value ?? null));
    else seen.set(key, input.op === 'put' || input.op === 'putex' ? input.value : null);
  }
}

async function perform(http: ChaosHttp, base: string, input: KvInput, timeoutMs: number): Promise<KvOutput> {
  const key = encodeURIComponent(input.key);
  switch (input.op) {
    case 'get': {
      const o = await http.call('GET', `${base}/key/${key}?level=linearizable`, undefined, timeoutMs);
      if ('failure' in o) return { unknown: true };
      if (o.answer.status === 200) {
        const v = o.answer.json?.[input.key];
        return typeof v === 'string' ? { ok: true, value: v } : { unknown: true };
      }
      if (o.answer.status === 404 && o.answer.json?.code === 'RAFTKV_ERR_NOT_FOUND') return { ok: true, value: null };
      return { unknown: true };
    }
    case 'put':
    case 'putex': {
      const ttl = input.op === 'putex' ? `?ttl=${input.ttlMs / 1000}` : '';
      const o = await http.call('POST', `${base}/key${ttl}`, { [input.key]: input.value }, timeoutMs);
      return 'answer' in o && o.answer.status === 200 ? { ok: true } : { unknown: true };
    }
    case 'txn': {
      const compare = input.expect === null ? { key: input.key, target: 'exists', result: 'equal', exists: false } : { key: input.key, target: 'value', result: 'equal', value: input.expect };
      const o = await http.call('POST', `${base}/txn`, { compare: [compare], success: [{ put: { key: input.key, value: input.value } }], failure: [{ get: { key: input.key } }] }, timeoutMs);
      if ('failure' in o || o.answer.status !== 200) return { unknown: true };
      const succeeded = o.answer.json?.succeeded;
      if (typeof succeeded !== 'boolean') return { unknown: true };
      if (succeeded) return { ok: true, swapped: true };
      const got = (o.answer.json?.results as { get?: { value?: unknown } }[] | undefined)?.[0]?.get;
      if (!got) return { unknown: true };
      return { ok: true, swapped: false, value: typeof got.value === 'string' ? got.value : null };
    }
    case 'delete': {
      const o = await http.call('DELETE', `${base}/key/${key}`, undefined, timeoutMs);
      return 'answer' in o && o.answer.status === 200 ? { ok: true } : { unknown: true };
    }
    case 'cas': {
      const o = await http.call('POST', `${base}/cas`, { key: input.key, expect: input.expect, value: input.value }, timeoutMs);
      if ('failure' in o || o.answer.status !== 200) return { unknown: true };
      const swapped = o.answer.json?.swapped;
      const value = o.answer.json?.value;
      if (typeof swapped !== 'boolean') return { unknown: true };
      // The checker's cas value is the one seen before the op; a swap answers with the new one.
      if (swapped) return { ok: true, swapped };
      return { ok: true, swapped, value: typeof value === 'string' ? value : null };
    }
  }
}

export interface WriterOptions {
  id: number;
  rand: SeededRand;
  target: Target;
  stop: StopAt;
  timeoutMs: number;
  /** Acknowledged writes: key -> value. */
  acked: Map<string, string>;
  stats: { ok: number; failed: number };
}

/** A plain write load: unique keys, one request at a time per writer. */
export async function runWriter(o: WriterOptions): Promise<void> {
  let seq = 0;
  while (Date.now() < o.stop.at) {
    const urls = o.target.live();
    if (urls.length === 0) {
      await sleep(50);
      continue;
    }
    const key = `w${o.id}-${++seq}`;
    const value = `v${seq}`;
    const r = await o.target.http.call('POST', `${pick(o.rand, urls)}/key`, { [key]: value }, o.timeoutMs);
    if ('answer' in r && r.answer.status === 200) {
      o.stats.ok++;
      o.acked.set(key, value);
    } else {
      o.stats.failed++;
      await sleep(10);
    }
  }
}
