import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvState, decodeEnvelope, encodeEnvelope, parseRedisInteger, type SessionWrite } from '../../src/node/kv-state.js';
import type { KvWrite } from '../../src/common/kv-write.js';
import { bytesToStored, isBinaryForm } from '../../src/node/stored-bytes.js';

function run(kv: KvState, env: Parameters<KvState['apply']>[0], index: number) {
  const writes: KvWrite[] = [];
  const sessions: SessionWrite[] = [];
  const result = kv.apply(env, index, writes, sessions);
  return { result, writes, sessions };
}

test('set applies every key atomically and records one write per key', () => {
  const kv = new KvState();
  const { result, writes } = run(kv, { cmd: { op: 'set', kv: [['a', '1'], ['b', '2']] } }, 1);
  assert.deepEqual(result, { ok: true });
  assert.deepEqual(writes, [{ key: 'a', value: '1', rev: 1 }, { key: 'b', value: '2', rev: 1 }]);
  assert.equal(kv.get('b'), '2');
});

test('delete counts only keys that existed', () => {
  const kv = new KvState(new Map([['a', '1']]));
  assert.deepEqual(run(kv, { cmd: { op: 'del', keys: ['a', 'zz'] } }, 1).result, { ok: true, count: 1 });
  assert.equal(kv.get('a'), undefined);
});

test('cas swaps only from the expected value; null expects absence', () => {
  const kv = new KvState();
  assert.deepEqual(run(kv, { cmd: { op: 'cas', key: 'k', expect: 'x', value: 'y' } }, 1).result, { ok: true, swapped: false, value: null });
  assert.deepEqual(run(kv, { cmd: { op: 'cas', key: 'k', expect: null, value: 'v1' } }, 2).result, { ok: true, swapped: true, value: 'v1' });
  assert.deepEqual(run(kv, { cmd: { op: 'cas', key: 'k', expect: null, value: 'v2' } }, 3).result, { ok: true, swapped: false, value: 'v1' });
  assert.deepEqual(run(kv, { cmd: { op: 'cas', key: 'k', expect: 'v1', value: 'v3' } }, 4).result, { ok: true, swapped: true, value: 'v3' });
});

test('incr refuses non-integers and overflow, and leaves the value alone', () => {
  const kv = new KvState(new Map([['n', '41'], ['s', 'abc'], ['z', '007'], ['big', String(Number.MAX_SAFE_INTEGER)]]));
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'n', by: 1 } }, 1).result, { ok: true, number: 42 });
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'new', by: -3 } }, 2).result, { ok: true, number: -3 });
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 's', by: 1 } }, 3).result, { ok: false, error: 'not-integer' });
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'z', by: 1 } }, 4).result, { ok: false, error: 'not-integer' });
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'big', by: 1 } }, 5).result, { ok: false, error: 'overflow' });
  assert.equal(kv.get('s'), 'abc');
});

test('a retried command of a session is applied once and answered with its first result', () => {
  const kv = new KvState();
  const first = run(kv, { c: 'c1', s: 1, a: 1, cmd: { op: 'incr', key: 'n', by: 5 } }, 1);
  const retry = run(kv, { c: 'c1', s: 1, a: 1, cmd: { op: 'incr', key: 'n', by: 5 } }, 2);
  assert.deepEqual(first.result, { ok: true, number: 5 });
  assert.deepEqual(retry.result, { ok: true, number: 5 });
  assert.deepEqual(retry.writes, []);
  assert.equal(kv.get('n'), '5');
});

test('concurrent commands of one session may apply out of order; acknowledged ones are refused again', () => {
  const kv = new KvState();
  assert.deepEqual(run(kv, { c: 'c', s: 2, a: 1, cmd: { op: 'incr', key: 'n', by: 1 } }, 1).result, { ok: true, number: 1 });
  assert.deepEqual(run(kv, { c: 'c', s: 1, a: 1, cmd: { op: 'incr', key: 'n', by: 1 } }, 2).result, { ok: true, number: 2 });
  // The client has answers for 1 and 2 now: its next command says so.
  run(kv, { c: 'c', s: 3, a: 3, cmd: { op: 'incr', key: 'n', by: 1 } }, 3);
  assert.deepEqual(run(kv, { c: 'c', s: 1, a: 3, cmd: { op: 'incr', key: 'n', by: 1 } }, 4).result, { ok: false, error: 'stale-session' });
  assert.equal(kv.get('n'), '3');
  assert.deepEqual(Object.keys(kv.sessions.get('c')!.results), ['3']);
});

test('sessions expire by log index, not by time', () => {
  const kv = new KvState(new Map(), new Map(), 100);
  run(kv, { c: 'old', s: 1, cmd: { op: 'set', kv: [['a', '1']] } }, 10);
  run(kv, { c: 'new', s: 1, cmd: { op: 'set', kv: [['a', '2']] } }, 150);
  assert.deepEqual(kv.expireSessions(200), [{ client: 'old', session: null }]);
  assert.ok(kv.sessions.has('new'));
});

test('envelopes survive encoding; garbage is refused', () => {
  const env = { c: 'x', s: 3, a: 1, cmd: { op: 'set' as const, kv: [['k', 'v']] as [string, string][] } };
  assert.deepEqual(decodeEnvelope(encodeEnvelope(env)), env);
  assert.throws(() => decodeEnvelope(new Uint8Array([0xc1])));
  assert.throws(() => decodeEnvelope(encodeEnvelope({ nope: 1 } as never)), /malformed/);
});

test('member addresses live beside the data, not in it', () => {
  const kv = new KvState();
  const writes: KvWrite[] = [];
  kv.setMember('n1', '{"raft":"a:1","http":"b:2"}', writes);
  const reloaded = new KvState(new Map(writes.map((w) => [w.key, w.value!])));
  assert.equal(reloaded.data.size, 0);
  assert.equal(reloaded.members.get('n1'), '{"raft":"a:1","http":"b:2"}');
});

test('Redis integers are canonical', () => {
  assert.equal(parseRedisInteger('-12'), -12);
  for (const bad of ['', ' 1', '+1', '01', '-0', '1.5', '99999999999999999999']) assert.equal(parseRedisInteger(bad), undefined, bad);
});

test('set1: NX only when absent, XX only when present, GET answers the old value', () => {
  const kv = new KvState();
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'k', value: 'a', cond: 'xx' } }, 1).result, { ok: true, count: 0 });
  assert.equal(kv.get('k'), undefined);
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'k', value: 'a', cond: 'nx' } }, 2).result, { ok: true, count: 1 });
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'k', value: 'b', cond: 'nx' } }, 3).result, { ok: true, count: 0 });
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'k', value: 'c', cond: 'xx', get: true } }, 4).result, { ok: true, value: 'a' });
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'k', value: 'd', cond: 'nx', get: true } }, 5).result, { ok: true, value: 'c' });
  assert.equal(kv.get('k'), 'c');
  assert.deepEqual(run(kv, { cmd: { op: 'set1', key: 'n', value: 'e', get: true } }, 6).result, { ok: true, value: null });
  assert.equal(kv.get('n'), 'e');
});

test('incr by any delta (INCRBY, DECRBY) is applied in the state machine', () => {
  const kv = new KvState(new Map([['n', '10']]));
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'n', by: 32 } }, 1).result, { ok: true, number: 42 });
  assert.deepEqual(run(kv, { cmd: { op: 'incr', key: 'n', by: -50 } }, 2).result, { ok: true, number: -8 });
  assert.equal(kv.get('n'), '-8');
});

test('append concatenates bytes and answers the length in bytes, binary values included', () => {
  const kv = new KvState();
  assert.deepEqual(run(kv, { cmd: { op: 'append', key: 'k', value: 'é' } }, 1).result, { ok: true, number: 2 });
  assert.deepEqual(run(kv, { cmd: { op: 'append', key: 'k', value: 'x' } }, 2).result, { ok: true, number: 3 });
  assert.equal(kv.get('k'), 'éx');
  // Half of a UTF-8 character, then the other half: binary first, text once whole.
  run(kv, { cmd: { op: 'append', key: 'b', value: bytesToStored(Buffer.from([0xc3])) } }, 3);
  assert.ok(isBinaryForm(kv.get('b')!));
  assert.deepEqual(run(kv, { cmd: { op: 'append', key: 'b', value: bytesToStored(Buffer.from([0xa9])) } }, 4).result, { ok: true, number: 2 });
  assert.equal(kv.get('b'), 'é');
});

test('a batch applies its commands in order in one entry, one result each; a failing one does not stop the rest', () => {
  const kv = new KvState(new Map([['s', 'abc']]));
  const { result, writes } = run(
    kv,
    {
      cmd: {
        op: 'batch',
        cmds: [
          { op: 'set', kv: [['a', '1']] },
          { op: 'incr', key: 'a', by: 1 },
          { op: 'incr', key: 's', by: 1 },
          { op: 'set1', key: 'a', value: 'x', cond: 'nx' },
          { op: 'del', keys: ['s'] },
        ],
      },
    },
    1,
  );
  assert.deepEqual(result, {
    ok: true,
    results: [{ ok: true }, { ok: true, number: 2 }, { ok: false, error: 'not-integer' }, { ok: true, count: 0 }, { ok: true, count: 1 }],
  });
  assert.equal(kv.get('a'), '2');
  assert.equal(kv.get('s'), undefined);
  assert.equal(writes.length, 3);
});

test('a retried batch of a session is applied once', () => {
  const kv = new KvState();
  const env = { c: 'fwd', s: 1, a: 1, cmd: { op: 'batch' as const, cmds: [{ op: 'incr' as const, key: 'n', by: 1 }, { op: 'append' as const, key: 't', value: 'z' }] } };
  const first = run(kv, env, 1);
  const retry = run(kv, env, 2);
  assert.deepEqual(retry.result, first.result);
  assert.deepEqual(retry.writes, []);
  assert.equal(kv.get('n'), '1');
  assert.equal(kv.get('t'), 'z');
});

test('the old command kinds still decode as they were written', () => {
  // Entries written before batch existed must apply the same way.
  for (const cmd of [{ op: 'set', kv: [['k', 'v']] }, { op: 'del', keys: ['k'] }, { op: 'cas', key: 'k', expect: null, value: 'v' }] as const) {
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ cmd } as never)).cmd, cmd);
  }
});

test('apply is total: a committed command that is malformed gets an error result, changes nothing, and replicas agree', () => {
  const bad: unknown[] = [
    { op: 'set', kv: [['k', true]] },
    { op: 'set', kv: [['\u0000member/node9', '{}']] },
    { op: 'nope' },
    { op: 'incr', key: 'n', by: 'x' },
    { op: 'batch', cmds: [{ op: 'batch', cmds: [] }] },
    null,
    'set k v',
  ];
  const a = new KvState(new Map([['k', 'v0']]));
  const b = new KvState(new Map([['k', 'v0']]));
  bad.forEach((cmd, i) => {
    const env = { cmd } as unknown as Parameters<KvState['apply']>[0];
    const ra = run(a, env, i + 1);
    const rb = run(b, env, i + 1);
    assert.deepEqual(ra, rb);
    assert.equal(ra.result.ok, false, JSON.stringify(cmd));
    assert.ok(!ra.result.ok && ra.result.error === 'invalid', JSON.stringify(ra.result));
    assert.deepEqual(ra.writes, []);
  });
  assert.deepEqual([...a.data], [['k', 'v0']]);
  // A malformed session is refused before it can touch the session table.
  const forged = run(a, { c: 'x', s: -5, cmd: { op: 'del', keys: ['k'] } }, 20);
  assert.equal(forged.result.ok, false);
  assert.deepEqual(forged.sessions, []);
  assert.equal(a.get('k'), 'v0');
});

test('a batch applies its good commands and answers the malformed one with an error', () => {
  const kv = new KvState();
  const env = { cmd: { op: 'batch', cmds: [{ op: 'set1', key: 'a', value: '1' }, { op: 'set1', key: 'b', value: 2 }, { op: 'incr', key: 'c', by: 1 }] } } as unknown as Parameters<KvState['apply']>[0];
  const { result } = run(kv, env, 1);
  assert.ok(result.ok && 'results' in result);
  assert.deepEqual(result.results[0], { ok: true, count: 1 });
  assert.equal(result.results[1]!.ok, false);
  assert.deepEqual(result.results[2], { ok: true, number: 1 });
  assert.equal(kv.get('b'), undefined);
});

test('APPEND past its max is refused at apply, on every replica alike, and leaves the value', () => {
  const kv = new KvState(new Map([['s', 'abcd']]));
  assert.deepEqual(run(kv, { cmd: { op: 'append', key: 's', value: 'ef', max: 6 } }, 1).result, { ok: true, number: 6 });
  const over = run(kv, { cmd: { op: 'append', key: 's', value: 'g', max: 6 } }, 2);
  assert.deepEqual(over.result, { ok: false, error: 'too-large', message: 'string exceeds maximum allowed size (6 bytes)' });
  assert.deepEqual(over.writes, []);
  assert.equal(kv.get('s'), 'abcdef');
});
