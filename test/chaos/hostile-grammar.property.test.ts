// Property tests against a real cluster: whole commands drawn from the RESP
// command table and requests drawn from the HTTP route table, sent raw to
// random nodes in batches; after each batch every node is alive, a write and
// a read succeed through every node, and every earlier write is intact.
// Seeded and bounded (200 inputs each); no shrinking (each run costs a real
// cluster's time, and the input that broke a node is reported as it is).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ROUTES } from '../../src/api/routes.js';
import { HOSTILE_PREFIX, type HostileInput } from '../../src/chaos/hostile/common.js';
import { httpInputArb } from '../../src/chaos/hostile/http-grammar.js';
import { respInputArb } from '../../src/chaos/hostile/resp-grammar.js';
import { sendInput, type WireSecurity } from '../../src/chaos/hostile/wire.js';
import { limitsWith } from '../../src/common/limits.js';
import { TestCluster, http } from '../helpers/test-cluster.js';

const LIMITS = { maxKeyBytes: 512, maxValueBytes: 4096, maxInlineBytes: 2048, maxCommandBytes: 64 * 1024, maxArgs: 256, maxConnections: 128 };
const MAX_BODY = 16 * 1024;
const BATCH = 10;
const BATCHES = 20;

// One cluster per test: a node one test stops must not fail the other.
let c: TestCluster;
/** Probe writes made so far: each must still read back after every later batch. */
let written = new Map<string, string>();
let probes = 0;

const ctx = () => ({ limits: limitsWith(LIMITS), maxBodyBytes: MAX_BODY, keyPrefix: HOSTILE_PREFIX, token: c.launcher.clusterToken, ...(c.tokens ? { bearer: c.tokens.rw } : {}) });

/** How inputs reach a secure cluster's listeners: over TLS, RESP logged in as the readwrite user (HTTP inputs carry its Bearer token mostly: see the grammar's bearer). */
function wireSecurity(listener: 'resp' | 'http'): WireSecurity | undefined {
  if (!c.ca) return undefined;
  return { ca: c.ca, ...(listener === 'resp' ? { preamble: Buffer.from(`AUTH rw ${c.tokens!.rw}\r\n`) } : {}) };
}

/** Every node alive; a write through each node and a linearizable read through each; the earlier writes intact. */
async function clusterIsWhole(batch: readonly string[]): Promise<void> {
  const why = (): string => `after the inputs:\n  ${batch.join('\n  ')}`;
  for (const id of c.launcher.ids) assert.equal(c.launcher.stateOf(id), 'alive', `${id} is ${c.launcher.stateOf(id)} ${why()}`);
  const failed = c.logs.filter((r) => r.msg === 'node failed' || /stopping the node/.test(r.msg));
  assert.deepEqual(failed.map((r) => `${String(r.id)}: ${r.msg} ${String(r.error ?? '').split('\n')[0]}`), [], why());
  await c.waitForLeader(10_000);
  for (const id of c.launcher.ids) {
    const key = `probe-${++probes}`;
    const w = await http('POST', c.url(id, '/key'), { [key]: `v${probes}` });
    assert.equal(w.status, 200, `write through ${id}: ${w.text} ${why()}`);
    written.set(key, `v${probes}`);
  }
  for (const id of c.launcher.ids) {
    for (const [key, value] of written) {
      const r = await http('GET', c.url(id, `/key/${key}?level=linearizable`));
      assert.equal(r.status, 200, `read of ${key} through ${id}: ${r.text} ${why()}`);
      assert.equal(r.json[key], value, why());
    }
  }
}

async function hostileBatches(name: string, seed: number, arb: () => fc.Arbitrary<HostileInput>, addr: (id: string) => string, listener: 'resp' | 'http'): Promise<void> {
  c = await TestCluster.start({ nodes: 3, inMemory: true, limits: LIMITS, maxBodyBytes: MAX_BODY });
  written = new Map();
  try {
    await c.waitForLeader();
    await batches(name, seed, arb, addr, listener, BATCHES);
  } finally {
    await c.stop();
  }
}

async function batches(name: string, seed: number, arb: () => fc.Arbitrary<HostileInput>, addr: (id: string) => string, listener: 'resp' | 'http', numRuns: number): Promise<void> {
  const ids = c.launcher.ids;
  let delivered = 0;
  await fc.assert(
    // n = ids.length: whichever node leads now (only a leader proposes what a forged request carries).
    fc.asyncProperty(fc.array(fc.tuple(arb(), fc.nat({ max: ids.length })), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
      const targets: string[] = [];
      for (const [, n] of batch) targets.push(n < ids.length ? ids[n]! : ((await c.launcher.leader()) ?? ids[0]!));
      const labels = batch.map(([input], i) => `${targets[i]}: ${input.label}`);
      // The inputs of a batch arrive together, each on its own connection (each lingers up to 100 ms for an answer).
      const sent = await Promise.all(batch.map(([input], i) => sendInput(addr(targets[i]!), input, 100, wireSecurity(listener))));
      delivered += sent.filter(Boolean).length;
      await clusterIsWhole(labels);
    }),
    { seed, numRuns, endOnFailure: true, includeErrorInReport: true },
  );
  assert.ok(written.size > 0, name);
  // Over TLS too, the inputs reached the listener (a handshake that failed would send nothing).
  assert.ok(delivered >= numRuns * BATCH * 0.9, `${name}: ${delivered} of ${numRuns * BATCH} inputs delivered`);
}

test('RESP: 200 whole commands from the command table (right and wrong) never stop a node nor lose a write', { timeout: 300_000 }, async () => {
  await hostileBatches('resp', 4242, () => respInputArb(ctx()), (id) => c.launcher.entry(id).resp!, 'resp');
});

test('HTTP: 200 requests from the route table (right and wrong, members-only with forged envelopes) never stop a node nor lose a write', { timeout: 300_000 }, async () => {
  await hostileBatches('http', 4343, () => httpInputArb(ctx(), ROUTES), (id) => c.launcher.entry(id).http, 'http');
});

// The same grammars against a secure cluster (TLS everywhere, users and
// tokens): what lies behind the handshake and the login must hold as well.
// One cluster for both listeners, fewer batches (the plain runs above cover the grammars' breadth).
const SECURE_BATCHES = 4;

test('secure cluster: RESP commands over TLS after AUTH, and HTTPS requests with and without the token, never stop a node nor lose a write', { timeout: 300_000 }, async () => {
  c = await TestCluster.start({ nodes: 3, inMemory: true, limits: LIMITS, maxBodyBytes: MAX_BODY, secure: true });
  written = new Map();
  try {
    await c.waitForLeader();
    await batches('secure resp', 4444, () => respInputArb(ctx()), (id) => c.launcher.entry(id).resp!, 'resp', SECURE_BATCHES);
    await batches('secure http', 4545, () => httpInputArb(ctx(), ROUTES), (id) => c.launcher.entry(id).http, 'http', SECURE_BATCHES);
  } finally {
    await c.stop();
  }
});
