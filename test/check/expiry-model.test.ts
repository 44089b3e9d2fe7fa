// The checker's model of expiring puts and one-key transactions: a value
// with a TTL is alive until the earliest deadline its put allows, absent
// from the latest on, either in between, and once seen expired it stays so.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXPIRY_SLACK_MS, checkKvHistory, type KvInput, type KvOutput, type Operation } from '../../src/check/linearizability.js';

const op = (clientId: number, input: KvInput, output: KvOutput, call: number, ret: number): Operation => ({ clientId, input, output, call, return: ret });
const putex = (call: number, ret: number, ttlMs = 100): Operation => op(1, { op: 'putex', key: 'k', value: 'v', ttlMs }, { ok: true }, call, ret);
const get = (value: string | null, call: number, ret: number, client = 2): Operation => op(client, { op: 'get', key: 'k' }, { ok: true, value }, call, ret);
const s = EXPIRY_SLACK_MS;

test('a value is read before its earliest deadline and absent after its latest', () => {
  assert.equal(checkKvHistory([putex(0, 10), get('v', 50, 60), get(null, 111 + s, 120 + s)]).ok, true);
});

test('reading it after its latest deadline, or absent before its earliest, is a violation', () => {
  assert.equal(checkKvHistory([putex(0, 10), get('v', 111 + s, 120 + s)]).ok, false);
  assert.equal(checkKvHistory([putex(0, 10), get(null, 40, 99 - s)]).ok, false);
});

test('inside the window either is fine, but an expiry is never undone', () => {
  assert.equal(checkKvHistory([putex(0, 10), get(null, 100, 103)]).ok, true);
  assert.equal(checkKvHistory([putex(0, 10), get('v', 100, 103)]).ok, true);
  assert.equal(checkKvHistory([putex(0, 10), get(null, 100, 103), get('v', 104, 106, 3)]).ok, false);
});

test('a put without TTL over an expiring value lives on; an unknown putex may never expire', () => {
  const plain = op(3, { op: 'put', key: 'k', value: 'w' }, { ok: true }, 20, 30);
  assert.equal(checkKvHistory([putex(0, 10), plain, get('w', 500, 510)]).ok, true);
  const lost = op(1, { op: 'putex', key: 'k', value: 'v', ttlMs: 100 }, { unknown: true }, 0, Infinity);
  assert.equal(checkKvHistory([lost, get('v', 50, 60), get('v', 900, 910, 3)]).ok, true);
});

test('a one-key txn is a cas that reports what it saw; expiry is seen by its compare too', () => {
  const txn = (expect: string | null, value: string, out: KvOutput, call: number, ret: number): Operation => op(3, { op: 'txn', key: 'k', expect, value }, out, call, ret);
  assert.equal(checkKvHistory([putex(0, 10), txn(null, 'x', { ok: true, swapped: true }, 300, 310), get('x', 320, 330)]).ok, true);
  assert.equal(checkKvHistory([putex(0, 10), txn(null, 'x', { ok: true, swapped: true }, 20, 30)]).ok, false, 'the key was alive');
  assert.equal(checkKvHistory([putex(0, 10), txn('v', 'x', { ok: true, swapped: false, value: null }, 300, 310)]).ok, true);
  assert.equal(checkKvHistory([putex(0, 10), txn('v', 'x', { ok: true, swapped: false, value: 'v' }, 300, 310)]).ok, false, 'it had expired');
});

test('an unknown putex nobody read may still be what made the key absent (chaos seed 21)', () => {
  // The shape of a real history: a value without TTL, a putex of unknown outcome that no read
  // ever saw, then an absent read long after that putex's earliest deadline. The putex
  // overwrote the value and expired: linearizable. Dropping unread unknown writes as if they
  // could always go last (true without TTL) called it a violation.
  const plain = op(3, { op: 'put', key: 'k', value: 'w' }, { ok: true }, 0, 10);
  const lost = op(1, { op: 'putex', key: 'k', value: 'v', ttlMs: 100 }, { unknown: true }, 20, Infinity);
  assert.equal(checkKvHistory([plain, get('w', 15, 18), lost, get(null, 400, 410)]).ok, true);
  assert.equal(checkKvHistory([plain, get('w', 15, 18), get(null, 400, 410)]).ok, false, 'without the putex nothing explains the absence');
});
