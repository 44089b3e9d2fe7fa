// The hostile generators really cover their tables (every command, every
// subcommand, every route, every kind of hello), never aim a write at a key
// the history clients use, never send the control API a valid fault, and
// draw the same input from the same seed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ROUTES } from '../../src/api/routes.js';
import { inputSeed } from '../../src/chaos/hostile-nemesis.js';
import { HOSTILE_PREFIX, type GrammarContext } from '../../src/chaos/hostile/common.js';
import { controlInputArb } from '../../src/chaos/hostile/control-grammar.js';
import { httpInputArb, httpRequestArb } from '../../src/chaos/hostile/http-grammar.js';
import { peerInputArb } from '../../src/chaos/hostile/peer-grammar.js';
import { anyCommandArb, respInputArb } from '../../src/chaos/hostile/resp-grammar.js';
import { clusterIdentity } from '../../src/common/cluster-identity.js';
import { limitsWith } from '../../src/common/limits.js';
import { COMMANDS } from '../../src/resp/commands/index.js';
import { ROUTER_ROUTES } from '../../src/shard/router-routes.js';

const TOKEN = 'hostile-grammar-test-token';
const ctx: GrammarContext & { token: string } = { limits: limitsWith({ maxKeyBytes: 256, maxValueBytes: 1024, maxInlineBytes: 1024 }), maxBodyBytes: 4096, keyPrefix: HOSTILE_PREFIX, token: TOKEN };
// Enough that every command and subcommand of the merged table (124 commands, 10 subcommands) shows up: 3000 missed COMMAND INFO.
const SAMPLES = 5000;

test('the RESP grammar draws every command and every subcommand of the table', () => {
  const seen = new Set<string>();
  for (const c of fc.sample(anyCommandArb(ctx), { seed: 1, numRuns: SAMPLES })) {
    seen.add(c.name);
    const sub = COMMANDS.get(c.name)?.subcommands;
    if (sub && c.args.length > 1) seen.add(`${c.name}|${c.args[1]!.toString('latin1').toLowerCase()}`);
  }
  for (const [name, c] of COMMANDS) {
    assert.ok(seen.has(name), `command ${name} never drawn`);
    for (const sub of Object.keys(c.subcommands ?? {})) assert.ok(seen.has(`${name}|${sub}`), `subcommand ${name} ${sub} never drawn`);
  }
  assert.ok(seen.has('?'), 'unknown commands drawn too');
});

test('no RESP write names a key outside the hostile prefix (unless it is one every node must refuse)', () => {
  for (const c of fc.sample(anyCommandArb(ctx), { seed: 2, numRuns: SAMPLES })) {
    const cmd = COMMANDS.get(c.name);
    if (!cmd || cmd.kind !== 'write') continue;
    // Every word after the name could be taken for a key by a variadic command (DEL, MSET): check them all but values.
    const [first, last, step] = cmd.keys;
    const end = last < 0 ? c.args.length + last : last;
    for (let i = first; i <= end && i < c.args.length; i += step) {
      const k = c.args[i]!.toString('latin1');
      assert.ok(k === '' || k.startsWith(HOSTILE_PREFIX) || k.startsWith('\u0000') || /^(nx|xx|get|keepttl|ex|px|exat|pxat)$/i.test(k), `${c.name} writes ${JSON.stringify(k.slice(0, 40))}`);
    }
  }
});

test('the RESP inputs come whole, split, cut short, in pipelines and in every encoding', () => {
  const labels = fc.sample(respInputArb(ctx), { seed: 3, numRuns: 500 }).map((i) => i.label);
  for (const want of ['resp whole:', 'resp split:', 'resp truncated:', 'inline ', 'raw ', ' | ']) assert.ok(labels.some((l) => l.includes(want)), `no input with ${JSON.stringify(want)}`);
});

for (const [name, routes] of [['node', ROUTES], ['router', ROUTER_ROUTES]] as const) {
  test(`the HTTP grammar draws every route of the ${name}'s table, wrong methods and stray paths`, () => {
    const reqs = fc.sample(httpRequestArb(ctx, routes), { seed: 4, numRuns: SAMPLES });
    const seen = new Set(reqs.map((r) => r.route));
    for (const r of routes) assert.ok(seen.has(`${r.method} ${r.pattern}`), `route ${r.method} ${r.pattern} never drawn`);
    assert.ok(seen.has('?'), 'stray paths drawn too');
    assert.ok(reqs.some((r) => r.route !== '?' && !r.route.startsWith(`${r.method} `)), 'wrong methods drawn too');
    for (const len of ['missing', 'more', 'less', 'garbage', 'twice', 'chunked-bad'] as const) assert.ok(reqs.some((r) => r.length === len), `no Content-Length ${len}`);
    if (routes.some((r) => r.pattern === '/watch')) assert.ok(reqs.some((r) => r.route === 'GET /watch' && r.headers.some(([k, v]) => k === 'Upgrade' && v === 'websocket')), 'WebSocket upgrades to /watch drawn too');
  });
}

test('members-only routes go with the token, with a wrong one and without; admin routes never name a member or send {}', () => {
  const reqs = fc.sample(httpRequestArb(ctx, ROUTES), { seed: 5, numRuns: SAMPLES });
  const tokenOf = (r: (typeof reqs)[number]): string | undefined => r.headers.find(([k]) => k === 'x-raftkv-cluster-token')?.[1];
  const propose = reqs.filter((r) => r.route === 'POST /internal/propose');
  assert.ok(propose.some((r) => tokenOf(r) === TOKEN) && propose.some((r) => tokenOf(r) === undefined) && propose.some((r) => tokenOf(r) !== undefined && tokenOf(r) !== TOKEN));
  for (const r of reqs.filter((x) => x.route.includes('/raft/remove') || x.route.includes('/raft/transfer-leadership'))) {
    const body = r.body.toString();
    assert.ok(body !== '{}' && body !== '' && !/node\d/.test(body), `admin body ${body}`);
  }
  for (const r of reqs.filter((x) => x.route === 'POST /join' && tokenOf(x) === TOKEN)) {
    let v: unknown;
    try {
      v = JSON.parse(r.body.toString());
    } catch {
      continue;
    }
    const ok = typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string' && typeof (v as { addr?: unknown }).addr === 'string';
    assert.ok(!ok, `a valid join with the token: ${r.body.toString()}`);
  }
});

test('the peer grammar draws every kind of hello, and the leader-only heartbeat only for a leader', () => {
  const base = { ...ctx, identity: clusterIdentity(TOKEN), target: 'node0', members: ['node0', 'node1', 'node2'], term: 7 };
  const asFollower = fc.sample(peerInputArb({ ...base, targetLeads: false }), { seed: 6, numRuns: 2000 });
  const kinds = new Set(asFollower.map((i) => i.hello));
  for (const k of ['member', 'legacy-v1', 'none', 'other-cluster', 'unknown-id', 'bad-proof', 'malformed']) assert.ok(kinds.has(k as never), `hello ${k} never drawn`);
  assert.ok(!asFollower.some((i) => i.label.includes("Heartbeat at the leader's own term")));
  const asLeader = fc.sample(peerInputArb({ ...base, targetLeads: true }), { seed: 6, numRuns: 2000 });
  assert.ok(asLeader.some((i) => i.label.includes("Heartbeat at the leader's own term 7")));
  for (const want of ['Snap without metadata', 'gapped entries', 'at stale term', 'header says', 'NaN']) assert.ok(asLeader.some((i) => i.label.includes(want)), `no ${want}`);
});

test('the control grammar never sends a valid fault: only unknown node ids, wrong bodies or wrong methods', () => {
  const inputs = fc.sample(controlInputArb(), { seed: 7, numRuns: SAMPLES });
  assert.ok(inputs.some((i) => i.label.includes('/status/%')), 'the repro GET /status/% is drawn');
  assert.ok(inputs.some((i) => /POST \/login/.test(i.label)), "the dashboard's login form is drawn");
  assert.ok(inputs.some((i) => Buffer.concat(i.chunks).toString('latin1').includes('raftkv_session=forged')), 'forged session cookies are drawn');
  for (const i of inputs) {
    const whole = Buffer.concat(i.chunks).toString('latin1');
    assert.ok(!/node\d/.test(whole), `a member id in ${i.label}`);
    assert.ok(!/^POST \/heal/.test(whole), `a heal: ${i.label}`);
  }
});

test('the same seed draws the same input, a different one another', () => {
  const draw = (seed: number) => fc.sample(httpInputArb(ctx, ROUTES), { seed, numRuns: 1 })[0]!.label;
  assert.equal(draw(inputSeed(9, 41)), draw(inputSeed(9, 41)));
  const labels = new Set(Array.from({ length: 20 }, (_, n) => draw(inputSeed(9, n))));
  assert.ok(labels.size > 15, 'neighbouring inputs differ');
});
