// Scans through the router: each shard pages its own keys in order, and the
// router merges the pages. Every shard answers its first `limit` keys after
// the cursor, so the first `limit` of their union are the first `limit` of
// the whole keyspace after it.

import { scanLimit } from '../api/scan-routes.js';
import { compareKeys } from '../node/kv-state.js';
import type { Reply } from '../api/router.js';
import type { RouterContext } from './router-routes.js';

interface Page<T> {
  items: T[];
  more: boolean;
}

async function merged<T>(ctx: RouterContext, path: string, pick: (json: Record<string, unknown>) => T[], keyOf: (t: T) => string): Promise<Reply> {
  const limit = scanLimit(ctx.query);
  const query = new URLSearchParams(ctx.query);
  query.set('limit', String(limit));
  const pages: Page<T>[] = await ctx.front.router.eachShard(async (read) => {
    const json = await read(`${path}?${query.toString()}`);
    return { items: pick(json), more: json.more === true };
  });
  const all = pages.flatMap((p) => p.items).sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const items = all.slice(0, limit);
  const more = all.length > limit || pages.some((p) => p.more);
  return { status: 200, json: { [path === '/keys' ? 'keys' : 'kvs']: items, more, ...(more && items.length > 0 ? { next: keyOf(items[items.length - 1]!) } : {}) } };
}

export function routerListKeys(ctx: RouterContext): Promise<Reply> {
  return merged(ctx, '/keys', (j) => (Array.isArray(j.keys) ? (j.keys as string[]) : []), (k) => k);
}

export function routerRange(ctx: RouterContext): Promise<Reply> {
  type Kv = { key: string; value: string; revision: number };
  return merged(ctx, '/range', (j) => (Array.isArray(j.kvs) ? (j.kvs as Kv[]) : []), (kv) => kv.key);
}
