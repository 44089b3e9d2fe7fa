// An incremental RESP2 reply parser for the load generator: it counts
// complete replies across chunks and tells errors (`-ERR ...`) apart.

import { RespProtocolError } from '../../src/resp/parser.js';

export class RespReplyParser {
  #pending: Buffer | undefined;

  /** Feed bytes; `onReply(isError, firstLine)` runs once per complete top-level reply, in order. */
  push(chunk: Buffer, onReply: (isError: boolean, line: string) => void): void {
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    let pos = 0;
    while (pos < buf.length) {
      const next = replyEnd(buf, pos);
      if (next < 0) break;
      const isError = buf[pos] === 0x2d; // '-'
      onReply(isError, isError ? buf.toString('utf8', pos + 1, buf.indexOf('\r\n', pos)) : '');
      pos = next;
    }
    if (pos < buf.length) this.#pending = Buffer.from(buf.subarray(pos));
  }
}

/** Offset after the reply starting at `pos`, or -1 when more bytes are needed. */
function replyEnd(buf: Buffer, pos: number): number {
  const lineEnd = buf.indexOf('\r\n', pos);
  if (lineEnd < 0) return -1;
  const type = buf[pos];
  switch (type) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
      return lineEnd + 2;
    case 0x24: {
      // $ bulk string
      const len = Number(buf.toString('latin1', pos + 1, lineEnd));
      if (!Number.isInteger(len)) throw new RespProtocolError('bad bulk length');
      if (len < 0) return lineEnd + 2;
      const end = lineEnd + 2 + len + 2;
      return buf.length < end ? -1 : end;
    }
    case 0x2a: {
      // * array
      const n = Number(buf.toString('latin1', pos + 1, lineEnd));
      if (!Number.isInteger(n)) throw new RespProtocolError('bad array length');
      let p = lineEnd + 2;
      for (let i = 0; i < n; i++) {
        if (p >= buf.length) return -1;
        p = replyEnd(buf, p);
        if (p < 0) return -1;
      }
      return p;
    }
    default:
      throw new RespProtocolError(`unexpected reply type byte ${type}`);
  }
}
