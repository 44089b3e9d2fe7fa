// The one error base: every kind is a RaftkvError with its stable code and
// its own name, the constructors keep the words clients and tests match on,
// anything else reaches a client as INTERNAL, and every client code has an
// HTTP status and a RESP word.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpError, statusLine } from '../../src/api/errors-http.js';
import { ConfigError } from '../../src/cluster/config.js';
import { LauncherError } from '../../src/cluster/launcher.js';
import * as E from '../../src/common/errors.js';
import { NODE_ERROR_CODES, NodeError, RaftkvError, toNodeError, type NodeErrorCode } from '../../src/common/errors.js';
import { answerError } from '../../src/node/internal-client.js';
import { RedisError } from '../../src/node/types/reply.js';
import { ReportFileError } from '../../src/pages/report-file.js';
import { InvariantError, RaftError, busy, notLeader as raftNotLeader, type RaftErrorCode } from '../../src/raft/errors.js';
import { ReplyTooLarge } from '../../src/resp/command.js';
import { respErrorReply } from '../../src/resp/errors-resp.js';
import { RespProtocolError } from '../../src/resp/parser.js';
import { AuthSetupError } from '../../src/security/auth.js';
import { TlsSetupError } from '../../src/security/tls-material.js';
import { StorageError, corrupt } from '../../src/storage/errors.js';
import { TransportError, badFrame } from '../../src/transport/errors.js';

// The core cannot import the client codes; this line stops compiling if it raises one a client has no answer for.
const raftCodeIsClientCode = (c: RaftErrorCode): NodeErrorCode => c;

test('every kind of error is a RaftkvError with its code and its own name', () => {
  const cases: [Error, string, string][] = [
    [new NodeError('RAFTKV_ERR_BUSY', 'x'), 'NodeError', 'RAFTKV_ERR_BUSY'],
    [new StorageError('RAFTKV_ERR_STORAGE_CLOSED', 'x'), 'StorageError', 'RAFTKV_ERR_STORAGE_CLOSED'],
    [badFrame('x'), 'TransportError', 'RAFTKV_ERR_BAD_FRAME'],
    [new RedisError('WRONGTYPE', 'x'), 'RedisError', 'RAFTKV_ERR_REDIS'],
    [new ConfigError('c.json', ['x']), 'ConfigError', 'RAFTKV_ERR_CONFIG'],
    [new LauncherError('x'), 'LauncherError', 'RAFTKV_ERR_LAUNCHER'],
    [new ReportFileError('x'), 'ReportFileError', 'RAFTKV_ERR_REPORT_FILE'],
    [new TlsSetupError('x'), 'TlsSetupError', 'RAFTKV_ERR_TLS_SETUP'],
    [new AuthSetupError('x'), 'AuthSetupError', 'RAFTKV_ERR_AUTH_SETUP'],
    [new ReplyTooLarge(), 'ReplyTooLarge', 'RAFTKV_ERR_REPLY_TOO_LARGE'],
    [new RespProtocolError('x'), 'RespProtocolError', 'RAFTKV_ERR_RESP_PROTOCOL'],
  ];
  for (const [e, name, code] of cases) {
    assert.ok(e instanceof RaftkvError && e instanceof Error, name);
    assert.equal(e.name, name);
    assert.equal((e as RaftkvError).code, code);
    assert.ok(String(e).startsWith(`${name}: `), String(e));
  }
  assert.ok(badFrame('x') instanceof TransportError);
  assert.equal(new RespProtocolError('bad length').message, 'Protocol error: bad length');
  const cause = new Error('disk');
  assert.equal(corrupt('bad page', cause).cause, cause);
});

test('the Raft core keeps the same shape without the base', () => {
  const r = busy('the log is full');
  assert.ok(!(r instanceof RaftkvError));
  assert.equal(r.code, 'RAFTKV_ERR_BUSY');
  assert.equal(raftCodeIsClientCode(r.code), 'RAFTKV_ERR_BUSY');
  const inv = new InvariantError('x');
  assert.equal(inv.code, 'RAFTKV_ERR_INVARIANT');
  assert.equal(inv.name, 'InvariantError');
});

test('the constructors give the codes and words clients match on', () => {
  const cases: [NodeError, NodeErrorCode, string][] = [
    [E.badRequest('m'), 'RAFTKV_ERR_BAD_REQUEST', 'm'],
    [E.notFound('m'), 'RAFTKV_ERR_NOT_FOUND', 'm'],
    [E.keyNotFound('a"b'), 'RAFTKV_ERR_NOT_FOUND', 'key "a\\"b" not found'],
    [E.methodNotAllowed('m'), 'RAFTKV_ERR_METHOD', 'm'],
    [E.tooLarge('m'), 'RAFTKV_ERR_TOO_LARGE', 'm'],
    [E.forbidden('m'), 'RAFTKV_ERR_FORBIDDEN', 'm'],
    [E.unauthenticated('m'), 'RAFTKV_ERR_UNAUTHENTICATED', 'm'],
    [E.internal('m'), 'RAFTKV_ERR_INTERNAL', 'm'],
    [E.notIntegerError(), 'RAFTKV_ERR_NOT_INTEGER', 'value is not an integer or out of range'],
    [E.wrongTypeError(), 'RAFTKV_ERR_WRONGTYPE', 'Operation against a key holding the wrong kind of value'],
    [E.noLeader(), 'RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly'],
    [E.notLeader(''), 'RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly'],
    [E.notLeader('n2'), 'RAFTKV_ERR_NOT_LEADER', 'not the leader; the leader is n2'],
    [E.confChangeRefused('m'), 'RAFTKV_ERR_CONF_CHANGE', 'm'],
    [E.transferFailed('m'), 'RAFTKV_ERR_TRANSFER', 'm'],
    [E.revisionCompacted('m', 7), 'RAFTKV_ERR_COMPACTED', 'm'],
    [E.timedOut('m'), 'RAFTKV_ERR_TIMEOUT', 'm'],
    [E.timeout('a write', 50), 'RAFTKV_ERR_TIMEOUT', 'a write did not finish within 50 ms'],
    [E.shuttingDown(), 'RAFTKV_ERR_SHUTTING_DOWN', 'the node is shutting down'],
    [E.shuttingDown('bye'), 'RAFTKV_ERR_SHUTTING_DOWN', 'bye'],
    [E.nodeFailed('disk full'), 'RAFTKV_ERR_NODE_FAILED', 'node failed: disk full'],
    [E.proposalOverwritten(), 'RAFTKV_ERR_PROPOSAL_DROPPED', 'the proposal was overwritten by a new leader; it was not applied'],
    [E.wrongShard('m', { shard: 's1', slot: 9 }), 'RAFTKV_ERR_WRONG_SHARD', 'm'],
    [E.crossSlot('m'), 'RAFTKV_ERR_CROSSSLOT', 'm'],
  ];
  for (const [e, code, message] of cases) {
    assert.ok(e instanceof NodeError && e instanceof RaftkvError);
    assert.deepEqual([e.code, e.message], [code, message]);
  }
  assert.equal(E.notLeader('n2').leader, 'n2');
  assert.deepEqual(E.revisionCompacted('m', 7).details, { oldest: 7 });
  assert.deepEqual(E.wrongShard('m', { shard: 's1', slot: 9 }).details, { shard: 's1', slot: 9 });
});

test('toNodeError: a NodeError as it is, a RaftError by its code, anything else INTERNAL', () => {
  const mine = E.badRequest('m');
  assert.equal(toNodeError(mine), mine);
  const led = toNodeError(raftNotLeader('n3'));
  assert.deepEqual([led.code, led.leader, led.message], ['RAFTKV_ERR_NOT_LEADER', 'n3', 'not the leader; the leader is n3']);
  assert.deepEqual([toNodeError(raftNotLeader('')).code, toNodeError(raftNotLeader('')).message], ['RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly']);
  assert.deepEqual([toNodeError(busy('full')).code, toNodeError(busy('full')).message], ['RAFTKV_ERR_BUSY', 'busy: full']);
  assert.ok(toNodeError(new RaftError('RAFTKV_ERR_TRANSFER', 't')) instanceof NodeError);
  for (const other of [new InvariantError('x'), new StorageError('RAFTKV_ERR_STORAGE_CLOSED', 'closed'), Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })]) {
    assert.deepEqual([toNodeError(other).code, toNodeError(other).message], ['RAFTKV_ERR_INTERNAL', other.message]);
  }
  assert.deepEqual([toNodeError('text').code, toNodeError('text').message], ['RAFTKV_ERR_INTERNAL', 'text']);
});

test('every client code has an HTTP status with a reason and a RESP word', () => {
  assert.equal(new Set(NODE_ERROR_CODES).size, 21);
  for (const code of NODE_ERROR_CODES) {
    assert.ok(E.isNodeErrorCode(code));
    const { status, body } = httpError(new NodeError(code, 'm'));
    assert.ok(status >= 400 && status < 600, `${code}: ${status}`);
    assert.match(statusLine(status), /^\d{3} [A-Z]/, code);
    assert.equal(body.code, code);
    assert.match(respErrorReply(new NodeError(code, 'm')), /^-[A-Z]+ m\r\n$/, code);
  }
  assert.ok(!E.isNodeErrorCode('RAFTKV_ERR_INVARIANT'));
  assert.ok(!E.isNodeErrorCode('toString'));
});

test("a peer's answer with a code this build does not know is judged by its status, so the maps still answer", () => {
  const unknown = answerError({ status: 503, json: { code: 'RAFTKV_ERR_FROM_A_NEWER_PEER', error: 'later' } });
  assert.deepEqual([unknown.code, unknown.message, httpError(unknown).status], ['RAFTKV_ERR_INTERNAL', 'later', 500]);
  assert.equal(answerError({ status: 400, json: { code: 42 } }).code, 'RAFTKV_ERR_BAD_REQUEST');
  const known = answerError({ status: 503, json: { code: 'RAFTKV_ERR_NOT_LEADER', error: 'not the leader; the leader is n2', leader: 'n2' } });
  assert.deepEqual([known.code, known.leader], ['RAFTKV_ERR_NOT_LEADER', 'n2']);
});
