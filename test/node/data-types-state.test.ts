// The data types in the state machine: generated command sequences applied
// to two replicas give the same answers (SPOP included), and the rows they
// write, stored and loaded again (a restart, a snapshot), rebuild the same
// values; plus the storage form of each type and the shape checks.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { commandProblem } from '../../src/node/command-validation.js';
import { KvState, type KvCommand, type KvWrite } from '../../src/node/kv-state.js';
import { bytesToStored } from '../../src/node/stored-bytes.js';
import { friendlyJson } from '../../src/node/types/json.js';
import { TYPED_COMMANDS } from '../../src/node/types/registry.js';
import { parseRowKey, rowKey } from '../../src/node/types/rows.js';
import { KEY_SLOTS, commands, type Cmd } from '../helpers/type-commands.js';

function toKvCommand(c: Cmd): KvCommand | undefined {
  const [name, ...rest] = c.map((a) => (typeof a === 'string' ? a : bytesToStored(a)));
  if (TYPED_COMMANDS.get(name!)?.write) return { op: 'typed', name: name!, args: rest };
  if (name === 'set') return { op: 'set', kv: [[rest[0]!, rest[1]!]] };
  if (name === 'del') return { op: 'del', keys: rest };
  if (name === 'incr') return { op: 'incr', key: rest[0]!, by: 1 };
  return undefined;
}

/** A store as SQLite keeps it: the last write of each row wins, null deletes. */
function persist(store: Map<string, string>, writes: readonly KvWrite[]): void {
  for (const w of writes) {
    if (w.value === null) store.delete(w.key);
    else store.set(w.key, w.value);
  }
}

function contents(kv: KvState): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of kv.keyspace.values) out[k] = { type: v.type, value: friendlyJson(v) };
  for (const [k, v] of kv.data) out[k] = v;
  return out;
}

test('two replicas answer alike, and the stored rows load back into the same values', () => {
  fc.assert(
    fc.property(fc.array(commands(KEY_SLOTS), { minLength: 1, maxLength: 60 }), (cmds) => {
      const a = new KvState();
      const b = new KvState();
      const store = new Map<string, string>();
      let index = 0;
      for (const c of cmds) {
        const cmd = toKvCommand(c);
        if (!cmd) continue;
        const wa: KvWrite[] = [];
        const ra = a.apply({ cmd }, ++index, wa, []);
        assert.deepEqual(b.apply({ cmd }, index, [], []), ra, c.map(String).join(' '));
        persist(store, wa);
        // Every row key of a type parses back to its key (and nothing else claims to be one).
        for (const w of wa) if (w.key.startsWith('\u0000')) assert.ok(parseRowKey(w.key), JSON.stringify(w.key));
      }
      assert.deepEqual(contents(new KvState(new Map(store))), contents(a));
      assert.deepEqual(contents(b), contents(a));
    }),
    { numRuns: 300 },
  );
});

test('one element changes one row: a push, a pop, an LSET, an HSET of one field', () => {
  const kv = new KvState();
  const run = (name: string, ...args: string[]): KvWrite[] => {
    const w: KvWrite[] = [];
    kv.apply({ cmd: { op: 'typed', name, args } }, 1, w, []);
    return w;
  };
  run('rpush', 'l', ...Array.from({ length: 100 }, (_, i) => String(i)));
  assert.deepEqual(run('lpush', 'l', 'new'), [{ key: rowKey('list', 'l', '-1'), value: 'new' }]);
  assert.deepEqual(run('rpop', 'l'), [{ key: rowKey('list', 'l', '99'), value: null }]);
  assert.deepEqual(run('lset', 'l', '5', 'x'), [{ key: rowKey('list', 'l', '4'), value: 'x' }]);
  run('hset', 'h', ...Array.from({ length: 100 }, (_, i) => [`f${i}`, 'v']).flat());
  assert.deepEqual(run('hset', 'h', 'f7', 'w'), [{ key: rowKey('hash', 'h', 'f7'), value: 'w' }]);
  assert.deepEqual(run('zadd', 'z', '1.5', 'm'), [{ key: rowKey('zset', 'z', 'm'), value: '1.5' }]);
  assert.deepEqual(run('sadd', 's', 'm'), [{ key: rowKey('set', 's', 'm'), value: '' }]);
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
