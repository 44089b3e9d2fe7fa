// The constructors of the commands on keys (keyRead, keysRead, keyWrite):
// the signature they give (arity, flags, key positions, COMMAND DOCS) and
// that the key is checked before the command's own code sees any argument.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KvView } from '../../src/api/front.js';
import { KEYS_ARG, KEY_ARG, keyRead, keyWrite, keysRead } from '../../src/resp/command.js';
import { integer } from '../../src/resp/encoder.js';

const args = (...words: string[]): Buffer[] => words.map((w) => Buffer.from(w));
const noKv = {} as KvView;

test('keyRead: arity 2, read-only and fast, key 1 1 1, documented as one key; reads the checked key', () => {
  const seen: string[] = [];
  const c = keyRead('probe', { summary: 's', group: 'g', since: '1.0.0' }, (_kv, key) => (seen.push(key), integer(1)));
  assert.equal(c.kind, 'read');
  assert.equal(c.arity, 2);
  assert.deepEqual(c.flags, ['readonly', 'fast']);
  assert.deepEqual(c.keys, [1, 1, 1]);
  assert.deepEqual(c.doc, { summary: 's', group: 'g', since: '1.0.0', args: [KEY_ARG] });
  assert.equal(c.inTxn, undefined);
  assert.equal(c.read(args('probe', 'k'), noKv, Infinity), ':1\r\n');
  assert.deepEqual(seen, ['k']);
  assert.throws(() => c.read(args('probe', ''), noKv, Infinity), /the key is empty/);
  assert.deepEqual(seen, ['k']);
});

test('keyRead: an inTxn form is kept', () => {
  const inTxn = { prepare: () => ({ op: 'get' as const, key: 'k' }), reply: () => integer(0) };
  assert.equal(keyRead('probe', { summary: 's', group: 'g', since: '1.0.0' }, () => integer(0), inTxn).inTxn, inTxn);
});

test('keysRead: arity -2, keys 1 -1 1, documented as one key or more', () => {
  const c = keysRead('probe', { summary: 's', group: 'g', since: '2.0.0' }, (a) => integer(a.length));
  assert.equal(c.arity, -2);
  assert.deepEqual(c.flags, ['readonly', 'fast']);
  assert.deepEqual(c.keys, [1, -1, 1]);
  assert.deepEqual(c.doc, { summary: 's', group: 'g', since: '2.0.0', args: [KEYS_ARG] });
  assert.equal(c.read(args('probe', 'a', 'b'), noKv, Infinity), ':3\r\n');
});

test('keyWrite: key 1 1 1, the key first in the docs; prepare gets the checked key, never an invalid one', () => {
  const after = [{ name: 'value', type: 'string' as const }];
  const calls: string[] = [];
  const c = keyWrite(
    'probe',
    3,
    ['write'],
    { summary: 's', group: 'g', since: '1.0.0', after },
    (key, a) => (calls.push(key), { op: 'append', key, value: a[2]!.toString() }),
    () => integer(7),
  );
  assert.equal(c.kind, 'write');
  assert.equal(c.arity, 3);
  assert.deepEqual(c.flags, ['write']);
  assert.deepEqual(c.keys, [1, 1, 1]);
  assert.deepEqual(c.doc, { summary: 's', group: 'g', since: '1.0.0', args: [KEY_ARG, ...after] });
  assert.deepEqual(c.prepare(args('probe', 'k', 'v')), { op: 'append', key: 'k', value: 'v' });
  assert.throws(() => c.prepare(args('probe', '', 'v')), /the key is empty/);
  assert.deepEqual(calls, ['k']);
  assert.equal(c.reply({ ok: true } as never), ':7\r\n');
});
