// Key scans over HTTP: GET /keys (names, paged by the last key) and GET
// /range (keys with their values and revisions), in key order, at any read
// level. The router merges the pages of its shards (shard/router-routes.ts).

import { badRequest } from '../common/errors.js';
import { scanKeys } from '../node/scan.js';
import { friendlyJson } from '../node/types/json.js';
import type { ReadLevel } from '../node/types.js';
import { parseReadLevel } from './kv-rules.js';
import type { Reply, RequestContext } from './router.js';

export const DEFAULT_SCAN_LIMIT = 1000;
export const MAX_SCAN_LIMIT = 10_000;

export function scanLimit(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_SCAN_LIMIT;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < 1 || n > MAX_SCAN_LIMIT) throw badRequest(`limit must be an integer from 1 to ${MAX_SCAN_LIMIT}`);
  return n;
}

function optional(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}

/** The read level of a scan (a `leader` scan on a follower is refused with the leader's name, not forwarded). */
function level(ctx: RequestContext): ReadLevel {
  return parseReadLevel(ctx.query.get('level') ?? 'linearizable');
}

/** GET /keys?prefix=p&after=k&limit=n: `{"keys": [...], "more": bool, "next": k}` (pass `next` as `after` for the next page). */
export async function listKeys(ctx: RequestContext): Promise<Reply> {
  const limit = scanLimit(ctx.query);
  const kv = await ctx.front.read(level(ctx));
  const page = scanKeys(kv, { prefix: optional(ctx.query, 'prefix'), after: optional(ctx.query, 'after'), limit });
  const more = page.next !== undefined;
  return { status: 200, json: { keys: page.keys, more, ...(more ? { next: page.next } : {}) } };
}

/** GET /range?from=a&to=b&limit=n: keys in [from, to) with values and revisions. */
export async function rangeKeys(ctx: RequestContext): Promise<Reply> {
  const limit = scanLimit(ctx.query);
  const kv = await ctx.front.read(level(ctx));
  const now = kv.now();
  const page = scanKeys(kv, { from: optional(ctx.query, 'from'), to: optional(ctx.query, 'to'), after: optional(ctx.query, 'after'), limit }, now);
  // A hash, list, set or sorted set comes as its JSON form (as GET /key answers it), marked with its type.
  const kvs = page.keys.map((key) => {
    const typed = kv.typedValue(key, now);
    if (typed) return { key, type: typed.type, value: friendlyJson(typed), revision: kv.revision(key, now) };
    return { key, value: kv.get(key, now) ?? null, revision: kv.revision(key, now) };
  });
  const more = page.next !== undefined;
  return { status: 200, json: { kvs, more, ...(more ? { next: page.next } : {}) } };
}
