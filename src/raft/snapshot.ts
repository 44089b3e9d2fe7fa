// Snapshot chunks travel with a CRC-32 each, so a corrupted chunk is refused
// and resent instead of being installed.

import type { Message } from './types.js';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as zlib computes it. */
export function crc32(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Fill an outgoing Snap message with its chunk: `snapshotBytes` is the whole
 * snapshot at `m.snapshot.index`, as the runtime stored it.
 */
export function fillSnapshotChunk(m: Message, snapshotBytes: Uint8Array): void {
  const offset = m.offset ?? 0;
  const end = Math.min(snapshotBytes.byteLength, offset + (m.chunkSize ?? snapshotBytes.byteLength));
  m.data = snapshotBytes.subarray(offset, end);
  m.checksum = crc32(m.data);
  m.last = end >= snapshotBytes.byteLength;
}

/** Fill an outgoing Snap message with a chunk the runtime read from its snapshot file. */
export function setSnapshotChunk(m: Message, chunk: Uint8Array): void {
  m.data = chunk;
  m.checksum = crc32(chunk);
  m.last = (m.offset ?? 0) + chunk.byteLength >= (m.snapshot?.size ?? 0);
}
