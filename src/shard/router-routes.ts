// The router's own HTTP rows, beside the one route table (api/routes.ts)
// that it serves like a node: GET /shards, the old distributor's POST /set,
// and in place of the node's scans and status, scans gathered from every
// shard and the shards' view.

import type { Reply, RequestContext, Route } from '../api/router.js';
import { parseJsonObject, stringValue, validateKey } from '../api/kv-rules.js';
import { routeTable } from '../api/routes.js';
import { badRequest } from '../common/errors.js';
import type { RouterFront } from './router-front.js';
import { routerListKeys, routerRange } from './router-scan.js';

export type RouterContext = RequestContext<RouterFront>;

const ok = (json: unknown): Reply => ({ status: 200, json });

/** The old distributor's write: {"clave": K, "valor": V} or {"key": K, "value": V}. */
async function distributorSet(ctx: RouterContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const [kf, vf] = 'clave' in body || 'valor' in body ? ['clave', 'valor'] : ['key', 'value'];
  const key = body[kf];
  if (typeof key !== 'string') throw badRequest(`expected {"clave": K, "valor": V} or {"key": K, "value": V}; field ${JSON.stringify(kf)} must be a string`);
  await ctx.front.router.set([[validateKey(key), stringValue(body, vf)]]);
  return ok({ ok: true, shard: ctx.front.router.shardOf(key) });
}

async function shards(ctx: RouterContext): Promise<Reply> {
  return ok(await ctx.front.router.view());
}

async function status(ctx: RouterContext): Promise<Reply> {
  return ok({ role: 'router', ...(await ctx.front.router.view()) });
}

/** The router's own rows: added to the one table, or put in place of its rows of the same method and path. */
export const ROUTER_OWN_ROUTES: readonly Route<RouterContext>[] = [
  { method: 'POST', pattern: '/set', body: true, kind: 'write', handler: distributorSet },
  { method: 'GET', pattern: '/keys', body: false, kind: 'read', handler: routerListKeys },
  { method: 'GET', pattern: '/range', body: false, kind: 'read', handler: routerRange },
  { method: 'GET', pattern: '/shards', body: false, handler: shards },
  { method: 'GET', pattern: '/status', body: false, handler: status },
];

/** The table the router serves: the one route table without the rows a node's admin, health and watch serve, with its own. */
export const ROUTER_ROUTES: readonly Route<RouterContext>[] = routeTable(new Set(), ROUTER_OWN_ROUTES);
