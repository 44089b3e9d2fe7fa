// Hostile requests for the launcher's control API (control-server.ts):
// malformed paths (the issue's repro, `GET /status/%`), bad percent-encoding,
// unknown routes and methods, bodies of the wrong type, malformed or oversize,
// the dashboard's login form with wrong tokens, and forged session cookies.
//
// Never a valid kill, restart, pause, resume, partition, heal, delay, loss,
// transfer, write or read:
// those are faults, and faults are the other nemesis's job (one at a time,
// always healed, so that a majority is whole again). Every node id here is
// one the launcher does not know, and every mutating route that would accept
// any body (heal) is only sent with the wrong method.

import fc from 'fast-check';
import { encodeHttp, describeHttp, type HttpRequest } from './http-grammar.js';
import { deliveryArb, type HostileInput } from './common.js';

const UNKNOWN_IDS = ['no-such-node', '%', '%zz', '%E0%A4%A', '%00', '', '..', 'x'.repeat(5000)];

/** A path of the control API: reads with odd arguments, node routes with unknown ids, unknown routes. */
const pathArb = fc.oneof(
  fc.tuple(fc.constantFrom('status', 'leader', 'memory'), fc.constantFrom('', '/%', '/%zz', '/%E0%A4%A', '/no-such-shard', '/%00', '/a/b/c', '?x=%')).map(([c, rest]) => ({ method: 'GET', path: `/${c}${rest}` })),
  fc.tuple(fc.constantFrom('kill', 'restart', 'pause', 'resume'), fc.constantFrom(...UNKNOWN_IDS)).map(([c, id]) => ({ method: 'POST', path: `/${c}${id === '' ? '' : `/${id}`}` })),
  fc.constantFrom('partition', 'delay', 'loss', 'transfer', 'write', 'read').map((c) => ({ method: 'POST', path: `/${c}` })),
  fc.constantFrom('/', '/%', '//', '/nope', '/heal', '/status/%/%', `/${'a'.repeat(20_000)}`, '*', '/events/x', '/dashboard/%', '/dashboard/../../etc/passwd', '/dashboard/app.js/x', '/metrics/x', '/metrics?%').map((p) => ({ method: 'GET', path: p })),
  fc.tuple(fc.constantFrom('PUT', 'DELETE', 'PATCH', 'BREW', ''), fc.constantFrom('/status', '/kill/no-such-node', '/heal', '/partition', '/transfer', '/events', '/metrics', '/', '/login')).map(([method, p]) => ({ method, path: p })),
  // The dashboard's login form (where auth is on): never a real token.
  fc.constantFrom('/login', '/login?x=%', '/login/x').map((p) => ({ method: 'POST', path: p })),
  fc.constant({ method: 'GET', path: '/login' }),
);

/** What a login form posts: no token, a wrong one, odd encodings (the body arbitraries below add the oversize one). */
const loginBodyArb = fc.constantFrom('token=', 'token=wrong-token-0123456789', 'token=%', 'token=%zz&token=x', 'token', '=&=&', `token=${'a'.repeat(5000)}`).map((s) => Buffer.from(s));

/** Cookies a browser never had: forged, empty, malformed session ids. */
const cookieArb = fc.constantFrom<[string, string][]>([], [], [], [['Cookie', 'raftkv_session=forged']], [['Cookie', 'raftkv_session=']], [['Cookie', ';;=;raftkv_session']], [['Cookie', `raftkv_session=${'x'.repeat(10_000)}`]]);

/** Bodies: wrong types for every field, unknown node ids only, malformed JSON, oversize (past the 64 KiB the server reads). */
const bodyArb = fc.oneof(
  fc.constantFrom<unknown>(
    { groups: 'x' },
    { groups: [['no-such-node'], []] },
    { groups: [['no-such-node'], ['other-unknown']] },
    { groups: [[null], [5]] },
    { groups: [] },
    { from: 1, to: 2 },
    { from: 'no-such-node', to: 'other-unknown' },
    { ms: -1, nodes: ['no-such-node'] },
    { ms: 'abc', nodes: ['no-such-node'] },
    { ms: 5, nodes: ['no-such-node'] },
    { pct: 101, nodes: ['no-such-node'] },
    { pct: 'NaN', nodes: ['no-such-node'] },
    { pct: 5, nodes: ['no-such-node'] },
    { to: 'no-such-node' },
    { to: 5 },
    { shard: 'no-such-shard' },
    { key: 5, value: 'v' },
    { key: '', value: 'v' },
    { key: 'k', value: 'v', node: 'no-such-node' },
    { key: 'k', level: 'sloppy' },
    { key: 'k', node: '%00' },
    null,
    [],
    'str',
    5,
  ).map((v) => Buffer.from(JSON.stringify(v))),
  fc.constantFrom('{', '{"groups":', 'null garbage', '\u0000').map((s) => Buffer.from(s)),
  fc.constant(Buffer.alloc(64 * 1024 + 1, 'a')),
);

/** One request to the control port. */
export function controlInputArb(): fc.Arbitrary<HostileInput> {
  return fc
    .tuple(pathArb, fc.option(fc.oneof(bodyArb, loginBodyArb), { nil: undefined }), fc.constantFrom<HttpRequest['length']>('right', 'right', 'right', 'missing', 'more', 'garbage'), cookieArb)
    .chain(([{ method, path }, body, length, cookie]) => {
      // A delay or loss without a body would be valid for nobody, but a
      // partition/delay/loss always gets one of the bodies above (all name unknown nodes or wrong types).
      const b = body ?? (['/partition', '/delay', '/loss', '/transfer', '/write', '/read'].includes(path) ? Buffer.from('{"groups":"x"}') : Buffer.alloc(0));
      const r: HttpRequest = { method, target: path, headers: [['Host', '127.0.0.1'], ['Connection', 'close'], ...cookie], body: b, length, route: `${method} ${path}` };
      return deliveryArb(encodeHttp(r)).map(({ how, chunks }) => ({ listener: 'control' as const, label: `control ${how}: ${describeHttp(r)}`, chunks }));
    });
}
