// The data types in the state machine: generated command sequences applied
// to two replicas give the same answers (SPOP included), and the rows they
// write, stored and loaded again (a restart, a snapshot), rebuild the same
// values; plus the storage form of each type and the shape checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { commandProblem } from '../../src/node/command-validation.js';
import { EXPIRY_PREFIX } from '../../src/node/expiry.js';
import { KvState, type KvCommand } from '../../src/node/kv-state.js';
import type { KvWrite } from '../../src/common/kv-write.js';
import { bytesToStored } from '../../src/node/stored-bytes.js';
import { friendlyJson } from '../../src/node/types/json.js';
import { TYPED_COMMANDS } from '../../src/node/types/registry.js';
import { headKey, parseHeadKey, parseRowKey, rowKey } from '../../src/node/types/rows.js';
import { KEY_SLOTS, commands, type Cmd } from '../helpers/type-commands.js';

function toKvCommand(c: Cmd): KvCommand | undefined {
  const [name, ...rest] = c.map((a) => (typeof a === 'string' ? a : bytesToStored(a)));
  if (TYPED_COMMANDS.get(name!)?.write) return { op: 'typed', name: name!, args: rest };
  if (name === 'set') return { op: 'set', kv: [[rest[0]!, rest[1]!]] };
  if (name === 'del') return { op: 'del', keys: rest };
  if (name === 'incr') return { op: 'incr', key: rest[0]!, by: 1 };
  // Deadlines (the generator's are absolute: far ahead, or past ones that delete).
  const cond = rest[2]?.toLowerCase() as 'nx' | 'xx' | 'gt' | 'lt' | undefined;
  if (name === 'expireat' || name === 'pexpireat') return { op: 'expire', key: rest[0]!, ttl: { at: Number(rest[1]) * (name === 'expireat' ? 1000 : 1) }, ...(cond ? { cond } : {}) };
  if (name === 'persist') return { op: 'persist', key: rest[0]! };
  return undefined;
}

/** A store as SQLite keeps it: the last write of each row wins, null deletes; `revs` is the rev column. */
function persist(store: Map<string, string>, writes: readonly KvWrite[], revs = new Map<string, number>()): void {
  for (const w of writes) {
    if (w.value === null) store.delete(w.key);
    else store.set(w.key, w.value);
    if (w.value === null || !w.rev) revs.delete(w.key);
    else revs.set(w.key, w.rev);
  }
}

function contents(kv: KvState): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of kv.keyspace.values) out[k] = { type: v.type, value: friendlyJson(v) };
  for (const [k, v] of kv.data) out[k] = v;
  for (const [k, at] of kv.expiry.entries()) out[`deadline of ${k}`] = at;
  return out;
}

test('two replicas answer alike, and the stored rows load back into the same values', () => {
  fc.assert(
    fc.property(fc.array(commands(KEY_SLOTS), { minLength: 1, maxLength: 60 }), (cmds) => {
      const a = new KvState();
      const b = new KvState();
      const store = new Map<string, string>();
      const revs = new Map<string, number>();
      let index = 0;
      for (const c of cmds) {
        const cmd = toKvCommand(c);
        if (!cmd) continue;
        const wa: KvWrite[] = [];
        const ra = a.apply({ cmd }, ++index, wa, []);
        assert.deepEqual(b.apply({ cmd }, index, [], []), ra, c.map(String).join(' '));
        persist(store, wa, revs);
        // Every row key of a type parses back to its key or is a key's head row (and nothing else claims to be one).
        for (const w of wa) if (w.key.startsWith('\u0000') && !w.key.startsWith(EXPIRY_PREFIX)) assert.ok(parseRowKey(w.key) ?? parseHeadKey(w.key), JSON.stringify(w.key));
      }
      const reloaded = new KvState(new Map(store), undefined, undefined, new Map(revs));
      assert.deepEqual(contents(reloaded), contents(a));
      assert.deepEqual(contents(b), contents(a));
      // Each key's revision (the index that last changed it, whatever its type) reloads from the rows' rev column.
      const revisions = (kv: KvState): [string, number][] => kv.sortedKeys().map((k) => [k, kv.revision(k)]);
      assert.deepEqual(revisions(reloaded), revisions(a));
      assert.deepEqual(revisions(b), revisions(a));
    }),
    { numRuns: 300 },
  );
});

test('one element changes one row (and the key its head row): a push, a pop, an LSET, an HSET of one field', () => {
  const kv = new KvState();
  const run = (name: string, ...args: string[]): KvWrite[] => {
    const w: KvWrite[] = [];
    kv.apply({ cmd: { op: 'typed', name, args } }, 1, w, []);
    return w;
  };
  const row = (key: string, value: string | null): KvWrite => ({ key, value, rev: 1 });
  const head = (key: string, type: string, event: string): KvWrite => ({ key: headKey(key), value: type, rev: 1, event });
  run('rpush', 'l', ...Array.from({ length: 100 }, (_, i) => String(i)));
  assert.deepEqual(run('lpush', 'l', 'new'), [row(rowKey('list', 'l', '-1'), 'new'), head('l', 'list', 'lpush')]);
  assert.deepEqual(run('rpop', 'l'), [row(rowKey('list', 'l', '99'), null), head('l', 'list', 'rpop')]);
  assert.deepEqual(run('lset', 'l', '5', 'x'), [row(rowKey('list', 'l', '4'), 'x'), head('l', 'list', 'lset')]);
  run('hset', 'h', ...Array.from({ length: 100 }, (_, i) => [`f${i}`, 'v']).flat());
  assert.deepEqual(run('hset', 'h', 'f7', 'w'), [row(rowKey('hash', 'h', 'f7'), 'w'), head('h', 'hash', 'hset')]);
  assert.deepEqual(run('zadd', 'z', '1.5', 'm'), [row(rowKey('zset', 'z', 'm'), '1.5'), head('z', 'zset', 'zadd')]);
  assert.deepEqual(run('sadd', 's', 'm'), [row(rowKey('set', 's', 'm'), ''), head('s', 'set', 'sadd')]);
});

test('row keys split back into key and member whatever bytes they hold', () => {
  fc.assert(
    fc.property(fc.constantFrom('hash', 'list', 'set', 'zset' as const), fc.string({ minLength: 1, unit: 'binary' }), fc.string({ unit: 'binary' }), (type, key, member) => {
      assert.deepEqual(parseRowKey(rowKey(type, key, member)), { type, key, member });
    }),
  );
  assert.equal(parseRowKey('plain key'), undefined);
  assert.equal(parseRowKey('\u0000member/node1'), undefined);
});

test('string commands and the data types refuse each other with WRONGTYPE; SET and DEL replace and remove any type', () => {
  const kv = new KvState();
  const w: KvWrite[] = [];
  kv.apply({ cmd: { op: 'typed', name: 'sadd', args: ['k', 'a', 'b'] } }, 1, w, []);
  assert.deepEqual(kv.apply({ cmd: { op: 'incr', key: 'k', by: 1 } }, 2, w, []), { ok: false, error: 'wrongtype' });
  assert.deepEqual(kv.apply({ cmd: { op: 'append', key: 'k', value: 'x' } }, 3, w, []), { ok: false, error: 'wrongtype' });
  assert.deepEqual(kv.apply({ cmd: { op: 'set1', key: 'k', value: 'x', cond: 'nx' } }, 4, w, []), { ok: true, count: 0 });
  assert.deepEqual(kv.apply({ cmd: { op: 'set', kv: [['k', 'str']] } }, 5, w, []), { ok: true });
  assert.equal(kv.keyspace.typeOf('k'), 'string');
  const rows = new Map<string, string>();
  persist(rows, w);
  assert.deepEqual([...rows.keys()], ['k'], 'the set rows are gone with it');
  assert.deepEqual(kv.apply({ cmd: { op: 'typed', name: 'hset', args: ['k', 'f', 'v'] } }, 6, w, []), {
    ok: false, error: 'rejected', word: 'WRONGTYPE', message: 'Operation against a key holding the wrong kind of value',
  });
  kv.apply({ cmd: { op: 'typed', name: 'rpush', args: ['l', 'x'] } }, 7, w, []);
  assert.deepEqual(kv.apply({ cmd: { op: 'del', keys: ['k', 'l', 'none'] } }, 8, w, []), { ok: true, count: 2 });
  assert.equal(kv.keyspace.size, 0);
});

test('typed commands are checked for shape on every replica: unknown names, reads, arity, non-string arguments, reserved keys', () => {
  assert.match(commandProblem({ op: 'typed', name: 'nosuch', args: [] })!, /unknown typed write command/);
  assert.match(commandProblem({ op: 'typed', name: 'hget', args: ['k', 'f'] })!, /unknown typed write command/);
  assert.match(commandProblem({ op: 'typed', name: 'hset', args: ['k', 'f'] })!, /wrong number of arguments for 'hset'/);
  assert.match(commandProblem({ op: 'typed', name: 'hset', args: ['k', 'f', 5] })!, /list of strings/);
  assert.match(commandProblem({ op: 'typed', name: 'hset', args: ['\u0000x', 'f', 'v'] })!, /NUL/);
  assert.equal(commandProblem({ op: 'typed', name: 'hset', args: ['k', 'f', 'v'] }), undefined);
});
