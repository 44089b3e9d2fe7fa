import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkKvHistory, describeOperation, type KvInput, type KvOutput, type Operation } from '../../src/check/linearizability.js';
import { SeededRand } from '../../src/raft/rand.js';

// --- helpers -----------------------------------------------------------------

const UNKNOWN: KvOutput = { unknown: true };

function op(clientId: number, call: number, ret: number, input: KvInput, output: KvOutput): Operation {
  return { clientId, input, output, call, return: ret };
}
const put = (c: number, call: number, ret: number, key: string, value: string): Operation =>
  op(c, call, ret, { op: 'put', key, value }, { ok: true });
const get = (c: number, call: number, ret: number, key: string, value: string | null): Operation =>
  op(c, call, ret, { op: 'get', key }, { ok: true, value });
const del = (c: number, call: number, ret: number, key: string): Operation =>
  op(c, call, ret, { op: 'delete', key }, { ok: true });
const cas = (c: number, call: number, ret: number, key: string, expect: string | null, value: string, swapped: boolean): Operation =>
  op(c, call, ret, { op: 'cas', key, expect, value }, { ok: true, swapped });
const unknownPut = (c: number, call: number, key: string, value: string): Operation =>
  op(c, call, Infinity, { op: 'put', key, value }, UNKNOWN);

function assertLinearizable(history: Operation[]): void {
  const r = checkKvHistory(history);
  assert.equal(r.timedOut, false);
  assert.equal(r.ok, true, r.explanation);
}

function assertViolation(history: Operation[], key = 'k'): string {
  const r = checkKvHistory(history);
  assert.equal(r.timedOut, false);
  assert.equal(r.ok, false, 'expected a linearizability violation');
  assert.equal(r.badKey, key);
  assert.ok(r.explanation);
  return r.explanation;
}

// --- basic cases ---------------------------------------------------------------

test('empty history is linearizable', () => {
  assertLinearizable([]);
});

test('sequential history is linearizable', () => {
  assertLinearizable([
    get(0, 0, 1, 'k', null),
    put(0, 2, 3, 'k', 'a'),
    get(1, 4, 5, 'k', 'a'),
    cas(0, 6, 7, 'k', 'a', 'b', true),
    cas(1, 8, 9, 'k', 'a', 'c', false),
    get(0, 10, 11, 'k', 'b'),
    del(1, 12, 13, 'k'),
    get(0, 14, 15, 'k', null),
  ]);
});

test('a get concurrent with a put may see either value', () => {
  for (const seen of [null, 'a']) {
    assertLinearizable([put(0, 0, 10, 'k', 'a'), get(1, 5, 6, 'k', seen)]);
  }
  // Touching intervals count as concurrent.
  assertLinearizable([put(0, 0, 5, 'k', 'a'), get(1, 5, 6, 'k', null)]);
});

test('stale read after a completed put is not linearizable', () => {
  assertViolation([put(0, 0, 1, 'k', 'a'), put(0, 2, 3, 'k', 'b'), get(1, 4, 5, 'k', 'a')]);
  assertViolation([put(0, 0, 1, 'k', 'a'), get(1, 2, 3, 'k', null)]);
});

test('read of a value never written is not linearizable', () => {
  assertViolation([put(0, 0, 10, 'k', 'a'), get(1, 1, 2, 'k', 'zzz')]);
});

test('new-old inversion: two gets reversing the order of two puts', () => {
  const history = [
    put(0, 0, 1, 'k', 'a'),
    put(0, 10, 100, 'k', 'b'), // slow put, concurrent with both gets
    get(1, 20, 30, 'k', 'b'),
    get(2, 40, 50, 'k', 'a'), // starts after the first get saw b
  ];
  assertViolation(history);
  // The same reads are fine when the two gets overlap each other.
  const overlapping = [...history.slice(0, 3), get(2, 25, 50, 'k', 'a')];
  assertLinearizable(overlapping);
});

// --- cas ---------------------------------------------------------------------------

test('cas outcomes must agree with the current value', () => {
  assertLinearizable([cas(0, 0, 1, 'k', null, 'a', true), get(0, 2, 3, 'k', 'a')]);
  assertLinearizable([put(0, 0, 1, 'k', 'x'), cas(0, 2, 3, 'k', null, 'a', false), get(0, 4, 5, 'k', 'x')]);
  // Claims to swap although the value differs.
  assertViolation([put(0, 0, 1, 'k', 'x'), cas(0, 2, 3, 'k', 'y', 'a', true)]);
  // Claims not to swap although the value matches.
  assertViolation([put(0, 0, 1, 'k', 'x'), cas(0, 2, 3, 'k', 'x', 'a', false)]);
  // A failed cas must not change the value.
  assertViolation([put(0, 0, 1, 'k', 'x'), cas(0, 2, 3, 'k', 'y', 'a', false), get(0, 4, 5, 'k', 'a')]);
});

test('cas reporting the value it saw is checked against the state', () => {
  const casSaw = (seen: string): Operation =>
    op(1, 2, 3, { op: 'cas', key: 'k', expect: 'y', value: 'a' }, { ok: true, swapped: false, value: seen });
  assertLinearizable([put(0, 0, 1, 'k', 'x'), casSaw('x')]);
  assertViolation([put(0, 0, 1, 'k', 'x'), casSaw('z')]);
});

test('two concurrent cas cannot both swap from the same expected value', () => {
  const base = put(0, 0, 1, 'k', 'x');
  assertViolation([base, cas(1, 2, 10, 'k', 'x', 'a', true), cas(2, 3, 11, 'k', 'x', 'b', true)]);
  // One winner and one loser is fine, in either order.
  assertLinearizable([base, cas(1, 2, 10, 'k', 'x', 'a', true), cas(2, 3, 11, 'k', 'x', 'b', false)]);
  assertLinearizable([base, cas(1, 2, 10, 'k', 'x', 'a', false), cas(2, 3, 11, 'k', 'x', 'b', true)]);
});

// --- delete ----------------------------------------------------------------------

test('get after a completed delete must not return the old value', () => {
  assertViolation([put(0, 0, 1, 'k', 'a'), del(0, 2, 3, 'k'), get(1, 4, 5, 'k', 'a')]);
  assertLinearizable([put(0, 0, 1, 'k', 'a'), del(0, 2, 3, 'k'), get(1, 4, 5, 'k', null)]);
});

// --- unknown results ---------------------------------------------------------------

test('a put with unknown result may take effect late, or never', () => {
  // Observed long after the client gave up on it.
  assertLinearizable([unknownPut(0, 0, 'k', 'a'), get(1, 5, 6, 'k', null), get(1, 100, 101, 'k', 'a')]);
  // Never observed: it may never have happened.
  assertLinearizable([unknownPut(0, 0, 'k', 'a'), put(1, 5, 6, 'k', 'b'), get(1, 7, 8, 'k', 'b')]);
  // Unknown cas and delete take effect or not, too.
  assertLinearizable([
    put(0, 0, 1, 'k', 'a'),
    op(0, 2, Infinity, { op: 'cas', key: 'k', expect: 'a', value: 'b' }, UNKNOWN),
    op(1, 3, Infinity, { op: 'delete', key: 'k' }, UNKNOWN),
    get(2, 10, 11, 'k', 'b'),
    get(2, 12, 13, 'k', null),
  ]);
});

test('a put with unknown result cannot be observed before its call', () => {
  assertViolation([get(1, 0, 1, 'k', 'a'), unknownPut(0, 5, 'k', 'a')]);
});

test('a put with unknown result takes effect at most once', () => {
  const history = [unknownPut(0, 0, 'k', 'b'), put(1, 5, 6, 'k', 'a'), get(1, 7, 8, 'k', 'b'), get(1, 9, 10, 'k', 'a')];
  assertViolation(history);
  // Fine if the last read may come first.
  assertLinearizable([...history.slice(0, 3), get(1, 6, 10, 'k', 'a')]);
});

test('a get with unknown result is ignored', () => {
  assertLinearizable([put(0, 0, 1, 'k', 'a'), op(1, 2, Infinity, { op: 'get', key: 'k' }, UNKNOWN), get(1, 3, 4, 'k', 'a')]);
});

// --- partitioning ------------------------------------------------------------------

test('keys are independent registers', () => {
  assertLinearizable([put(0, 0, 1, 'x', 'a'), get(1, 2, 3, 'y', null), get(1, 4, 5, 'x', 'a')]);
});

test('a violation on one key is reported with badKey and an explanation', () => {
  const history = [
    put(0, 0, 1, 'x', 'a'),
    put(1, 0, 1, 'y', 'p'),
    get(0, 2, 3, 'x', 'a'),
    put(1, 2, 3, 'y', 'q'),
    get(2, 4, 5, 'y', 'p'), // stale
    get(0, 4, 5, 'x', 'a'),
  ];
  const explanation = assertViolation(history, 'y');
  // The explanation lists the key's ops in call order, and only that key's.
  const positions = [history[1], history[3], history[4]].map((o) => explanation.lastIndexOf(describeOperation(o!)));
  assert.ok(positions.every((p) => p >= 0), explanation);
  assert.ok(positions[0]! < positions[1]! && positions[1]! < positions[2]!, explanation);
  assert.ok(!explanation.includes('"x"'), explanation);
  // Deterministic.
  assert.deepEqual(checkKvHistory(history), checkKvHistory(history));
});

// --- random histories --------------------------------------------------------------

/**
 * A history of a real atomic register: each op takes effect at a random
 * instant inside its [call, return] interval, clients issue ops back to back
 * with random durations so that intervals of different clients overlap, and a
 * few results are lost (return = Infinity), half of those never taking
 * effect. Every written value is unique.
 */
function randomHistory(seed: number, count: number, clients: number, keys: string[]): Operation[] {
  const r = new SeededRand(seed);
  const rand = (): number => r.next();
  const int = (n: number): number => Math.floor(rand() * n);
  const clientFree = new Array<number>(clients).fill(0);
  const written = new Map<string, string[]>(keys.map((k) => [k, []]));
  const planned: { op: Operation; at: number; takesEffect: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = int(clients);
    const call = clientFree[clientId]! + int(4);
    const ret = call + 1 + int(30);
    clientFree[clientId] = ret + 1;
    const key = keys[int(keys.length)]!;
    const recent = written.get(key)!;
    const r = rand();
    let input: KvInput;
    if (r < 0.35) input = { op: 'get', key };
    else if (r < 0.7) input = { op: 'put', key, value: `v${i}` };
    else if (r < 0.8) input = { op: 'delete', key };
    else {
      const choices = [null, ...recent.slice(-3)];
      input = { op: 'cas', key, expect: choices[int(choices.length)]!, value: `c${i}` };
    }
    if ('value' in input) recent.push(input.value);
    const lost = rand() < 0.04;
    planned.push({
      op: { clientId, input, output: lost ? UNKNOWN : { ok: true }, call, return: lost ? Infinity : ret },
      at: call + rand() * (ret - call),
      takesEffect: !lost || rand() < 0.5,
    });
  }
  const state = new Map<string, string>();
  for (const { op: o, takesEffect } of [...planned].sort((a, b) => a.at - b.at)) {
    if (!takesEffect) continue;
    const { input } = o;
    const current = state.get(input.key) ?? null;
    let output: KvOutput = { ok: true };
    switch (input.op) {
      case 'get':
        output = { ok: true, value: current };
        break;
      case 'put':
        state.set(input.key, input.value);
        break;
      case 'delete':
        state.delete(input.key);
        break;
      case 'cas': {
        const swapped = current === input.expect;
        if (swapped) state.set(input.key, input.value);
        output = { ok: true, swapped, value: current };
        break;
      }
    }
    if (!('unknown' in o.output)) o.output = output;
  }
  return planned.map((p) => p.op);
}

function timed<T>(f: () => T): [T, number] {
  const start = performance.now();
  const result = f();
  return [result, performance.now() - start];
}

const knownGets = (h: Operation[]): Operation[] => h.filter((o) => o.input.op === 'get' && !('unknown' in o.output));

test('random linearizable history passes quickly', (t) => {
  const history = randomHistory(1, 400, 6, ['a', 'b', 'c']);
  const [result, ms] = timed(() => checkKvHistory(history));
  t.diagnostic(`400 ops: ${ms.toFixed(1)} ms`);
  assert.deepEqual(result, { ok: true, timedOut: false }, result.explanation);
  assert.ok(ms < 2000, `took ${ms} ms`);
});

test('random linearizable histories of many seeds and sizes pass', (t) => {
  let total = 0;
  for (let seed = 2; seed < 32; seed++) {
    const history = randomHistory(seed, 300, 2 + (seed % 7), ['a', 'b', 'c', 'd', 'e'].slice(0, 1 + (seed % 5)));
    const [result, ms] = timed(() => checkKvHistory(history));
    total += ms;
    assert.equal(result.ok && !result.timedOut, true, `seed ${seed}: ${result.explanation}`);
  }
  const big = randomHistory(99, 3000, 10, ['a', 'b', 'c', 'd']);
  const [result, ms] = timed(() => checkKvHistory(big));
  t.diagnostic(`30 x 300 ops: ${total.toFixed(1)} ms; 3000 ops: ${ms.toFixed(1)} ms`);
  assert.deepEqual(result, { ok: true, timedOut: false }, result.explanation);
});

test('random history with one read corrupted to a never-written value fails', () => {
  const history = randomHistory(1, 400, 6, ['a', 'b', 'c']);
  const victim = knownGets(history)[60]!;
  victim.output = { ok: true, value: 'corrupted' };
  const r = checkKvHistory(history);
  assert.equal(r.ok, false);
  assert.equal(r.badKey, victim.input.key);
  assert.ok(r.explanation?.includes(describeOperation(victim)), r.explanation);
});

test('random history with one read corrupted to a stale value fails', () => {
  const history = randomHistory(7, 400, 6, ['a', 'b', 'c']);
  // A get that starts after put p2 completed, itself started after put p1
  // completed: p1's value is stale for sure (values are unique).
  const puts = history.filter((o) => o.input.op === 'put' && o.return !== Infinity);
  let corrupted: Operation | undefined;
  for (const r of knownGets(history).slice(50)) {
    const before = puts.filter((p) => p.input.key === r.input.key && p.return < r.call);
    const p2 = before.at(-1);
    const p1 = p2 && before.find((p) => p.return < p2.call);
    if (p1 && p1.input.op === 'put') {
      r.output = { ok: true, value: p1.input.value };
      corrupted = r;
      break;
    }
  }
  assert.ok(corrupted, 'no suitable read in the generated history');
  const r = checkKvHistory(history);
  assert.equal(r.ok, false);
  assert.equal(r.badKey, corrupted.input.key);
});

// --- differential test against a brute-force checker ------------------------------

/** Tries every order that respects real time; ops with unknown results may be left out. */
function bruteForce(history: Operation[]): boolean {
  const done = new Array<boolean>(history.length).fill(false);
  const known = (o: Operation): boolean => !('unknown' in o.output);
  const mustPrecede = (a: Operation, b: Operation): boolean => known(a) && a.return < b.call;
  const apply = (o: Operation, state: string | null): string | null | undefined => {
    const out = o.output;
    const { input } = o;
    switch (input.op) {
      case 'put':
        return input.value;
      case 'delete':
        return null;
      case 'get':
        return 'unknown' in out || out.value === state ? state : undefined;
      case 'cas': {
        const match = state === input.expect;
        if ('unknown' in out) return match ? input.value : state;
        if (out.value !== undefined && out.value !== state) return undefined;
        return out.swapped === match ? (match ? input.value : state) : undefined;
      }
    }
  };
  const rec = (state: string | null): boolean => {
    if (history.every((o, i) => done[i] || !known(o))) return true;
    for (let i = 0; i < history.length; i++) {
      if (done[i] || history.some((o, j) => !done[j] && j !== i && mustPrecede(o, history[i]!))) continue;
      const next = apply(history[i]!, state);
      if (next === undefined) continue;
      done[i] = true;
      const ok = rec(next);
      done[i] = false;
      if (ok) return true;
    }
    return false;
  };
  return rec(null);
}

test('agrees with a brute-force checker on small random histories', () => {
  const r = new SeededRand(42);
  const rand = (): number => r.next();
  const int = (n: number): number => Math.floor(rand() * n);
  let violations = 0;
  for (let round = 0; round < 4000; round++) {
    // Half the rounds write unique values, as a careful harness does, which
    // enables more of the checker's shortcuts.
    const unique = round % 2 === 1;
    const values = unique ? [] : ['a', 'b', 'c'];
    const write = (): string => (unique ? `w${values.push(`w${values.length}`) - 1}` : values[int(3)]!);
    const read = (): string | null => (rand() < 0.25 || values.length === 0 ? null : values[int(values.length)]!);
    const history: Operation[] = [];
    for (let i = 0, n = 1 + int(8); i < n; i++) {
      const call = int(12);
      const ret = call + int(6);
      const r = rand();
      const input: KvInput =
        r < 0.3 ? { op: 'put', key: 'k', value: write() }
        : r < 0.6 ? { op: 'get', key: 'k' }
        : r < 0.7 ? { op: 'delete', key: 'k' }
        : { op: 'cas', key: 'k', expect: read(), value: write() };
      history.push({ clientId: i, input, output: { ok: true }, call, return: ret });
    }
    // Outputs are drawn once every value is known, so reads may see later writes.
    for (const o of history) {
      if (rand() < 0.2) {
        o.output = UNKNOWN;
        o.return = Infinity;
      } else if (o.input.op === 'get') {
        o.output = { ok: true, value: read() };
      } else if (o.input.op === 'cas') {
        o.output = rand() < 0.5 ? { ok: true, swapped: rand() < 0.5 } : { ok: true, swapped: rand() < 0.5, value: read() };
      }
    }
    const expected = bruteForce(history);
    const got = checkKvHistory(history);
    assert.equal(got.ok, expected, `round ${round}:\n${history.map(describeOperation).join('\n')}`);
    if (!expected) violations++;
  }
  // Both outcomes are well represented.
  assert.ok(violations > 800 && violations < 3200, `${violations} violations`);
});

// --- timeout and errors ------------------------------------------------------------

test('timeout gives ok with timedOut', () => {
  // n fully concurrent puts, then reads of two of their values in turn,
  // which no order allows: the search tries every order of the puts, up to
  // the cache, before giving up.
  const hard = (n: number): Operation[] => [
    ...Array.from({ length: n }, (_, i) => put(i, 0, 100, 'k', `v${i}`)),
    get(99, 200, 201, 'k', 'v0'),
    get(99, 202, 203, 'k', 'v1'),
  ];
  assert.equal(checkKvHistory(hard(6), { timeoutMs: 0 }).ok, false);
  const history = hard(20);
  const [r, ms] = timed(() => checkKvHistory(history, { timeoutMs: 50 }));
  assert.deepEqual(r, { ok: true, timedOut: true });
  assert.ok(ms < 1000, `took ${ms} ms`);
});

test('malformed operations are rejected', () => {
  assert.throws(() => checkKvHistory([put(0, 5, 4, 'k', 'a')]), /malformed/);
  assert.throws(() => checkKvHistory([op(0, 0, 1, { op: 'get', key: 'k' }, { ok: true })]), /malformed/);
});

test('describeOperation is readable', () => {
  assert.equal(describeOperation(cas(2, 10, 14, 'k', null, 'v1', true)), 'client 2: cas("k", absent -> "v1") -> swapped  [10, 14]');
  assert.equal(describeOperation(unknownPut(1, 3, 'k', 'x')), 'client 1: put("k", "x") -> ?  [3, inf]');
  assert.equal(describeOperation(get(0, 1, 2, 'k', null)), 'client 0: get("k") -> absent  [1, 2]');
});
