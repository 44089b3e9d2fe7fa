// A bare RESP client for tests: send any bytes, read replies in order.

import net from 'node:net';
import tls from 'node:tls';

export type RespValue = string | number | null | Buffer | RespValue[] | { error: string } | { status: string };

/** Encode a command as a RESP multibulk frame. */
export function frame(...args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a) : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parse one reply at `pos`; undefined when incomplete. Bulk strings come back as Buffers. */
export function parseReply(buf: Buffer, pos: number): { value: RespValue; next: number } | undefined {
  if (pos >= buf.length) return undefined;
  const cr = buf.indexOf('\r\n', pos);
  if (cr < 0) return undefined;
  const line = buf.toString('utf8', pos + 1, cr);
  const after = cr + 2;
  switch (String.fromCharCode(buf[pos]!)) {
    case '+':
      return { value: { status: line }, next: after };
    case '-':
      return { value: { error: line }, next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      if (buf.length < after + n + 2) return undefined;
      return { value: buf.subarray(after, after + n), next: after + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let p = after;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (!r) return undefined;
        items.push(r.value);
        p = r.next;
      }
      return { value: items, next: p };
    }
    default:
      throw new Error(`not a RESP reply at ${pos}: ${JSON.stringify(buf.toString('latin1', pos, pos + 20))}`);
  }
}

/** Replies as plain values: statuses as their text, bulk strings as UTF-8 strings, errors as { error }. */
export function plain(v: RespValue): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object' && 'status' in v) return v.status;
  return v;
}

export class RespTestClient {
  readonly socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #waiters: { n: number; resolve: (v: RespValue[]) => void; reject: (e: Error) => void }[] = [];
  #replies: RespValue[] = [];
  #closed = false;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      let pos = 0;
      for (let r = parseReply(this.#buf, pos); r; r = parseReply(this.#buf, pos)) {
        this.#replies.push(r.value);
        pos = r.next;
      }
      this.#buf = this.#buf.subarray(pos);
      this.#settle();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#closed = true;
        this.#settle();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RespTestClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(new RespTestClient(s));
      });
      s.once('error', reject);
    });
  }

  /** Over TLS, trusting `ca` (a secure cluster's RESP port). */
  static connectTls(port: number, ca: string): Promise<RespTestClient> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
        s.off('error', reject);
        resolve(new RespTestClient(s));
      });
      s.once('error', reject);
    });
  }

  #settle(): void {
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0]!;
      if (this.#replies.length >= w.n) {
        this.#waiters.shift();
        w.resolve(this.#replies.splice(0, w.n));
      } else if (this.#closed) {
        this.#waiters.shift();
        w.reject(new Error(`connection closed after ${this.#replies.length} of ${w.n} replies`));
      } else return;
    }
  }

  /** The next `n` replies (rejects if the connection closes first, or after `timeoutMs`). */
  replies(n: number, timeoutMs = 10_000): Promise<RespValue[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${n} replies within ${timeoutMs} ms (got ${this.#replies.length})`)), timeoutMs);
      this.#waiters.push({
        n,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#settle();
    });
  }

  /** Replies received but not yet asked for. */
  get unread(): RespValue[] {
    return this.#replies;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Send commands in one write and return their replies as plain values. */
  async call(...commands: (string | Buffer)[][]): Promise<unknown[]> {
    this.write(Buffer.concat(commands.map((c) => frame(...c))));
    return (await this.replies(commands.length)).map(plain);
  }

  async one(...args: (string | Buffer)[]): Promise<unknown> {
    return (await this.call(args))[0];
  }

  close(): void {
    this.socket.destroy();
  }
}
