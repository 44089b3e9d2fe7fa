// Property tests of the parser: random valid pipelines split at random points
// parse to the same commands; random bytes never make it throw.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RespParser } from '../../src/resp/parser.js';
import { frame } from '../helpers/resp-client.js';

const arg = fc.uint8Array({ minLength: 0, maxLength: 40 }).map((a) => Buffer.from(a));
const command = fc.array(arg, { minLength: 1, maxLength: 6 });
const pipeline = fc.array(command, { minLength: 1, maxLength: 20 });

/** Cut `buf` at the given fractions of its length. */
function cut(buf: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((f) => Math.floor(f * buf.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

test('a valid pipeline split at random points parses to its commands', () => {
  fc.assert(
    fc.property(pipeline, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), (cmds, at) => {
      const bytes = Buffer.concat(cmds.map((c) => frame(...c)));
      const p = new RespParser({ maxBulkBytes: 1024 });
      const got: Buffer[][] = [];
      for (const chunk of cut(bytes, at)) {
        const r = p.feed(chunk);
        assert.equal(r.error, undefined);
        got.push(...r.commands);
      }
      assert.deepEqual(got.map((c) => c.map((a) => a.toString('hex'))), cmds.map((c) => c.map((a) => a.toString('hex'))));
      assert.ok(p.idle);
    }),
    { numRuns: 300 },
  );
});

test('random bytes never make the parser throw; what it returns is well formed', () => {
  const noise = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    // Noise that looks like RESP gets deeper into the parser.
    fc.array(fc.constantFrom('*', '$', '-', '1', '3', '0', '\r', '\n', '\r\n', 'GET', ' ', '"', "'", '\\x4', 'a'), { maxLength: 60 }).map((a) => Buffer.from(a.join(''), 'latin1')),
  );
  fc.assert(
    fc.property(noise, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (bytes, at) => {
      const p = new RespParser({ maxBulkBytes: 64, maxInlineBytes: 64 });
      for (const chunk of cut(bytes, at)) {
        const r = p.feed(chunk);
        for (const c of r.commands) {
          assert.ok(c.length > 0);
          for (const a of c) assert.ok(Buffer.isBuffer(a) && a.length <= 64);
        }
        if (r.error) assert.match(r.error.message, /^Protocol error: /);
      }
    }),
    { numRuns: 2000 },
  );
});
