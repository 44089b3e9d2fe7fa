// Length-prefixed frames: a 4-byte big-endian payload length, then the payload.
// The decoder is incremental: it keeps its place across chunks, so a frame may
// arrive split at any byte, and one chunk may hold many frames.

import { frameTooLarge } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** First allocation for a frame that spans chunks; it doubles as bytes arrive. */
const INITIAL_BODY_BYTES = 64 * 1024;

/** Frames `payload` by copying it behind a header (tests and tools; the codec writes frames in place). */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Cuts a byte stream into frame payloads and hands each to `onFrame`, in order.
 *
 * A payload that arrived whole inside one chunk is a view of that chunk (no
 * copy); one that spans chunks is assembled into a buffer of its own, grown
 * as its bytes arrive (at most twice the bytes received, or 64 KiB). Either
 * way it is never overwritten later, so values decoded from it may keep
 * pointing into it.
 *
 * `push` throws a TransportError for a frame longer than `maxFrameBytes`;
 * after that (or after `stop()`) the decoder ignores further input.
 */
export class FrameDecoder {
  #maxFrameBytes: number;
  readonly #onFrame: (payload: Buffer) => void;
  /** Header bytes of the next frame, while fewer than 4 have arrived. */
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerHave = 0;
  /**
   * The frame being assembled across chunks (null: reading a header). It
   * grows with the bytes that actually arrive, never to the announced size
   * up front: a header is only a claim, and a peer announcing 64 MiB and
   * sending 10 bytes must cost 10 bytes, not 64 MiB.
   */
  #body: Buffer | null = null;
  #bodyLength = 0;
  #bodyHave = 0;
  #stopped = false;

  constructor(maxFrameBytes: number, onFrame: (payload: Buffer) => void) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#onFrame = onFrame;
  }

  /** The largest frame accepted from now on (a connection may allow more once its peer is known). */
  set maxFrameBytes(n: number) {
    this.#maxFrameBytes = n;
  }

  /** Bytes held for a frame that has not fully arrived (0 at a frame boundary). */
  get pendingBytes(): number {
    return this.#body === null ? this.#headerHave : FRAME_HEADER_BYTES + this.#bodyHave;
  }

  /** Bytes allocated for the frame being assembled (at most twice what arrived, or 64 KiB). */
  get bufferedCapacity(): number {
    return this.#body === null ? 0 : this.#body.length;
  }

  /** Ignore all further input (the connection is being closed). */
  stop(): void {
    this.#stopped = true;
    this.#body = null;
  }

  push(chunk: Buffer): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end && !this.#stopped) {
      if (this.#body !== null) {
        const n = Math.min(this.#bodyLength - this.#bodyHave, end - pos);
        const body = this.#reserve(this.#bodyHave + n);
        chunk.copy(body, this.#bodyHave, pos, pos + n);
        this.#bodyHave += n;
        pos += n;
        if (this.#bodyHave === this.#bodyLength) {
          this.#body = null;
          this.#bodyHave = 0;
          // Capacity never exceeds the length, so a complete body fills its buffer exactly.
          this.#onFrame(body);
        }
        continue;
      }
      let length: number;
      if (this.#headerHave === 0 && end - pos >= FRAME_HEADER_BYTES) {
        length = chunk.readUInt32BE(pos);
        pos += FRAME_HEADER_BYTES;
      } else {
        this.#header[this.#headerHave++] = chunk[pos++]!;
        if (this.#headerHave < FRAME_HEADER_BYTES) continue;
        this.#headerHave = 0;
        length = this.#header.readUInt32BE(0);
      }
      if (length > this.#maxFrameBytes) {
        this.stop();
        throw frameTooLarge(length, this.#maxFrameBytes);
      }
      if (end - pos >= length) {
        const payload = chunk.subarray(pos, pos + length);
        pos += length;
        this.#onFrame(payload);
      } else {
        this.#bodyLength = length;
        this.#bodyHave = 0;
        this.#body = Buffer.allocUnsafe(Math.min(length, Math.max(end - pos, INITIAL_BODY_BYTES)));
      }
    }
  }

  /** The body buffer, grown (doubling, capped at the frame length) to hold `need` bytes. */
  #reserve(need: number): Buffer {
    const body = this.#body!;
    if (need <= body.length) return body;
    const grown = Buffer.allocUnsafe(Math.min(this.#bodyLength, Math.max(need, body.length * 2)));
    body.copy(grown, 0, 0, this.#bodyHave);
    this.#body = grown;
    return grown;
  }
}
