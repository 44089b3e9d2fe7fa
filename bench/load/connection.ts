// One keep-alive connection of the load generator (HTTP/1.1 or RESP). It
// reports each complete reply and each failure to whoever drives it now:
// the socket outlives a task, so the same connections serve every round of
// a workload. Against a secure cluster it speaks TLS (trusting the cluster
// CA) and a RESP connection logs in with AUTH before it counts as open.

import net from 'node:net';
import tls from 'node:tls';
import { HttpResponseParser, type ResponseHead } from './http-response-parser.js';
import { respCommand } from './requests.js';
import { RespReplyParser } from './resp-reply-parser.js';
import type { LoadSecurity } from './task.js';

export interface ConnectionListener {
  /** One reply; `error` is a short description when it is not a success (non-2xx status, RESP error). */
  reply(error: string | undefined): void;
  /** The connection broke (or could not be opened); every reply it was waiting for is lost. */
  failure(error: string): void;
}

const NO_LISTENER: ConnectionListener = { reply: () => {}, failure: () => {} };

/** One read buffer for every connection of a thread: a read is handled before the next one starts. */
const READ_BUFFER = Buffer.alloc(256 * 1024);

export class LoadConnection {
  readonly #host: string;
  readonly #port: number;
  readonly #proto: 'http' | 'resp';
  readonly #security: LoadSecurity | undefined;
  #socket: net.Socket | undefined;
  #connecting: Promise<void> | undefined;
  #listener: ConnectionListener = NO_LISTENER;
  #closing = false;
  /** The socket finished connecting (failures before that only reject connect()). */
  #ready = false;
  /** The server announced it closes after the current reply. */
  #closeAfterReply = false;

  constructor(proto: 'http' | 'resp', host: string, port: number, security?: LoadSecurity) {
    this.#proto = proto;
    this.#security = security;
    this.#host = host;
    this.#port = port;
  }

  set listener(l: ConnectionListener) {
    this.#listener = l;
  }

  get open(): boolean {
    return this.#socket !== undefined && !this.#socket.destroyed && this.#connecting === undefined;
  }

  /** Open the socket if needed; resolves once it is usable, rejects when it cannot be opened. */
  connect(timeoutMs = 5000): Promise<void> {
    if (this.open) return Promise.resolve();
    if (this.#connecting) return this.#connecting;
    this.#closing = false;
    this.#ready = false;
    this.#closeAfterReply = false;
    const http = this.#proto === 'http' ? new HttpResponseParser() : undefined;
    const resp = this.#proto === 'resp' ? new RespReplyParser() : undefined;
    const onHead = (head: ResponseHead): void => {
      if (head.close) this.#closeAfterReply = true;
      this.#listener.reply(head.status >= 200 && head.status < 300 ? undefined : `HTTP ${head.status}`);
    };
    /** Set while the AUTH of a secure RESP connection awaits its reply (the first one on the connection). */
    let login: ((error: string | undefined) => void) | undefined;
    const onReply = (isError: boolean, line: string): void => {
      if (login) {
        const answer = login;
        login = undefined;
        answer(isError ? line : undefined);
        return;
      }
      this.#listener.reply(isError ? `RESP -${line}` : undefined);
    };
    // `onread` hands each read over in one buffer reused by every connection of
    // this thread, with no stream 'data' event or Buffer per read; the parsers
    // copy what they keep of a partial reply.
    const security = this.#security;
    const options = {
      host: this.#host,
      port: this.#port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, buf: Uint8Array): boolean => {
          const chunk = Buffer.from(buf.buffer, buf.byteOffset, nread);
          try {
            if (http) http.push(chunk, onHead);
            else resp!.push(chunk, onReply);
          } catch (e) {
            this.#fail(socket, (e as Error).message);
          }
          return true;
        },
      },
    };
    // tls.connect takes the same onread buffer: TLS costs only what TLS costs.
    const socket: net.Socket = security ? tls.connect({ ...options, ca: security.ca }) : net.connect(options);
    if (security) socket.setNoDelay(true);
    this.#socket = socket;
    socket.on('error', (e) => this.#fail(socket, e.message));
    socket.on('close', () => this.#fail(socket, this.#closeAfterReply ? 'server closed the connection' : 'connection closed'));
    const connecting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${this.#host}:${this.#port} timed out`));
      }, timeoutMs);
      const ready = (): void => {
        clearTimeout(timer);
        this.#ready = true;
        resolve();
      };
      socket.once(security ? 'secureConnect' : 'connect', () => {
        if (!security || !resp) return ready();
        login = (error) => {
          if (error === undefined) return ready();
          clearTimeout(timer);
          reject(new Error(`AUTH refused by ${this.#host}:${this.#port}: ${error}`));
          socket.destroy();
        };
        socket.write(respCommand(['AUTH', security.token]));
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${this.#host}:${this.#port}`));
      });
    }).finally(() => {
      if (this.#connecting === connecting) this.#connecting = undefined;
    });
    this.#connecting = connecting;
    return connecting;
  }

  write(bytes: Buffer): void {
    this.#socket!.write(bytes);
  }

  /** Drop the socket (a timed-out request, the end of a workload); the listener hears a failure unless `quiet`. */
  destroy(reason: string, quiet = false): void {
    const s = this.#socket;
    if (!s) return;
    if (quiet) this.#closing = true;
    this.#fail(s, reason);
  }

  #fail(socket: net.Socket, reason: string): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    socket.destroy();
    if (this.#ready && !this.#closing) this.#listener.failure(reason);
    this.#ready = false;
  }
}
