// Hostile HTTP requests, generated from a route table (the node's ROUTES or
// the router's ROUTER_ROUTES): every route with its own method and with
// wrong ones, path parameters that are empty, percent-encoded, malformed,
// over-long or NUL-prefixed, odd query strings, bodies of the right and
// wrong JSON shapes, malformed and oversize bodies, lying Content-Lengths,
// cross-site Origins, WebSocket upgrades, and the members-only routes with and without the
// token, carrying forged envelopes. Requests are raw bytes (written to a
// socket by the nemesis, not sent by fetch, which would refuse or repair
// the malformed ones).
//
// Two things are never generated, because they are not attacks but an
// administrator's or a member's acts, and would change the cluster under the
// history clients: a valid /raft/remove or /raft/transfer-leadership (both
// name only unknown ids or wrong types here), and a valid /join with the
// token. Writes that are valid go to keys under the hostile prefix only.

import fc from 'fast-check';
import type { Route, RequestBase } from '../../api/router.js';
import { TOKEN_HEADER } from '../../common/cluster-identity.js';
import { deliveryArb, keyArb, show, sized, valueArb, type GrammarContext, type HostileInput } from './common.js';

export interface HttpContext extends GrammarContext {
  /** The cluster token: members-only routes are sent with it, without it and with a wrong one. */
  token: string;
  /** A secure cluster's client token: requests carry it as a Bearer token mostly, sometimes a wrong one or none, so most reach what lies behind the login. */
  bearer?: string;
}

export interface HttpRequest {
  method: string;
  /** Request target as written on the request line (already encoded, or deliberately not). */
  target: string;
  headers: [string, string][];
  body: Buffer;
  /** What Content-Length says about the body. */
  length: 'right' | 'missing' | 'more' | 'less' | 'garbage' | 'twice' | 'chunked-bad';
  /** `METHOD pattern` of the route it was made from ('?' for none), for coverage counts. */
  route: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'BREW', 'get', ''];
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const text = (s: string): Buffer => Buffer.from(s);
const keyText = (k: Buffer): string => k.toString('utf8');

/** A path segment: encoded as a client would, or broken. */
function paramArb(ctx: HttpContext): fc.Arbitrary<string> {
  const p = ctx.keyPrefix;
  return fc.oneof(
    { weight: 5, arbitrary: keyArb(ctx).map((k) => encodeURIComponent(keyText(k))) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '', '%', '%%', '%zz', `${p}%`, `${p}%4`, `${p}%E0%A4%A`, `${p}%C3%28`, `${p}%FF%FE`, `%00${p}`, `%00`, `${p}%2F..%2F`, '..', '.',
        `${p}%20space`, `${p}\u00e9`, encodeURIComponent(sized(p, ctx.limits.maxKeyBytes + 1).toString()),
      ),
    },
  );
}

/** A query string (with its `?`), good or not. */
function queryArb(ctx: HttpContext): fc.Arbitrary<string> {
  const p = ctx.keyPrefix;
  return fc.oneof(
    fc.constant(''),
    fc.constantFrom('linearizable', 'leader', 'stale', 'LEADER', '', 'bogus', '%', '%zz').map((l) => `?level=${l}`),
    fc.constantFrom('?raw', '?raw=1&level=stale', '?forwarded=1', '?forwarded&level=leader', '?level=leader&level=stale', '?%zz=1', '?&&&=&', `?k=${p}a&k=${p}b`, '?k=', '?k=%', `?k=%00${p}`),
    fc.array(keyArb(ctx), { minLength: 1, maxLength: 5 }).map((ks) => `?${ks.map((k) => `k=${encodeURIComponent(keyText(k))}`).join('&')}`),
    // Expiry, revisions, scans and watch.
    fc.constantFrom('?ttl=1', '?ttl=0.001', '?ttl=0', '?ttl=-1', '?ttl=abc', '?ttl=1e400', '?ttl=99999999999', '?ttl', '?revision', '?ttl&raw'),
    fc.constantFrom(`?prefix=${p}`, '?prefix=', '?prefix=%00', `?after=${p}`, '?after=%', '?limit=0', '?limit=1', '?limit=-5', '?limit=99999999', '?limit=1.5', `?from=${p}a&to=${p}b`, `?from=${p}b&to=${p}a`),
    fc.constantFrom('?from=0', '?from=1', '?from=-1', '?from=abc', '?from=99999999999999999999', '?from=1e3', `?prefix=${p}&from=0`),
  );
}

/** Bodies any route may get: malformed JSON, JSON of the wrong shape, oversize, binary. */
function junkBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.constantFrom('', '{', '{"a":}', '[', 'null', 'true', '0', '"str"', '[]', '{}', '{"__proto__":{"x":1}}', 'NaN', '1e400', '{"a":1}garbage', '\u0000').map(text),
    fc.constant(text('['.repeat(5000) + ']'.repeat(5000))),
    fc.constant(text('{"a":'.repeat(3000) + '1' + '}'.repeat(3000))),
    fc.constant(sized('{"x":"', ctx.maxBodyBytes + 1)),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
    fc.jsonValue({ maxDepth: 3 }).map(json),
  );
}

/** A JSON value of the wrong type for a string field. */
const wrongValue = fc.constantFrom<unknown>(true, false, null, 0, -1, 1e308, 2 ** 60, 1.5, [], ['a'], {}, { nested: { deeper: 'x' } });

/** POST /key: an object of keys to string values, right or wrong. */
function setBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  const key = keyArb(ctx).map(keyText);
  const value = valueArb(ctx).map((v) => v.toString('utf8'));
  return fc.oneof(
    fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 4 }).map((kv) => json(Object.fromEntries(kv))),
    fc.tuple(key, wrongValue).map(([k, v]) => json({ [k]: v })),
    fc.constant(json({})),
    fc.constant(text(`{"${ctx.keyPrefix}dup":"1","${ctx.keyPrefix}dup":"2"}`)),
  );
}

function casBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  const key = fc.oneof(keyArb(ctx).map(keyText), wrongValue);
  const str = fc.oneof(valueArb(ctx).map((v) => v.toString('utf8')), wrongValue);
  return fc.record({ key, expect: str, value: str }, { requiredKeys: [] }).map(json);
}

function mgetBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.array(keyArb(ctx).map(keyText), { maxLength: 6 }).map((keys) => json({ keys })),
    wrongValue.map((keys) => json({ keys })),
    fc.array(wrongValue, { minLength: 1, maxLength: 3 }).map((keys) => json({ keys })),
  );
}

/** POST /txn: etcd's shape, right and wrong (over the hostile keys only). */
function txnBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  const key = fc.oneof({ weight: 4, arbitrary: keyArb(ctx).map(keyText) }, { weight: 1, arbitrary: wrongValue });
  const compare = fc.record(
    {
      key,
      target: fc.constantFrom<unknown>('value', 'revision', 'exists', 'VALUE', 'size', 5, null),
      result: fc.constantFrom<unknown>('equal', 'not_equal', 'greater', 'less', 'EQUAL', 'maybe', null),
      value: fc.oneof(valueArb(ctx).map((v) => v.toString('utf8')), wrongValue),
      revision: fc.constantFrom<unknown>(0, 1, -1, 0.5, 2 ** 60, 'x', null),
      exists: fc.constantFrom<unknown>(true, false, 'yes', null),
    },
    { requiredKeys: [] },
  );
  const request = fc.oneof(
    fc.tuple(key, fc.oneof(valueArb(ctx).map((v) => v.toString('utf8')), wrongValue), fc.constantFrom<unknown>(undefined, 1, 0, -1, 'x', 1e12)).map(([k, value, ttl]) => ({ put: { key: k, value, ...(ttl === undefined ? {} : { ttl }) } })),
    key.map((k) => ({ delete: { key: k } })),
    key.map((k) => ({ get: { key: k } })),
    fc.constantFrom<unknown>({}, { range: { key: 'x' } }, { put: null }, { put: {}, get: {} }, null, 5, []),
  );
  return fc.oneof(
    fc.record({ compare: fc.array(compare, { maxLength: 4 }), success: fc.array(request, { maxLength: 4 }), failure: fc.array(request, { maxLength: 4 }) }, { requiredKeys: [] }).map(json),
    fc.record({ compare: wrongValue, success: wrongValue, failure: wrongValue, other: wrongValue }, { requiredKeys: [] }).map(json),
  );
}

/** /join: valid-shaped only without the token (then it must be refused); with it, wrong shapes only. */
function joinBodyArb(withToken: boolean): fc.Arbitrary<Buffer> {
  const wrong = fc.record({ id: wrongValue, addr: wrongValue, http: wrongValue }, { requiredKeys: [] }).map(json);
  if (withToken) return wrong;
  return fc.oneof(wrong, fc.constant(json({ id: 'hostile-joiner', addr: '127.0.0.1:1', http: '127.0.0.1:2' })));
}

/** /raft/remove and /raft/transfer-leadership: unknown ids and wrong types only (never a member's id, never `{}`). */
const adminBodyArb = fc.oneof(fc.constantFrom('no-such-node', '', '\u0000', 'x'.repeat(5000)).map((id) => json({ id })), wrongValue.map((id) => json({ id })));

/** The router's old POST /set: {"clave", "valor"} or {"key", "value"}. */
function distributorBodyArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  const key = fc.oneof(keyArb(ctx).map(keyText), wrongValue);
  const value = fc.oneof(valueArb(ctx).map((v) => v.toString('utf8')), wrongValue);
  return fc.oneof(fc.tuple(key, value).map(([clave, valor]) => json({ clave, valor })), fc.tuple(key, value).map(([k, v]) => json({ key: k, value: v })), fc.constant(json({ clave: 'x', value: 'y' })));
}

/**
 * One forged state machine command of /internal/propose: right and wrong
 * shapes of every op, unknown ops, reserved (NUL) keys, over-limit keys and
 * values, batches of batches.
 */
function forgedCommandArb(ctx: HttpContext): fc.Arbitrary<unknown> {
  const key = keyArb(ctx).map(keyText);
  const value = valueArb(ctx).map((v) => v.toString('utf8'));
  const leaf = fc.oneof(
    fc.tuple(key, value).map(([k, v]) => ({ op: 'set', kv: [[k, v]] })),
    // The issue's own shape, a value of the wrong type, weighs more.
    { weight: 3, arbitrary: fc.tuple(key, wrongValue).map(([k, v]) => ({ op: 'set', kv: [[k, v]] })) },
    fc.tuple(key, fc.constantFrom<unknown>(undefined, 5, null)).map(([k, v]) => (v === undefined ? { op: 'set1', key: k } : { op: 'set1', key: k, value: v })),
    fc.constantFrom<unknown>(
      { op: 'set', kv: 'x' },
      { op: 'set', kv: [['only-one']] },
      { op: 'set', kv: null },
      { op: 'set' },
      { op: 'drop-everything' },
      {},
      { op: null },
      { op: 'set', kv: [[`\u0000${ctx.keyPrefix}`, 'v']] },
      { op: 'set', kv: [[`\u0000raftkv`, 'v']] },
      // The members' namespace, for a member that does not exist (a real member's entry would be a hijack, not a crash test).
      { op: 'set', kv: [['\u0000member/hostile-ghost', '{"raft":5}']] },
      { op: 'del', keys: ['\u0000member/hostile-ghost'] },
    ),
    fc.tuple(key, fc.constantFrom<unknown>('zz', 5, null, 'nx')).map(([k, cond]) => ({ op: 'set1', key: k, value: 'v', cond })),
    fc.constantFrom<unknown>({ op: 'del', keys: 'x' }, { op: 'del', keys: [1, 2] }, { op: 'del', keys: [] }, { op: 'del' }),
    fc.tuple(key, wrongValue).map(([k, expect]) => ({ op: 'cas', key: k, expect, value: 'v' })),
    fc.tuple(key, fc.constantFrom<unknown>(1e308, -1e308, 2 ** 60, 0.5, 'x', null, Number.MAX_SAFE_INTEGER)).map(([k, by]) => ({ op: 'incr', key: k, by })),
    fc.tuple(key, wrongValue).map(([k, v]) => ({ op: 'append', key: k, value: v })),
    // Expiry and transactions.
    fc.tuple(key, fc.constantFrom<unknown>({ in: 1000 }, { at: 1 }, { in: 1.5 }, { in: 2 ** 60 }, { in: 1, at: 2 }, {}, null, 5, 'x')).map(([k, ttl]) => ({ op: 'expire', key: k, ttl })),
    fc.tuple(key, fc.constantFrom<unknown>('nx', 'gt', 'zz', null)).map(([k, cond]) => ({ op: 'expire', key: k, ttl: { in: 10_000 }, cond })),
    fc.tuple(key, value, fc.constantFrom<unknown>({ in: 5 }, { at: -1 }, { bogus: 1 })).map(([k, v, ttl]) => ({ op: 'set', kv: [[k, v]], ttl })),
    fc.tuple(key, fc.constantFrom<unknown>(true, 'yes', null)).map(([k, keepttl]) => ({ op: 'set1', key: k, value: 'v', keepttl, ttl: { in: 5 } })),
    key.map((k) => ({ op: 'getex', key: k, persist: true, ttl: { in: 5 } })),
    fc.constantFrom<unknown>({ op: 'persist' }, { op: 'reap', keys: [] }, { op: 'reap', keys: 'x' }, { op: 'get', key: 5 }),
    key.map((k) => ({ op: 'reap', keys: [k] })),
    fc.tuple(key, fc.constantFrom<unknown>('value', 'revision', 'exists', 'size')).map(([k, target]) => ({ op: 'txn', compare: [{ key: k, target, result: 'equal' }], success: [{ op: 'get', key: k }], failure: [] })),
    key.map((k) => ({ op: 'txn', compare: [], success: [{ op: 'txn', compare: [], success: [], failure: [] }], failure: [{ op: 'set', kv: [[k, 'v']] }] })),
    fc.constantFrom<unknown>({ op: 'txn' }, { op: 'txn', compare: 'x', success: [], failure: [] }, { op: 'txn', compare: [], success: [null], failure: 5 }),
    fc.constant<unknown>({ op: 'batch', cmds: 'x' }),
    fc.constant<unknown>({ op: 'batch', cmds: [null, 5, 'set'] }),
    // The data types: writes with right and wrong arguments, reads outside and inside a transaction, row and head keys.
    fc.tuple(key, value, fc.constantFrom('hset', 'lpush', 'sadd', 'zadd', 'lmove', 'blpop', 'hget', 'lrange', 'type', 'nosuch')).map(([k, v, name]) => ({ op: 'typed', name, args: [k, v] })),
    fc.tuple(key, fc.constantFrom<unknown>('hget', 'zscore', 'lindex')).map(([k, name]) => ({ op: 'txn', compare: [{ key: k, target: 'revision', result: 'equal', revision: 0 }], success: [{ op: 'typed', name, args: [k, '0'] }], failure: [] })),
    key.map((k) => ({ op: 'txn', compare: [{ key: k, target: 'exists', result: 'equal', exists: true }], success: [{ op: 'typed', name: 'rpush', args: [k, 'a'] }, { op: 'expire', key: k, ttl: { in: 60_000 } }], failure: [{ op: 'typed', name: 'lpop', args: [k] }] })),
    fc.tuple(key, fc.constantFrom('\u0000#', '\u0000H1:', '\u0000L3:')).map(([k, p]) => ({ op: 'typed', name: 'hset', args: [p + k, 'f', 'v'] })),
    fc.constantFrom<unknown>({ op: 'typed' }, { op: 'typed', name: 'hset' }, { op: 'typed', name: 'hset', args: 'k' }, { op: 'typed', name: 5, args: [] }, { op: 'typed', name: 'zadd', args: ['k', 'NaN', 'm'] }),
  );
  const nested = (depth: number, inner: unknown): unknown => (depth === 0 ? inner : { op: 'batch', cmds: [nested(depth - 1, inner)] });
  return fc.oneof(
    { weight: 6, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(1, 2, 50, 2000), leaf).map(([d, inner]) => nested(d, inner)) },
    { weight: 1, arbitrary: fc.array(leaf, { maxLength: 5 }).map((cmds) => ({ op: 'batch', cmds })) },
  );
}

/**
 * An envelope: a command and, sometimes, a session (client id, sequence,
 * acknowledged) with absurd numbers. Client ids carry the hostile prefix:
 * an authenticated member could of course forge a real client's session,
 * but a member is trusted; what is tested is that no value kills a node.
 */
function envelopesArb(ctx: HttpContext): fc.Arbitrary<Buffer> {
  const seq = fc.constantFrom<unknown>(1, 0, -1, 1e300, 2 ** 60, 0.5, null, 'x', -(2 ** 53));
  const env = fc.record(
    { c: fc.constantFrom<unknown>(`${ctx.keyPrefix}client`, '', 5, null), s: seq, a: seq, cmd: fc.oneof({ weight: 8, arbitrary: forgedCommandArb(ctx) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], 'set') }) },
    { requiredKeys: ['cmd'] },
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(env, { minLength: 1, maxLength: 5 }).map(json) },
    // The issue's own repro, under the hostile prefix.
    { weight: 1, arbitrary: fc.constant(json([{ cmd: { op: 'set', kv: [[`${ctx.keyPrefix}k`, true]] } }])) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>([], {}, null, [[]], [5], [{}], [{ cmd: {} }]).map(json) },
    { weight: 1, arbitrary: fc.array(env, { minLength: 500, maxLength: 500 }).map(json) },
  );
}

/** The body a route gets, by its pattern: mostly of its own grammar, sometimes junk. */
function bodyFor(ctx: HttpContext, route: Pick<Route<RequestBase>, 'method' | 'pattern'>, withToken: boolean): fc.Arbitrary<Buffer> {
  const own = ((): fc.Arbitrary<Buffer> | undefined => {
    switch (route.pattern) {
      case '/key':
        return setBodyArb(ctx);
      case '/key/:k':
      case '/files/:name':
      case '/db/:key':
        return route.method === 'GET' || route.method === 'DELETE' ? undefined : valueArb(ctx);
      case '/cas':
        return casBodyArb(ctx);
      case '/mget':
        return route.method === 'POST' ? mgetBodyArb(ctx) : undefined;
      case '/join':
        return joinBodyArb(withToken);
      case '/raft/remove':
      case '/raft/transfer-leadership':
        return adminBodyArb;
      case '/internal/propose':
        return envelopesArb(ctx);
      case '/set':
        return distributorBodyArb(ctx);
      case '/txn':
        return txnBodyArb(ctx);
      default:
        return undefined;
    }
  })();
  // Admin routes, and /join with the token, never get junk that might parse
  // as a valid request (`{}` would transfer the leadership).
  if (route.pattern === '/raft/remove' || route.pattern === '/raft/transfer-leadership') return adminBodyArb;
  if (route.pattern === '/join' && withToken) return joinBodyArb(true);
  const junk = junkBodyArb(ctx);
  return own ? fc.oneof({ weight: 4, arbitrary: own }, { weight: 1, arbitrary: junk }) : fc.oneof(fc.constant(Buffer.alloc(0)), junk);
}

/** Headers: content types, cross-site Origins, the token (right, wrong, empty), oversize and odd ones. */
function headersArb(ctx: HttpContext, tokenChoice: 'right' | 'wrong' | 'none'): fc.Arbitrary<[string, string][]> {
  const token: [string, string][] = tokenChoice === 'right' ? [[TOKEN_HEADER, ctx.token]] : tokenChoice === 'wrong' ? [[TOKEN_HEADER, ctx.token.slice(0, -1) + (ctx.token.endsWith('A') ? 'B' : 'A')]] : [];
  const extras = fc.oneof(
    fc.constant<[string, string][]>([]),
    fc.constantFrom<[string, string][]>(
      [['Origin', 'http://evil.example']],
      [['Origin', 'null']],
      [['Content-Type', 'text/plain']],
      [['Content-Type', 'application/json; charset=utf-16']],
      [[TOKEN_HEADER, '']],
      [['X-Long', 'a'.repeat(20_000)]],
      [['Expect', '100-continue']],
      // A WebSocket upgrade (GET /watch takes one; on a secure cluster it is refused before the handshake without a token), whole or broken.
      [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']],
      [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '99']],
    ),
    fc.constant<[string, string][]>(Array.from({ length: 150 }, (_, i) => [`x-h${i}`, 'v'])),
  );
  const bearer = ctx.bearer;
  const login: fc.Arbitrary<[string, string][]> = bearer === undefined ? fc.constant([]) : fc.constantFrom<[string, string][]>([['Authorization', `Bearer ${bearer}`]], [['Authorization', `Bearer ${bearer}`]], [['Authorization', `Bearer ${bearer}`]], [['Authorization', `Bearer x${bearer}`]], [['Authorization', bearer]], []);
  return fc.tuple(login, extras).map(([l, e]) => [['Host', '127.0.0.1'], ['Content-Type', 'application/json'], ['Connection', 'close'], ...token, ...l, ...e]);
}

/** Requests for one route: its own method mostly, sometimes a wrong one, with and without the token. */
function routeRequestArb(ctx: HttpContext, route: Pick<Route<RequestBase>, 'method' | 'pattern' | 'membersOnly'>): fc.Arbitrary<HttpRequest> {
  const segs = route.pattern.split('/').filter((s) => s !== '');
  const pathArb = fc.tuple(...segs.map((s) => (s.startsWith(':') ? paramArb(ctx) : fc.constant(s)))).map((parts) => `/${parts.join('/')}`);
  const methodArb = fc.oneof({ weight: 5, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
  const tokenArb = route.membersOnly ? fc.constantFrom<'right' | 'wrong' | 'none'>('right', 'right', 'wrong', 'none') : fc.constantFrom<'right' | 'wrong' | 'none'>('none', 'none', 'none', 'wrong');
  const lengthArb = fc.oneof({ weight: 8, arbitrary: fc.constant<HttpRequest['length']>('right') }, { weight: 2, arbitrary: fc.constantFrom<HttpRequest['length']>('missing', 'more', 'less', 'garbage', 'twice', 'chunked-bad') });
  return fc.tuple(methodArb, tokenArb, pathArb, queryArb(ctx), lengthArb).chain(([method, tok, p, q, length]) =>
    fc.tuple(headersArb(ctx, tok), bodyFor(ctx, { ...route, method }, tok === 'right')).map(([headers, body]) => ({ method, target: p + q, headers, body, length, route: `${route.method} ${route.pattern}` })),
  );
}

/** Targets no route has: unknown paths, odd forms, over-long ones. */
function strayRequestArb(ctx: HttpContext): fc.Arbitrary<HttpRequest> {
  const target = fc.constantFrom('/', '/nope', '/key/a/b', '//key', '/key/', '/%', '/../../etc/passwd', '*', 'http://evil.example/key', `/${'a'.repeat(20_000)}`, '/hraftd/key/%', '/key/%00', '/status/%', '/internal/propose/', ' /key');
  return fc.tuple(fc.constantFrom(...METHODS), target, headersArb(ctx, 'none'), junkBodyArb(ctx)).map(([method, t, headers, body]) => ({ method, target: t, headers, body, length: 'right' as const, route: '?' }));
}

/**
 * Any request for this route table. Members-only routes weigh three times
 * as much: behind the token lies the largest surface (a forged envelope goes
 * straight into the log, and from there into every node's state machine).
 */
export function httpRequestArb(ctx: HttpContext, routes: readonly Pick<Route<RequestBase>, 'method' | 'pattern' | 'membersOnly'>[]): fc.Arbitrary<HttpRequest> {
  const byRoute = fc.oneof(...routes.map((r) => ({ weight: r.membersOnly ? 3 : 1, arbitrary: routeRequestArb(ctx, r) })));
  return fc.oneof({ weight: 10, arbitrary: byRoute }, { weight: 1, arbitrary: strayRequestArb(ctx) });
}

/** The request as bytes on the wire, Content-Length as the request says (true or not). */
export function encodeHttp(r: HttpRequest): Buffer {
  const head = [`${r.method} ${r.target} HTTP/1.1`, ...r.headers.map(([k, v]) => `${k}: ${v}`)];
  let body = r.body;
  switch (r.length) {
    case 'right':
      head.push(`Content-Length: ${body.length}`);
      break;
    case 'missing':
      break;
    case 'more':
      head.push(`Content-Length: ${body.length + 100}`);
      break;
    case 'less':
      head.push(`Content-Length: ${Math.max(0, body.length - 1)}`);
      break;
    case 'garbage':
      head.push('Content-Length: -1x');
      break;
    case 'twice':
      head.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 7}`);
      break;
    case 'chunked-bad':
      head.push('Transfer-Encoding: chunked');
      body = Buffer.concat([text('zz\r\n'), body, text('\r\n-5\r\n\r\n')]);
      break;
  }
  return Buffer.concat([text(head.join('\r\n') + '\r\n\r\n'), body]);
}

export function describeHttp(r: HttpRequest): string {
  const tok = r.headers.some(([k]) => k === TOKEN_HEADER) ? ' +token' : '';
  return `${show(r.method, 10)} ${show(r.target, 50)}${tok}${r.length !== 'right' ? ` (length ${r.length})` : ''} body ${show(r.body, 60)}`;
}

/** A request as a hostile input: delivered whole, split or cut short. */
export function httpInputArb(ctx: HttpContext, routes: readonly Pick<Route<RequestBase>, 'method' | 'pattern' | 'membersOnly'>[]): fc.Arbitrary<HostileInput & { route: string }> {
  return httpRequestArb(ctx, routes).chain((r) =>
    deliveryArb(encodeHttp(r)).map(({ how, chunks }) => ({ listener: 'http' as const, label: `http ${how}: ${describeHttp(r)}`, chunks, route: r.route })),
  );
}
