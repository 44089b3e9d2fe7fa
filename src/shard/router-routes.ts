// The router's HTTP API: the node's key-value routes (same paths, bodies and
// answers), multi-key reads gathered across shards, GET /shards, and the
// old distributor's POST /set.

import type { Reply, RequestBase, Route } from '../api/router.js';
import { parseJsonObject, parseReadLevel, validateKey } from '../api/kv-rules.js';
import { mgetBody } from '../api/routes.js';
import { badRequest, wrongTypeError, keyNotFound } from '../common/errors.js';
import type { ReadLevel } from '../node/types.js';
import type { Router } from './router.js';
import { parseTxnBody, txnReply } from '../api/txn-route.js';
import { parseTtlSeconds } from '../api/ttl.js';
import { routerListKeys, routerRange } from './router-scan.js';

export interface RouterContext extends RequestBase {
  router: Router;
}

const ok = (json: unknown): Reply => ({ status: 200, json });

function readLevel(ctx: RouterContext): ReadLevel {
  return parseReadLevel(ctx.query.get('level') ?? 'linearizable');
}

function stringValue(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw badRequest(`the value of ${JSON.stringify(name)} must be a string (got ${v === null ? 'null' : typeof v})`);
  return v;
}

async function setKeys(ctx: RouterContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const kv: [string, string][] = Object.keys(body).map((k) => [validateKey(k), stringValue(body, k)]);
  if (kv.length === 0) throw badRequest('the body names no key');
  const ttl = ctx.query.get('ttl');
  await ctx.router.set(kv, ttl === null ? undefined : parseTtlSeconds(ttl));
  return ok({ ok: true });
}

async function getKey(ctx: RouterContext): Promise<Reply> {
  const key = ctx.params[0]!;
  const value = await ctx.router.get(key, readLevel(ctx));
  if (value === undefined) throw keyNotFound(key);
  if (ctx.query.has('raw')) {
    if (typeof value !== 'string') throw wrongTypeError();
    return { status: 200, raw: value, contentType: 'application/octet-stream' };
  }
  return ok({ [key]: value });
}

async function getRaw(ctx: RouterContext): Promise<Reply> {
  ctx.query.set('raw', '');
  return getKey(ctx);
}

async function putRaw(ctx: RouterContext): Promise<Reply> {
  await ctx.router.set([[validateKey(ctx.params[0]!), ctx.body.toString('utf8')]]);
  return ok({ ok: true });
}

async function deleteKey(ctx: RouterContext): Promise<Reply> {
  return ok({ ok: true, deleted: await ctx.router.del([ctx.params[0]!]) });
}

async function cas(ctx: RouterContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const key = body.key;
  if (typeof key !== 'string' || key === '') throw badRequest('field "key" must be a non-empty string');
  const { expect, value } = body;
  if (expect !== null && typeof expect !== 'string') throw badRequest('field "expect" must be a string, or null for "the key must be absent"');
  if (typeof value !== 'string') throw badRequest('field "value" must be a string');
  return ok({ ok: true, ...(await ctx.router.cas(key, expect, value)) });
}

/** GET /mget?k=a&k=b or POST /mget {"keys": [...]}: gathered from every shard concerned. */
async function getMany(ctx: RouterContext): Promise<Reply> {
  const keys = ctx.method === 'GET' ? ctx.query.getAll('k') : mgetBody(parseJsonObject(ctx.body));
  const values = await ctx.router.mget(keys, readLevel(ctx));
  const out: Record<string, string | null> = Object.create(null);
  keys.forEach((k, i) => (out[k] = values[i] ?? null));
  return ok(out);
}

/** The old distributor's write: {"clave": K, "valor": V} or {"key": K, "value": V}. */
async function distributorSet(ctx: RouterContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const [kf, vf] = 'clave' in body || 'valor' in body ? ['clave', 'valor'] : ['key', 'value'];
  const key = body[kf];
  if (typeof key !== 'string') throw badRequest(`expected {"clave": K, "valor": V} or {"key": K, "value": V}; field ${JSON.stringify(kf)} must be a string`);
  await ctx.router.set([[validateKey(key), stringValue(body, vf)]]);
  return ok({ ok: true, shard: ctx.router.shardOf(key) });
}

/** POST /txn: on the one shard (and slot) that owns its keys. */
async function routerTxn(ctx: RouterContext): Promise<Reply> {
  const cmd = parseTxnBody(ctx.body);
  return txnReply(cmd, await ctx.router.propose(cmd));
}

async function shards(ctx: RouterContext): Promise<Reply> {
  return ok(await ctx.router.view());
}

async function status(ctx: RouterContext): Promise<Reply> {
  return ok({ role: 'router', ...(await ctx.router.view()) });
}

async function metrics(ctx: RouterContext): Promise<Reply> {
  const { contentType, text } = await ctx.router.metricsText();
  return { status: 200, raw: text, contentType };
}

export const ROUTER_ROUTES: readonly Route<RouterContext>[] = [
  { method: 'POST', pattern: '/key', body: true, kind: 'write', handler: setKeys },
  { method: 'GET', pattern: '/key/:k', body: false, kind: 'read', handler: getKey },
  { method: 'PUT', pattern: '/key/:k', body: true, kind: 'write', handler: putRaw },
  { method: 'DELETE', pattern: '/key/:k', body: false, kind: 'write', handler: deleteKey },
  { method: 'POST', pattern: '/files/:name', body: true, kind: 'write', handler: putRaw },
  { method: 'GET', pattern: '/files/:name', body: false, kind: 'read', handler: getRaw },
  { method: 'POST', pattern: '/db/:key', body: true, kind: 'write', handler: putRaw },
  { method: 'GET', pattern: '/db/:key', body: false, kind: 'read', handler: getRaw },
  { method: 'POST', pattern: '/cas', body: true, kind: 'write', handler: cas },
  { method: 'GET', pattern: '/mget', body: false, kind: 'read', handler: getMany },
  { method: 'POST', pattern: '/mget', body: true, access: 'read', kind: 'read', handler: getMany },
  { method: 'POST', pattern: '/set', body: true, kind: 'write', handler: distributorSet },
  { method: 'POST', pattern: '/txn', body: true, kind: 'write', handler: routerTxn },
  { method: 'GET', pattern: '/keys', body: false, kind: 'read', handler: routerListKeys },
  { method: 'GET', pattern: '/range', body: false, kind: 'read', handler: routerRange },
  { method: 'GET', pattern: '/metrics', body: false, access: 'public', handler: metrics },
  { method: 'GET', pattern: '/shards', body: false, handler: shards },
  { method: 'GET', pattern: '/status', body: false, handler: status },
];
