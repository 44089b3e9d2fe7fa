import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TransportError } from '../../src/transport/errors.js';
import { FrameDecoder, frame } from '../../src/transport/framing.js';

const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from([0, 0, 0, 1]), Buffer.alloc(300, 0xab), Buffer.from('last one')];
const stream = Buffer.concat(payloads.map(frame));

function decodeAll(chunks: Buffer[], max = 1024): Buffer[] {
  const out: Buffer[] = [];
  const d = new FrameDecoder(max, (p) => out.push(Buffer.from(p)));
  for (const c of chunks) d.push(c);
  assert.equal(d.pendingBytes, 0, 'ends at a frame boundary');
  return out;
}

describe('frame decoder', () => {
  it('decodes many frames from one chunk', () => {
    assert.deepEqual(decodeAll([stream]), payloads);
  });

  it('decodes the same stream fed byte by byte', () => {
    assert.deepEqual(decodeAll([...stream].map((b) => Buffer.from([b]))), payloads);
  });

  it('decodes the stream split in two at every offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      assert.deepEqual(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]), payloads, `split at ${cut}`);
    }
  });

  it('decodes the stream split in three at many offset pairs', () => {
    for (let a = 0; a <= stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 7) {
        assert.deepEqual(decodeAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]), payloads, `split at ${a}, ${b}`);
      }
    }
  });

  it('hands out whole-chunk payloads as views and spanning payloads as their own copies', () => {
    const seen: Buffer[] = [];
    const d = new FrameDecoder(1024, (p) => seen.push(p));
    const one = frame(Buffer.from('abc'));
    d.push(one);
    assert.equal(seen[0]!.buffer, one.buffer, 'no copy for a frame inside one chunk');
    const two = frame(Buffer.from('defgh'));
    const first = Buffer.from(two.subarray(0, 6));
    const rest = Buffer.from(two.subarray(6));
    d.push(first);
    d.push(rest);
    first.fill(0);
    rest.fill(0);
    assert.equal(seen[1]!.toString(), 'defgh', 'an assembled payload does not alias the chunks');
  });

  it('refuses a frame over the limit, even with its header split, and then ignores input', () => {
    for (const split of [0, 1, 2, 3, 4]) {
      const out: Buffer[] = [];
      const d = new FrameDecoder(100, (p) => out.push(p));
      const big = Buffer.concat([frame(Buffer.from('ok')), frame(Buffer.alloc(101)), frame(Buffer.from('never'))]);
      const at = 6 + split; // 'ok' is 6 bytes framed; then `split` bytes of the big header
      assert.throws(
        () => {
          d.push(big.subarray(0, at));
          d.push(big.subarray(at));
        },
        (e: unknown) => e instanceof TransportError && e.code === 'RAFTKV_ERR_FRAME_TOO_LARGE',
      );
      d.push(frame(Buffer.from('after')));
      assert.deepEqual(out.map(String), ['ok']);
    }
  });

  it('accepts a frame of exactly the limit', () => {
    assert.deepEqual(decodeAll([frame(Buffer.alloc(100, 1))], 100), [Buffer.alloc(100, 1)]);
  });

  it('allocates as bytes arrive, not at the size a header announces', () => {
    const out: Buffer[] = [];
    const d = new FrameDecoder(64 << 20, (p) => out.push(p));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(60 << 20);
    d.push(Buffer.concat([header, Buffer.alloc(10, 1)]));
    assert.equal(d.pendingBytes, 14);
    assert.ok(d.bufferedCapacity <= 64 * 1024, `holds ${d.bufferedCapacity} bytes for 10 received`);
    assert.deepEqual(out, []);
  });

  it('assembles a large frame fed in small chunks, growing to exactly its length', () => {
    const payload = Buffer.alloc(300_000).map((_, i) => (i * 7) & 0xff);
    const framed = frame(payload);
    const out: Buffer[] = [];
    const d = new FrameDecoder(1 << 20, (p) => out.push(p));
    let maxCapacity = 0;
    for (let i = 0; i < framed.length; i += 1000) {
      d.push(framed.subarray(i, i + 1000));
      maxCapacity = Math.max(maxCapacity, d.bufferedCapacity);
      assert.ok(d.bufferedCapacity <= Math.max(64 * 1024, 2 * d.pendingBytes), `capacity ${d.bufferedCapacity} for ${d.pendingBytes} received`);
    }
    assert.equal(out.length, 1);
    assert.ok(out[0]!.equals(payload));
    assert.equal(out[0]!.length, payload.length);
    assert.equal(maxCapacity, payload.length, 'the last growth stops at the frame length');
  });

  it('applies a new frame limit from the next header on', () => {
    const out: Buffer[] = [];
    const d = new FrameDecoder(8, (p) => out.push(p));
    d.push(frame(Buffer.from('tiny')));
    d.maxFrameBytes = 100;
    d.push(frame(Buffer.alloc(50, 2)));
    assert.deepEqual(out.map((p) => p.length), [4, 50]);
  });
});
