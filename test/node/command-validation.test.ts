// Every command kind is checked before it is proposed (with this node's
// limits) and again, for shape only, when it is applied.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandProblem, envelopeProblem, validateCommand, validateEnvelope } from '../../src/node/command-validation.js';
import { NodeError } from '../../src/common/errors.js';
import { limitsWith } from '../../src/common/limits.js';

const limits = limitsWith({ maxKeyBytes: 8, maxValueBytes: 16 });

function refused(cmd: unknown, pattern: RegExp): void {
  assert.throws(
    () => validateCommand(cmd, limits),
    (e: unknown) => e instanceof NodeError && e.code === 'RAFTKV_ERR_BAD_REQUEST' && pattern.test(e.message),
    JSON.stringify(cmd),
  );
}

test('the set of POST /internal/propose that stopped every node ({"k": true}) is refused before it is proposed', () => {
  refused({ op: 'set', kv: [['k', true]] }, /value must be a string \(got boolean\)/);
  assert.match(commandProblem({ op: 'set', kv: [['k', true]] })!, /value must be a string/);
});

test('each command kind: shapes, types and op names are checked', () => {
  refused(null, /must be an object/);
  refused([], /must be an object/);
  refused({ op: 'flushall' }, /unknown command op "flushall"/);
  refused({ op: '__proto__' }, /unknown command op/);
  refused({ op: 'set', kv: [] }, /non-empty list/);
  refused({ op: 'set', kv: [['a']] }, /\[key, value\] pairs/);
  refused({ op: 'set', kv: 'ab' }, /non-empty list/);
  refused({ op: 'set1', key: 'a', value: 'b', cond: 'maybe' }, /cond must be "nx" or "xx"/);
  refused({ op: 'set1', key: 'a', value: 'b', get: 'yes' }, /get must be a boolean/);
  refused({ op: 'del', keys: [] }, /non-empty list/);
  refused({ op: 'del', keys: ['a', 7] }, /key must be a string/);
  refused({ op: 'cas', key: 'a', expect: 5, value: 'b' }, /expect must be a string, or null/);
  refused({ op: 'incr', key: 'a', by: 1.5 }, /safe integer/);
  refused({ op: 'incr', key: 'a', by: 2 ** 60 }, /safe integer/);
  refused({ op: 'incr', key: 'a', by: '1' }, /safe integer/);
  refused({ op: 'append', key: 'a', value: 'b', max: -1 }, /max must be a non-negative integer/);
  refused({ op: 'batch', cmds: [] }, /non-empty list/);
  refused({ op: 'batch', cmds: [{ op: 'batch', cmds: [{ op: 'del', keys: ['a'] }] }] }, /a batch may not hold a batch/);
  refused({ op: 'batch', cmds: [{ op: 'del', keys: ['a'] }, { op: 'set', kv: [['b', 1]] }] }, /command 2 of the batch: a value must be a string/);
});

test('keys: empty, reserved (NUL prefix) and past the key limit are refused; at the limit is accepted', () => {
  refused({ op: 'set1', key: '', value: 'v' }, /the key is empty/);
  refused({ op: 'del', keys: ['\u0000member/node9'] }, /reserved for the cluster/);
  refused({ op: 'set', kv: [['\u0000member/node0', '{"raft":"x"}']] }, /reserved for the cluster/);
  refused({ op: 'incr', key: 'k'.repeat(9), by: 1 }, /longer than 8 bytes/);
  assert.deepEqual(validateCommand({ op: 'incr', key: 'k'.repeat(8), by: 1 }, limits), { op: 'incr', key: 'kkkkkkkk', by: 1 });
  // Bytes, not characters.
  refused({ op: 'set1', key: 'ééééé', value: 'v' }, /longer than 8 bytes/);
});

test('values past the value limit are refused; APPEND carries the limit into the log', () => {
  refused({ op: 'set', kv: [['a', 'v'.repeat(17)]] }, /value is longer than 16 bytes/);
  assert.ok(validateCommand({ op: 'set', kv: [['a', 'v'.repeat(16)]] }, limits));
  assert.deepEqual(validateCommand({ op: 'append', key: 'a', value: 'x' }, limits), { op: 'append', key: 'a', value: 'x', max: 16 });
  // A larger max from elsewhere is lowered to this node's limit.
  assert.deepEqual(validateCommand({ op: 'append', key: 'a', value: 'x', max: 1 << 30 }, limits), { op: 'append', key: 'a', value: 'x', max: 16 });
  assert.deepEqual(validateCommand({ op: 'batch', cmds: [{ op: 'append', key: 'a', value: 'x' }] }, limits), { op: 'batch', cmds: [{ op: 'append', key: 'a', value: 'x', max: 16 }] });
});

test('the structural check knows no limits: what a node with larger limits committed applies everywhere', () => {
  assert.equal(commandProblem({ op: 'set', kv: [['k'.repeat(100), 'v'.repeat(100)]] }), undefined);
  assert.match(commandProblem({ op: 'set', kv: [['', 'v']] })!, /empty/);
});

test('sessions: client ids, sequence numbers and the acknowledged mark are checked', () => {
  assert.equal(envelopeProblem({ cmd: {} }), undefined);
  assert.equal(envelopeProblem({ c: 'fwd/n1/ab', s: 3, a: 2, cmd: {} }), undefined);
  assert.match(envelopeProblem({ c: '', s: 1, cmd: {} })!, /client id/);
  assert.match(envelopeProblem({ c: 'x'.repeat(257), s: 1, cmd: {} })!, /client id/);
  assert.match(envelopeProblem({ c: 'a', cmd: {} })!, /sequence number/);
  assert.match(envelopeProblem({ s: 1, cmd: {} })!, /client id/);
  assert.match(envelopeProblem({ c: 'a', s: 0, cmd: {} })!, /sequence number/);
  assert.match(envelopeProblem({ c: 'a', s: Number.NaN, cmd: {} })!, /sequence number/);
  assert.match(envelopeProblem({ c: 'a', s: 2 ** 60, cmd: {} })!, /sequence number/);
  assert.equal(envelopeProblem({ c: 'a', s: 5, a: 6, cmd: {} }), undefined, 'a late retry is stale, not malformed');
  assert.match(envelopeProblem({ c: 'a', s: 5, a: 1.5, cmd: {} })!, /lowest unanswered/);
  assert.match(envelopeProblem({ c: 'a', s: 5, a: -1, cmd: {} })!, /lowest unanswered/);
  assert.throws(() => validateEnvelope({ c: 'a', s: 1, cmd: { op: 'set', kv: [['k', true]] } }, limits), /value must be a string/);
});
