// HTTP/1.1 by hand, for requests no well-behaved client sends: a body on a
// GET, a Content-Length that lies, pipelined requests, a client that leaves.

import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection (before `count` responses, or after them). */
  closed: boolean;
}

/**
 * Send `bytes` on a new connection and wait for `count` complete responses
 * (each with a Content-Length) or for the server to close the connection,
 * whichever comes first; the connection is then closed by us. `count`
 * Infinity reads until the server closes.
 */
export function rawHttp(port: number, bytes: string | Buffer, count = 1, host = '127.0.0.1'): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    let buf = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ responses, closed });
    };
    s.on('connect', () => s.write(bytes));
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const [statusLine, ...lines] = buf.toString('latin1', 0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const length = Number(headers['content-length'] ?? 0);
        if (buf.length < end + 4 + length) break;
        responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body: buf.toString('utf8', end + 4, end + 4 + length) });
        buf = buf.subarray(end + 4 + length);
      }
      if (responses.length >= count) finish(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      // A reset is the server closing on us; anything else (refused) is the test's failure.
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') finish(true);
      else if (!done) reject(e);
    });
    s.on('close', () => finish(true));
  });
}

/** Open a connection, send `bytes` (a request cut short), and leave without reading anything. */
export async function sendAndLeave(port: number, bytes: string, host = '127.0.0.1'): Promise<void> {
  const s = net.connect(port, host);
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  await new Promise<void>((r) => s.write(bytes, () => r()));
  s.destroy();
}
