import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { MessageType, type Message } from '../../src/raft/types.js';
import { decodeBatch, decodeHello, encodeBatchFrame, encodeHelloFrame, PROTOCOL_VERSION } from '../../src/transport/codec.js';
import { TransportError } from '../../src/transport/errors.js';
import { FRAME_HEADER_BYTES } from '../../src/transport/framing.js';
import { clusterIdentity, helloProof } from '../../src/common/cluster-identity.js';
import { everyMessageType, TEST_IDENTITY } from './helpers.js';

const payloadOf = (frame: Buffer): Buffer => {
  assert.equal(frame.readUInt32BE(0), frame.length - FRAME_HEADER_BYTES, 'the header holds the payload length');
  return frame.subarray(FRAME_HEADER_BYTES);
};

const plain = new Packr({ useRecords: false });
const rawPayload = (v: unknown): Buffer => plain.pack(v);

describe('codec', () => {
  it('round-trips every message type with its byte arrays intact', () => {
    const msgs = everyMessageType('n1', 'n2');
    const got = decodeBatch(payloadOf(encodeBatchFrame(msgs)));
    assert.deepEqual(got, msgs, 'equal, byte arrays as plain Uint8Arrays');
    for (const [i, m] of got.entries()) {
      assert.deepStrictEqual(Object.keys(m).sort(), Object.keys(msgs[i]!).sort(), `${m.type}: absent fields stay absent`);
      for (const e of m.entries ?? []) assert.ok(e.data instanceof Uint8Array, 'entry data is a Uint8Array');
      if (m.data !== undefined) assert.ok(m.data instanceof Uint8Array, 'message data is a Uint8Array');
    }
  });

  it('round-trips each message alone, and booleans keep false apart from absent', () => {
    for (const m of everyMessageType('a', 'b')) assert.deepEqual(decodeBatch(payloadOf(encodeBatchFrame([m]))), [m]);
    const m: Message = { type: MessageType.VoteResp, from: 'a', to: 'b', term: 1, index: 0, logTerm: 0, commit: 0, reject: false, force: false, last: false };
    const [got] = decodeBatch(payloadOf(encodeBatchFrame([m])));
    assert.equal(got!.reject, false);
    assert.equal(got!.force, false);
    assert.equal(got!.last, false);
  });

  it('encodes an empty batch', () => {
    assert.deepEqual(decodeBatch(payloadOf(encodeBatchFrame([]))), []);
  });

  it('does not let a later encode overwrite an earlier frame', () => {
    const [a, b] = everyMessageType('n1', 'n2');
    const f1 = encodeBatchFrame([a!]);
    const copy = Buffer.from(f1);
    for (let i = 0; i < 1000; i++) encodeBatchFrame([b!]);
    assert.deepEqual(f1, copy);
  });

  it('round-trips the hello and refuses foreign or mismatched ones', () => {
    const hello = decodeHello(payloadOf(encodeHelloFrame('node7', TEST_IDENTITY)));
    assert.deepEqual(hello, { id: 'node7', clusterId: TEST_IDENTITY.id, proof: helloProof(TEST_IDENTITY, 'node7') });
    assert.deepEqual(plain.unpack(payloadOf(encodeHelloFrame('node7', TEST_IDENTITY))), ['raftkv', 2, 'node7', TEST_IDENTITY.id, hello.proof], 'the documented layout');
    assert.notEqual(decodeHello(payloadOf(encodeHelloFrame('node7', clusterIdentity('another-cluster-token')))).proof, hello.proof);
    const refused = (payload: Buffer) => assert.throws(() => decodeHello(payload), (e: unknown) => e instanceof TransportError && e.code === 'RAFTKV_ERR_BAD_HELLO');
    const proof = hello.proof;
    refused(rawPayload(['raftkv', PROTOCOL_VERSION + 1, 'n1', TEST_IDENTITY.id, proof]));
    refused(rawPayload(['raftkv', 1, 'n1'])); // the version-1 hello: no cluster, no proof
    refused(rawPayload(['other', PROTOCOL_VERSION, 'n1', TEST_IDENTITY.id, proof]));
    refused(rawPayload(['raftkv', PROTOCOL_VERSION, '', TEST_IDENTITY.id, proof]));
    refused(rawPayload(['raftkv', PROTOCOL_VERSION, 'n1', '', proof]));
    refused(rawPayload(['raftkv', PROTOCOL_VERSION, 'n1', TEST_IDENTITY.id]));
    refused(rawPayload(['raftkv', PROTOCOL_VERSION, 'n1', TEST_IDENTITY.id, 7]));
    refused(rawPayload({ id: 'n1' }));
    refused(Buffer.from([0xc1]));
    refused(Buffer.alloc(0));
  });

  it('refuses malformed batches with a TransportError', () => {
    const bad = [
      Buffer.alloc(0),
      Buffer.from([0xc1]),
      rawPayload('not a batch'),
      rawPayload([[99, 'a', 'b', 1, 0, 0, 0, 0]]), // unknown type code
      rawPayload([[0, 'a', 'b', 1, 0, 0]]), // too short
      rawPayload([[0, 1, 'b', 1, 0, 0, 0, 0]]), // from is not a string
      rawPayload([[4, 'a', 'b', 1, 0, 0, 0, 0, [Buffer.alloc(2), 1, 1, 0]]]), // entries not in fours
      rawPayload([[4, 'a', 'b', 1, 0, 0, 0, 0, ['x', 1, 1, 0, 0]]]), // entry data not bytes
      rawPayload([[4, 'a', 'b', 1, 0, 0, 0, 0, [Buffer.alloc(2), 1, 1, 0, 3]]]), // entry longer than the data
      rawPayload([[4, 'a', 'b', 1, 0, 0, 0, 0, [Buffer.alloc(2), 1, 1, 0, 1]]]), // data left over
      rawPayload([[4, 'a', 'b', 1, 0, 0, 0, 0, [Buffer.alloc(2), 1, 1, 0, -1]]]), // negative length
      Buffer.concat([rawPayload([]), Buffer.from([0x01])]), // trailing bytes
      payloadOf(encodeBatchFrame(everyMessageType('a', 'b'))).subarray(0, 50), // truncated
    ];
    for (const payload of bad) {
      assert.throws(() => decodeBatch(payload), (e: unknown) => e instanceof TransportError && e.code === 'RAFTKV_ERR_BAD_FRAME', payload.toString('hex'));
    }
  });

  it('never throws anything but a TransportError on random bytes', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    const valid = payloadOf(encodeBatchFrame(everyMessageType('a', 'b').slice(0, 6)));
    for (let i = 0; i < 3000; i++) {
      // Half pure noise, half a valid batch with a few bytes flipped.
      const buf = i % 2 === 0 ? Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))) : Buffer.from(valid);
      if (i % 2 === 1) for (let k = 0; k < 3; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      try {
        const msgs = decodeBatch(buf);
        assert.ok(Array.isArray(msgs));
      } catch (e) {
        assert.ok(e instanceof TransportError, `unexpected ${String(e)} for ${buf.toString('hex')}`);
      }
    }
  });
});
