import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BINARY_MARK, bytesToStored, concatStored, isBinaryForm, storedByteLength, storedToBytes } from '../../src/node/stored-bytes.js';

test('UTF-8 text is stored as itself, so HTTP and RESP see the same value', () => {
  for (const s of ['', 'value1', 'héllo wörld', '日本', '🙂']) assert.equal(bytesToStored(Buffer.from(s)), s);
});

test('bytes that are not text, start with NUL, or start with U+FFFE are stored marked, in base64', () => {
  for (const b of [Buffer.from([0xff, 0xfe]), Buffer.from([0, 65]), Buffer.from(BINARY_MARK + 'x')]) {
    const s = bytesToStored(b);
    assert.ok(isBinaryForm(s));
    assert.deepEqual(storedToBytes(s), b);
  }
});

test('bytes -> stored -> bytes is the identity; lengths and concatenation agree with the bytes', () => {
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s))));
  fc.assert(
    fc.property(bytes, bytes, (a, b) => {
      const ba = Buffer.from(a);
      const bb = Buffer.from(b);
      const sa = bytesToStored(ba);
      assert.deepEqual(storedToBytes(sa), ba);
      assert.equal(storedByteLength(sa), ba.length);
      assert.deepEqual(storedToBytes(concatStored(sa, bytesToStored(bb))), Buffer.concat([ba, bb]));
    }),
    { numRuns: 500 },
  );
});
