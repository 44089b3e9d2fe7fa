// An incremental HTTP/1.1 response parser for the load generator: it keeps
// its place across chunks and reports each complete response's status. It
// reads only what a closed loop needs (status, Content-Length or chunked
// framing, Connection: close) and never copies a body.

import { RaftkvError } from '../../src/common/errors.js';

const CRLF = 0x0d0a;
const HEADER_LIMIT = 64 * 1024;

export interface ResponseHead {
  status: number;
  /** The server will close the connection after this response. */
  close: boolean;
}

export class HttpProtocolError extends RaftkvError {
  constructor(message: string) {
    super('RAFTKV_ERR_HTTP_PROTOCOL', message);
  }
}

export class HttpResponseParser {
  #pending: Buffer | undefined;

  /** Feed bytes; `onResponse` runs once per complete response, in order. Throws HttpProtocolError on bytes that are not HTTP/1.x. */
  push(chunk: Buffer, onResponse: (head: ResponseHead) => void): void {
    let buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    this.#pending = undefined;
    let pos = 0;
    while (pos < buf.length) {
      const end = responseEnd(buf, pos);
      if (end.kind === 'incomplete') break;
      pos = end.next;
      onResponse(end.head);
    }
    if (pos < buf.length) {
      buf = buf.subarray(pos);
      if (buf.length > HEADER_LIMIT && buf.indexOf('\r\n\r\n') < 0) throw new HttpProtocolError(`no end of headers in ${buf.length} bytes`);
      this.#pending = Buffer.from(buf);
    }
  }

  /** Bytes received but not yet part of a complete response. */
  get pendingBytes(): number {
    return this.#pending?.length ?? 0;
  }
}

type End = { kind: 'incomplete' } | { kind: 'complete'; head: ResponseHead; next: number };
const INCOMPLETE: End = { kind: 'incomplete' };

function responseEnd(buf: Buffer, start: number): End {
  const headerEnd = buf.indexOf('\r\n\r\n', start);
  if (headerEnd < 0) return INCOMPLETE;
  const head = buf.toString('latin1', start, headerEnd).toLowerCase();
  if (!head.startsWith('http/1.')) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(head.slice(0, 40))}`);
  const status = Number(head.slice(9, 12));
  if (!Number.isInteger(status) || status < 100) throw new HttpProtocolError(`bad status line: ${JSON.stringify(head.slice(0, 40))}`);
  const close = /\r\nconnection:[ \t]*close/.test(head);
  const bodyStart = headerEnd + 4;
  if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
    const next = chunkedEnd(buf, bodyStart);
    return next < 0 ? INCOMPLETE : { kind: 'complete', head: { status, close }, next };
  }
  const cl = /\r\ncontent-length:[ \t]*(\d+)/.exec(head);
  const length = cl ? Number(cl[1]) : 0;
  if (buf.length < bodyStart + length) return INCOMPLETE;
  return { kind: 'complete', head: { status, close }, next: bodyStart + length };
}

/** Offset after the last chunk and its trailers, or -1 when more bytes are needed. */
function chunkedEnd(buf: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos);
    if (lineEnd < 0) return -1;
    const size = parseInt(buf.toString('latin1', pos, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new HttpProtocolError('bad chunk size');
    if (size === 0) {
      // Trailers (usually none) end with an empty line.
      let p = lineEnd + 2;
      for (;;) {
        const e = buf.indexOf('\r\n', p);
        if (e < 0) return -1;
        if (e === p) return e + 2;
        p = e + 2;
      }
    }
    const dataEnd = lineEnd + 2 + size;
    if (buf.length < dataEnd + 2) return -1;
    if (buf.readUInt16BE(dataEnd) !== CRLF) throw new HttpProtocolError('chunk not followed by CRLF');
    pos = dataEnd + 2;
  }
}
