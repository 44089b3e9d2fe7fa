// The one HTTP route table of the fronts: the node serves every row, the
// router the rows its front has the parts for (no admin, health or watch),
// with its own rows added and put in place of the node's scans and status
// (shard/router-routes.ts). Handlers reach the server only through Front.

import { TOKEN_HEADER } from '../common/cluster-identity.js';
import { httpBackend } from './http-backend.js';
import { raftCluster, raftStats } from './hashicorp-views.js';
import { internalHttp } from '../security/internal-http.js';
import { InternalClient, failureOf } from '../node/internal-client.js';
import { badRequest, toNodeError, wrongTypeError, keyNotFound, noLeader, notFound, timedOut } from '../common/errors.js';
import { friendlyJson, toTagged, type FriendlyJson, type TaggedValue } from '../node/types/json.js';
import type { ForwardAnswer } from '../node/forwarder.js';
import type { Envelope } from '../node/kv-state.js';
import type { NodeStatus, ReadLevel } from '../node/types.js';
import { checkResult, parseJsonObject, parseReadLevel, stringValue, validateKey } from './kv-rules.js';
import type { Front, FrontAdmin } from './front.js';
import type { Need, Reply, RequestContext, Route } from './router.js';
import { listKeys, rangeKeys } from './scan-routes.js';
import { txn } from './txn-route.js';
import { watch } from './watch-route.js';
import { parseTtlSeconds } from './ttl.js';

function readLevel(ctx: RequestContext): ReadLevel {
  return parseReadLevel(ctx.query.get('level') ?? 'linearizable');
}

function stringField(o: Record<string, unknown>, name: string, optional = false): string | undefined {
  const v = o[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || v === '') throw badRequest(`field ${JSON.stringify(name)} must be a non-empty string`);
  return v;
}

const ok = (json: unknown): Reply => ({ status: 200, json });

/** A request relayed to the leader: the leader bounds its own work (its request timeout); this only keeps a hung leader from holding the request for good. */
const RELAY_TIMEOUT_MS = 60_000;

async function setKeys(ctx: RequestContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const kv: [string, string][] = [];
  for (const k of Object.keys(body)) kv.push([validateKey(k), stringValue(body, k)]);
  if (kv.length === 0) throw badRequest('the body names no key');
  // ?ttl=SECONDS: every key of the body expires then (the leader fixes the deadline).
  const ttlArg = ctx.query.get('ttl');
  const ttl = ttlArg === null ? undefined : parseTtlSeconds(ttlArg);
  checkResult(await ctx.front.propose({ op: 'set', kv, ...(ttl ? { ttl } : {}) }));
  return ok({ ok: true });
}

async function getKey(ctx: RequestContext): Promise<Reply> {
  const key = validateKey(ctx.params[0]!);
  const level = readLevel(ctx);
  // A leader-level read on a follower is answered by the leader.
  if (level === 'leader') return onLeader(ctx, () => readKey(ctx, key, level));
  return readKey(ctx, key, level);
}

async function readKey(ctx: RequestContext, key: string, level: ReadLevel): Promise<Reply> {
  const kv = await ctx.front.read(level, [key]);
  const now = kv.now();
  const typed = kv.typedValue(key, now);
  if (typed) {
    if (ctx.query.has('raw')) throw wrongTypeError();
    if (ctx.query.has('ttl') || ctx.query.has('revision')) {
      const pttl = kv.pttl(key, now);
      return ok({ key, type: typed.type, value: friendlyJson(typed), revision: kv.revision(key, now), ttl: pttl < 0 ? pttl : pttl / 1000 });
    }
    return { status: 200, raw: `{${JSON.stringify(key)}:${JSON.stringify(friendlyJson(typed))}}`, contentType: 'application/json' };
  }
  const value = kv.get(key, now);
  if (value === undefined) throw keyNotFound(key);
  // ?ttl or ?revision: the key with what is known of it (seconds left, -1 without expiry; its revision).
  if (ctx.query.has('ttl') || ctx.query.has('revision')) {
    const pttl = kv.pttl(key, now);
    return ok({ key, value, revision: kv.revision(key, now), ttl: pttl < 0 ? pttl : pttl / 1000 });
  }
  if (ctx.query.has('raw')) return { status: 200, raw: value, contentType: 'application/octet-stream' };
  // The same bytes as JSON.stringify({ [key]: value }), without an object whose
  // property name is the key: every distinct name is a new V8 hidden class.
  return { status: 200, raw: `{${JSON.stringify(key)}:${JSON.stringify(value)}}`, contentType: 'application/json' };
}

async function putRaw(ctx: RequestContext): Promise<Reply> {
  const key = validateKey(ctx.params[0]!);
  checkResult(await ctx.front.propose({ op: 'set', kv: [[key, ctx.body.toString('utf8')]] }));
  return ok({ ok: true });
}

async function getRaw(ctx: RequestContext): Promise<Reply> {
  ctx.query.set('raw', '');
  return getKey(ctx);
}

async function deleteKey(ctx: RequestContext): Promise<Reply> {
  const key = validateKey(ctx.params[0]!);
  const r = checkResult(await ctx.front.propose({ op: 'del', keys: [key] }));
  return ok({ ok: true, deleted: 'count' in r ? r.count : 0 });
}

async function cas(ctx: RequestContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const key = validateKey(stringField(body, 'key')!);
  const expect = body.expect;
  const value = body.value;
  if (expect !== null && typeof expect !== 'string') throw badRequest('field "expect" must be a string, or null for "the key must be absent"');
  if (typeof value !== 'string') throw badRequest('field "value" must be a string');
  const r = checkResult(await ctx.front.propose({ op: 'cas', key, expect, value }));
  return ok(r);
}

/** Run an action here, or send the same request to the leader when this node is not it. */
async function onLeader(ctx: RequestContext, action: () => Promise<unknown>): Promise<Reply> {
  try {
    const r = await action();
    return isReply(r) ? r : ok(r ?? { ok: true });
  } catch (e) {
    const err = toNodeError(e);
    const http = err.code === 'RAFTKV_ERR_NOT_LEADER' ? ctx.front.admin?.httpOf(err.leader) : undefined;
    if (!http || ctx.query.has('forwarded')) throw err;
    const query = new URLSearchParams(ctx.query);
    query.set('forwarded', '1');
    const client = new InternalClient({ http: ctx.client ?? internalHttp() });
    // A user this node authenticated and allowed is vouched for as a member: the leader runs the same route.
    const vouched = ctx.fromMember || ctx.principal !== undefined;
    const res = await client
      .exchange(ctx.method, client.url(http, `${ctx.path}?${query.toString()}`), {
        headers: { 'content-type': 'application/json', ...(vouched ? { [TOKEN_HEADER]: ctx.clusterToken } : {}) },
        ...(ctx.body.length > 0 ? { rawBody: ctx.body.toString('utf8') } : {}),
        timeoutMs: RELAY_TIMEOUT_MS,
      })
      .catch((fe: unknown) => {
        // No answer, or one cut short (the leader went away mid-answer): a 503 like no leader.
        throw noLeader(`the leader ${err.leader} could not be reached: ${failureOf(fe)}`);
      });
    const contentType = res.headers.get('content-type') ?? 'application/json';
    const retryAfter = res.status === 503 ? 1 : undefined;
    // The leader's answer is relayed as it is.
    const raw = res.body;
    return { status: res.status, raw, contentType, retryAfter };
  }
}

function isReply(r: unknown): r is Reply {
  return typeof r === 'object' && r !== null && 'status' in r && typeof (r as Reply).status === 'number' && ('json' in r || 'raw' in r);
}

async function join(ctx: RequestContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const id = stringField(body, 'id')!;
  const raft = stringField(body, 'addr')!;
  const http = stringField(body, 'http', true) ?? '';
  const resp = stringField(body, 'resp', true);
  return onLeader(ctx, async () => adminOf(ctx).join(id, { raft, http, ...(resp ? { resp } : {}) }));
}

async function remove(ctx: RequestContext): Promise<Reply> {
  const body = parseJsonObject(ctx.body);
  const id = stringField(body, 'id')!;
  return onLeader(ctx, async () => {
    await adminOf(ctx).remove(id);
    // hraftd's answer, word for word.
    return { ok: true, msg: 'OK' };
  });
}

async function transfer(ctx: RequestContext): Promise<Reply> {
  const body = ctx.body.length > 0 ? parseJsonObject(ctx.body) : {};
  const id = stringField(body, 'id', true);
  return onLeader(ctx, async () => ({ ok: true, leader: await adminOf(ctx).transferLeadership(id) }));
}

/** The admin part of the front; the routes that use it are served only where there is one. */
function adminOf(ctx: RequestContext): FrontAdmin {
  if (!ctx.front.admin) throw notFound('membership and leadership are a node\'s: ask a node');
  return ctx.front.admin;
}

/** The node's Raft state, for the routes that show it (they need admin: only a node has both). */
function raftOf(ctx: RequestContext): NodeStatus {
  const st = ctx.front.status();
  if (!st.raft) throw notFound('this server keeps no Raft log: ask a node');
  return st.raft;
}

async function status(ctx: RequestContext): Promise<Reply> {
  // Which HTTP server answers (a native uWS build or node:http): it decides how fast this node can be.
  return ok({ ...raftOf(ctx), httpServer: httpBackend().description });
}

async function stats(ctx: RequestContext): Promise<Reply> {
  return ok(raftStats(raftOf(ctx)));
}

async function clusterView(ctx: RequestContext): Promise<Reply> {
  return ok(raftCluster(raftOf(ctx)));
}

/**
 * Several keys read at one level, behind one read barrier: `GET /mget?k=a&k=b`
 * or `POST /mget` with `{"keys": ["a", "b"]}`; answers `{"a": "1", "b": null}`
 * (null: absent). The router gathers a multi-key GET from these, one per shard.
 */
async function getMany(ctx: RequestContext): Promise<Reply> {
  const keys = (ctx.method === 'GET' ? ctx.query.getAll('k') : mgetBody(parseJsonObject(ctx.body))).map(validateKey);
  if (keys.length === 0) throw badRequest('name at least one key');
  const level = readLevel(ctx);
  const read = async (): Promise<Reply> => {
    const kv = await ctx.front.read(level, keys);
    // No prototype: a key named "__proto__" is a key like any other.
    const values: Record<string, string | null | FriendlyJson | TaggedValue> = Object.create(null);
    // ?typed=1 (the router's reads): hashes, lists, sets and sorted sets in a form that reads back.
    const tagged = ctx.query.get('typed') === '1';
    const now = kv.now();
    for (const k of keys) {
      const typed = kv.typedValue(k, now);
      values[k] = typed ? (tagged ? toTagged(typed) : friendlyJson(typed)) : (kv.get(k, now) ?? null);
    }
    return ok(values);
  };
  return level === 'leader' ? onLeader(ctx, read) : read();
}

export function mgetBody(body: Record<string, unknown>): string[] {
  const keys = body.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw badRequest('field "keys" must be an array of strings');
  return keys as string[];
}

/** Commands a follower forwarded, in one batch; each gets its own answer. */
async function internalPropose(ctx: RequestContext): Promise<Reply> {
  let envs: unknown;
  try {
    envs = JSON.parse(ctx.body.toString('utf8'));
  } catch (e) {
    throw badRequest(`malformed JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(envs) || envs.some((e) => typeof e !== 'object' || e === null || typeof (e as Envelope).cmd !== 'object')) {
    throw badRequest('expected an array of commands');
  }
  const results: ForwardAnswer[] = await Promise.all(
    (envs as Envelope[]).map((env) =>
      adminOf(ctx).proposeLocal(env).then(
        (result): ForwardAnswer => ({ result }),
        (e: unknown): ForwardAnswer => {
          const err = toNodeError(e);
          return { error: err.message, code: err.code, ...(err.leader ? { leader: err.leader } : {}) };
        },
      ),
    ),
  );
  return ok({ results });
}

/** GET /metrics: the node's metrics in Prometheus's text format. */
async function metrics(ctx: RequestContext): Promise<Reply> {
  const extras = ctx.front.extras;
  if (!extras?.metricsText) throw notFound('this server keeps no metrics');
  const { contentType, text } = await extras.metricsText();
  return { status: 200, raw: text, contentType };
}

/** GET /health: 200 when this node knows a leader and its applied index keeps up with the commit index; 503 with the reason otherwise. */
async function health(ctx: RequestContext): Promise<Reply> {
  const extras = ctx.front.extras;
  if (!extras?.health) throw notFound('this server has no health check');
  const h = extras.health();
  return { status: h.ok ? 200 : 503, json: { health: h.ok, ...h } };
}

/** How long /readyz waits for its linearizable read before it says "not ready". */
const READYZ_TIMEOUT_MS = 1000;

/**
 * GET /readyz: 200 when this node can serve a linearizable read now — it is
 * healthy and a ReadIndex round through the leader completes within a second.
 */
async function readyz(ctx: RequestContext): Promise<Reply> {
  const h = ctx.front.extras?.health?.();
  if (h && !h.ok) return { status: 503, json: { ready: false, reason: h.reason } };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(`a linearizable read did not complete within ${READYZ_TIMEOUT_MS} ms`)), READYZ_TIMEOUT_MS);
  });
  try {
    await Promise.race([ctx.front.read('linearizable'), late]);
    return ok({ ready: true });
  } catch (e) {
    return { status: 503, json: { ready: false, reason: toNodeError(e).message } };
  } finally {
    clearTimeout(timer);
  }
}

export const ROUTES: readonly Route[] = [
  { method: 'POST', pattern: '/key', body: true, kind: 'write', handler: setKeys },
  { method: 'GET', pattern: '/key/:k', body: false, kind: 'read', handler: getKey },
  { method: 'PUT', pattern: '/key/:k', body: true, kind: 'write', handler: putRaw },
  { method: 'DELETE', pattern: '/key/:k', body: false, kind: 'write', handler: deleteKey },
  { method: 'POST', pattern: '/files/:name', body: true, kind: 'write', handler: putRaw },
  { method: 'GET', pattern: '/files/:name', body: false, kind: 'read', handler: getRaw },
  // raftd's: `curl -XPOST localhost:4001/db/foo -d 'bar'`, `curl localhost:4001/db/foo` answers `bar`.
  { method: 'POST', pattern: '/db/:key', body: true, kind: 'write', handler: putRaw },
  { method: 'GET', pattern: '/db/:key', body: false, kind: 'read', handler: getRaw },
  { method: 'POST', pattern: '/cas', body: true, kind: 'write', handler: cas },
  { method: 'GET', pattern: '/mget', body: false, kind: 'read', handler: getMany },
  { method: 'POST', pattern: '/mget', body: true, access: 'read', kind: 'read', handler: getMany },
  { method: 'GET', pattern: '/metrics', body: false, access: 'public', handler: metrics },
  { method: 'GET', pattern: '/health', body: false, access: 'public', needs: 'health', handler: health },
  { method: 'GET', pattern: '/readyz', body: false, access: 'public', needs: 'health', handler: readyz },
  { method: 'POST', pattern: '/txn', body: true, kind: 'write', handler: txn },
  // The router puts its gathers across shards in place of these two scans, and its shards' view in place of /status.
  { method: 'GET', pattern: '/keys', body: false, kind: 'read', handler: listKeys },
  { method: 'GET', pattern: '/range', body: false, kind: 'read', handler: rangeKeys },
  { method: 'GET', pattern: '/watch', body: false, kind: 'read', needs: 'watch', handler: watch },
  { method: 'POST', pattern: '/join', body: true, membersOnly: 'or-admin', access: 'admin', needs: 'admin', handler: join },
  { method: 'DELETE', pattern: '/raft/remove', body: true, access: 'admin', needs: 'admin', handler: remove },
  { method: 'POST', pattern: '/raft/remove', body: true, access: 'admin', needs: 'admin', handler: remove },
  { method: 'GET', pattern: '/status', body: false, handler: status },
  { method: 'GET', pattern: '/raft/stats', body: false, needs: 'admin', handler: stats },
  { method: 'GET', pattern: '/raft/cluster', body: false, needs: 'admin', handler: clusterView },
  { method: 'POST', pattern: '/raft/transfer-leadership', body: true, access: 'admin', needs: 'admin', handler: transfer },
  { method: 'POST', pattern: '/internal/propose', body: true, internal: true, membersOnly: true, needs: 'admin', handler: internalPropose },
];

/** The optional parts of the contract a front has. */
export function needsOf(front: Front): ReadonlySet<Need> {
  const has = new Set<Need>();
  if (front.admin) has.add('admin');
  if (front.extras?.health) has.add('health');
  if (front.extras?.watch) has.add('watch');
  return has;
}

/**
 * The table a front serves: the rows of ROUTES whose needs it has, with its
 * `own` rows in place of those of the same method and path, and the rest of
 * them after.
 */
export function routeTable<C extends RequestContext>(has: ReadonlySet<Need>, own: readonly Route<C>[] = []): Route<C>[] {
  const key = (r: Route<C>): string => `${r.method} ${r.pattern}`;
  const mine = new Map(own.map((r) => [key(r), r]));
  const table: Route<C>[] = [];
  for (const r of ROUTES as readonly Route<C>[]) {
    const replaced = mine.get(key(r));
    if (replaced) {
      table.push(replaced);
      mine.delete(key(r));
    } else if (r.needs === undefined || has.has(r.needs)) table.push(r);
  }
  return [...table, ...mine.values()];
}
