// Length-prefixed frames: a 4-byte big-endian payload length, then the payload.
// The decoder is incremental: it keeps its place across chunks, so a frame may
// arrive split at any byte, and one chunk may hold many frames.

import { frameTooLarge } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

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
 * copy); one that spans chunks is assembled into a buffer of its own. Either
 * way it is never overwritten later, so values decoded from it may keep
 * pointing into it.
 *
 * `push` throws a TransportError for a frame longer than `maxFrameBytes`;
 * after that (or after `stop()`) the decoder ignores further input.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  readonly #onFrame: (payload: Buffer) => void;
  /** Header bytes of the next frame, while fewer than 4 have arrived. */
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerHave = 0;
  /** The frame being assembled across chunks (null: reading a header). */
  #body: Buffer | null = null;
  #bodyHave = 0;
  #stopped = false;

  constructor(maxFrameBytes: number, onFrame: (payload: Buffer) => void) {
    this.#maxFrameBytes = maxFrameBytes;
    this.#onFrame = onFrame;
  }

  /** Bytes held for a frame that has not fully arrived (0 at a frame boundary). */
  get pendingBytes(): number {
    return this.#body === null ? this.#headerHave : FRAME_HEADER_BYTES + this.#bodyHave;
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
        const body = this.#body;
        const n = Math.min(body.length - this.#bodyHave, end - pos);
        chunk.copy(body, this.#bodyHave, pos, pos + n);
        this.#bodyHave += n;
        pos += n;
        if (this.#bodyHave === body.length) {
          this.#body = null;
          this.#bodyHave = 0;
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
        // Allocated at the announced size, which the check above bounds.
        this.#body = Buffer.allocUnsafe(length);
        this.#bodyHave = 0;
      }
    }
  }
}
