import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KvState, type Envelope, type KvCommand, type SessionWrite } from '../../src/node/kv-state.js';
import type { KvWrite } from '../../src/common/kv-write.js';
import { ExpiryIndex } from '../../src/node/expiry.js';
import { validateCommand } from '../../src/node/command-validation.js';
import { DEFAULT_LIMITS } from '../../src/common/limits.js';

/** A replica: its state, and its "disk" (every write applied to a map, as a store keeps them). */
class Replica {
  kv = new KvState();
  disk = new Map<string, string>();
  revs = new Map<string, number>();
  index = 0;

  apply(cmd: KvCommand, t: number): ReturnType<KvState['apply']> {
    const writes: KvWrite[] = [];
    const sessions: SessionWrite[] = [];
    const env: Envelope = { cmd, t };
    const r = this.kv.apply(env, ++this.index, writes, sessions);
    for (const w of writes) {
      if (w.value === null) this.disk.delete(w.key);
      else this.disk.set(w.key, w.value);
      if (w.value === null || !w.rev) this.revs.delete(w.key);
      else this.revs.set(w.key, w.rev);
    }
    this.last = writes;
    return r;
  }

  last: KvWrite[] = [];

  /** A restart: the state as the store would load it. */
  restart(): KvState {
    return new KvState(new Map(this.disk), new Map(), undefined, new Map(this.revs));
  }
}

test('a relative TTL becomes a deadline from the entry stamp; reads hide the key from its deadline on', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['k', 'v']], ttl: { in: 500 } }, 1000);
  assert.equal(r.kv.expiry.get('k'), 1500);
  assert.equal(r.kv.get('k', 1499), 'v');
  assert.equal(r.kv.get('k', 1500), undefined);
  assert.equal(r.kv.pttl('k', 1200), 300);
  assert.equal(r.kv.pttl('k', 1600), -2);
  assert.equal(r.kv.size(1499), 1);
  assert.equal(r.kv.size(1500), 0);
  // The state machine's own time never hides a key early, whatever the read clock says.
  r.kv.readClock = () => 0;
  assert.equal(r.kv.get('k'), 'v');
});

test('a command that meets an expired key deletes it first, as an expire, at that revision', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['n', '41']], ttl: { in: 100 } }, 1000);
  const res = r.apply({ op: 'incr', key: 'n', by: 1 }, 1200);
  assert.deepEqual(res, { ok: true, number: 1 });
  assert.ok(r.last.some((w) => w.key === 'n' && w.value === null && w.expired === true && w.rev === 2));
  assert.equal(r.kv.expiry.get('n'), undefined, 'the new key has no deadline');
});

test('reap deletes only keys whose deadline passed by the entry time', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['a', '1']], ttl: { in: 100 } }, 1000);
  r.apply({ op: 'set', kv: [['b', '2']], ttl: { in: 1000 } }, 1000);
  // b was written again without a TTL after the leader chose it: it stays.
  r.apply({ op: 'set', kv: [['c', '3']], ttl: { at: 1050 } }, 1000);
  r.apply({ op: 'set', kv: [['c', '4']] }, 1060);
  assert.deepEqual(r.apply({ op: 'reap', keys: ['a', 'b', 'c', 'zz'] }, 1200), { ok: true, count: 1 });
  assert.equal(r.kv.data.has('a'), false);
  assert.equal(r.kv.get('b', 1200), '2');
  assert.equal(r.kv.get('c', 5000), '4');
});

test('deadlines, the state machine clock and revisions survive a restart', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['k', 'v']], ttl: { in: 500 } }, 1000);
  r.apply({ op: 'set', kv: [['p', 'q']] }, 2000);
  const again = r.restart();
  assert.equal(again.expiry.get('k'), 1500);
  assert.equal(again.time, 2000);
  assert.equal(again.revs.get('p'), 2);
  assert.equal(again.data.has('\u0000clock'), false, 'system records are not keys');
  // Both apply the next entry alike: an entry stamped earlier (a leader with a slower clock) does not move time back.
  const w1: KvWrite[] = [];
  const w2: KvWrite[] = [];
  const a = r.kv.apply({ cmd: { op: 'set1', key: 'k', value: 'x', cond: 'nx' }, t: 1400 }, 3, w1, []);
  const b = again.apply({ cmd: { op: 'set1', key: 'k', value: 'x', cond: 'nx' }, t: 1400 }, 3, w2, []);
  assert.deepEqual(a, b);
  assert.deepEqual(a, { ok: true, count: 1 }, 'at time 2000 the key had expired');
  assert.deepEqual(w1, w2);
});

test('EXPIRE conditions follow Redis (no deadline is infinite for GT and LT); a past deadline deletes', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['k', 'v']] }, 1000);
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 100 }, cond: 'xx' }, 1000), { ok: true, count: 0 });
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 100 }, cond: 'gt' }, 1000), { ok: true, count: 0 });
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 100 }, cond: 'lt' }, 1000), { ok: true, count: 1 });
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 200 }, cond: 'nx' }, 1000), { ok: true, count: 0 });
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 200 }, cond: 'gt' }, 1000), { ok: true, count: 1 });
  assert.equal(r.kv.expiry.get('k'), 1200);
  assert.deepEqual(r.apply({ op: 'persist', key: 'k' }, 1000), { ok: true, count: 1 });
  assert.deepEqual(r.apply({ op: 'persist', key: 'k' }, 1000), { ok: true, count: 0 });
  assert.deepEqual(r.apply({ op: 'getex', key: 'k', ttl: { in: 50 } }, 1000), { ok: true, value: 'v' });
  assert.equal(r.kv.expiry.get('k'), 1050);
  assert.deepEqual(r.apply({ op: 'set1', key: 'k', value: 'w', keepttl: true }, 1000), { ok: true, count: 1 });
  assert.equal(r.kv.expiry.get('k'), 1050, 'KEEPTTL keeps it');
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: -1 } }, 1000), { ok: true, count: 1 });
  assert.equal(r.kv.data.has('k'), false);
  assert.deepEqual(r.apply({ op: 'expire', key: 'k', ttl: { in: 100 } }, 1000), { ok: true, count: 0 }, 'no key, no expiry');
});

test('a txn runs one branch by its compares, in one entry, with revisions', () => {
  const r = new Replica();
  r.apply({ op: 'set', kv: [['a', 'x']] }, 1);
  const ok = r.apply(
    {
      op: 'txn',
      compare: [
        { key: 'a', target: 'value', result: 'equal', value: 'x' },
        { key: 'a', target: 'revision', result: 'equal', revision: 1 },
        { key: 'b', target: 'exists', result: 'equal', exists: false },
      ],
      success: [{ op: 'set', kv: [['b', 'y']] }, { op: 'get', key: 'b' }],
      failure: [{ op: 'get', key: 'a' }],
    },
    1,
  );
  assert.deepEqual(ok, { ok: true, succeeded: true, results: [{ ok: true }, { ok: true, value: 'y', rev: 2 }] });
  const no = r.apply(
    { op: 'txn', compare: [{ key: 'a', target: 'revision', result: 'greater', revision: 1 }], success: [{ op: 'del', keys: ['a'] }], failure: [{ op: 'get', key: 'a' }] },
    1,
  );
  assert.deepEqual(no, { ok: true, succeeded: false, results: [{ ok: true, value: 'x', rev: 1 }] });
  // An absent key fails every value compare but not_equal (etcd).
  const absent = r.apply({ op: 'txn', compare: [{ key: 'zz', target: 'value', result: 'less', value: 'm' }], success: [], failure: [] }, 1);
  assert.deepEqual(absent, { ok: true, succeeded: false, results: [] });
});

test('validation refuses malformed TTLs and transactions, nested or not', () => {
  const bad: unknown[] = [
    { op: 'set', kv: [['k', 'v']], ttl: { in: 1.5 } },
    { op: 'set', kv: [['k', 'v']], ttl: { in: 1, at: 2 } },
    { op: 'set1', key: 'k', value: 'v', ttl: { in: 5 }, keepttl: true },
    { op: 'expire', key: 'k' },
    { op: 'expire', key: 'k', ttl: { in: 5 }, cond: 'maybe' },
    { op: 'txn', compare: [{ key: 'k', target: 'size', result: 'equal' }], success: [], failure: [] },
    { op: 'txn', compare: [{ key: 'k', target: 'revision', result: 'equal' }], success: [], failure: [] },
    { op: 'txn', compare: [], success: [{ op: 'txn', compare: [], success: [], failure: [] }], failure: [] },
    { op: 'txn', compare: [], success: [{ op: 'set', kv: [['', 'v']] }], failure: [] },
    { op: 'txn', compare: [], success: 'nope', failure: [] },
  ];
  for (const c of bad) assert.throws(() => validateCommand(c, DEFAULT_LIMITS), /./, JSON.stringify(c));
  // A txn inside a batch (EXEC pipelined with other writes) is fine.
  validateCommand({ op: 'batch', cmds: [{ op: 'txn', compare: [], success: [{ op: 'get', key: 'k' }], failure: [] }] }, DEFAULT_LIMITS);
});

test('the expiry index finds due keys earliest first, and forgets replaced deadlines', () => {
  const x = new ExpiryIndex();
  for (let i = 0; i < 200; i++) x.set(`k${i}`, 1000 + ((i * 37) % 200));
  x.set('k0', 5000);
  x.delete('k1');
  const due = x.due(1100, 1000);
  assert.ok(due.every((k) => x.get(k)! <= 1100));
  assert.ok(!due.includes('k0') && !due.includes('k1'));
  assert.equal(due.length, x.countDue(1100));
  const deadlines = due.map((k) => x.get(k)!);
  assert.deepEqual(deadlines, [...deadlines].sort((a, b) => a - b));
  assert.equal(x.due(1100, 5).length, 5);
});
