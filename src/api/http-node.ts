// The node:http binding of the HTTP fronts, for Node versions and platforms
// with no native uWebSockets.js build (see http-backend.ts). Same requests in,
// same answers out: the request handling itself is http-exchange.ts.

import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { RequestBase } from './router.js';
import { WebSocketServer } from 'ws';
import type { Logger } from '../common/logger.js';
import { STREAM_BACKLOG_BYTES, serveRequest, upgradeRefusal, type HttpConnection, type HttpServeOptions, type StreamWriter, type WebSocketRoute, type WsPeer } from './http-exchange.js';
import type { ListeningServer } from './http-uws.js';

/** uWS closes a keep-alive connection idle for about 10 s; do the same. */
const KEEP_ALIVE_MS = 10_000;

export function listenNodeHttp<C extends RequestBase>(opts: HttpServeOptions<C>): Promise<ListeningServer> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    serveRequest(
      opts,
      {
        method: (req.method ?? 'GET').toUpperCase(),
        path: q < 0 ? url : url.slice(0, q),
        query: q < 0 ? '' : url.slice(q + 1),
        header: (name) => {
          const v = req.headers[name];
          return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
        },
      },
      new NodeConnection(req, res),
    );
  };
  const options = { keepAliveTimeout: KEEP_ALIVE_MS, noDelay: true };
  const server: http.Server = opts.tls ? https.createServer({ ...options, cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(options, handler);
  if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
  const sockets = serveWebSockets(server, opts);
  // A socket error (a reset mid-request) ends that connection only.
  server.on('clientError', (_e: Error, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (e) => opts.logger.error('HTTP front error', { error: String(e) }));
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          server.close();
          server.closeAllConnections();
          for (const ws of sockets.clients) ws.terminate();
          sockets.close();
        },
      });
    });
  });
}

class NodeConnection implements HttpConnection {
  readonly #req: http.IncomingMessage;
  readonly #res: http.ServerResponse;
  #reading = false;

  constructor(req: http.IncomingMessage, res: http.ServerResponse) {
    this.#req = req;
    this.#res = res;
    req.on('error', () => {});
    res.on('error', () => {});
    // A body nobody reads (a GET with a body, a refused request) is drained, so the connection stays usable.
    setImmediate(() => {
      if (!this.#reading) req.resume();
    });
  }

  onAborted(fn: () => void): void {
    this.#res.once('close', () => {
      if (!this.#res.writableFinished) fn();
    });
  }

  readBody(fn: (chunk: Buffer, last: boolean) => void): void {
    this.#reading = true;
    this.#req.on('data', (chunk: Buffer) => fn(chunk, false));
    this.#req.once('end', () => fn(EMPTY, true));
  }

  openStream(status: string, headers: readonly [string, string][]): StreamWriter {
    const res = this.#res;
    const space = status.indexOf(' ');
    res.writeHead(Number(space < 0 ? status : status.slice(0, space)), Object.fromEntries(headers));
    res.flushHeaders();
    // A stream outlives the keep-alive timeout of an idle connection.
    this.#req.socket.setTimeout(0);
    return {
      write: (chunk) => {
        if (res.destroyed) return false;
        res.write(chunk);
        return res.writableLength <= STREAM_BACKLOG_BYTES;
      },
      end: () => {
        res.end();
      },
    };
  }

  write(status: string, headers: readonly [string, string][], body: string | Buffer): void {
    const res = this.#res;
    if (res.headersSent || res.destroyed) return;
    const space = status.indexOf(' ');
    res.statusCode = Number(space < 0 ? status : status.slice(0, space));
    if (space > 0) res.statusMessage = status.slice(space + 1);
    for (const [k, v] of headers) res.setHeader(k, v);
    res.end(body);
    // Like uWS: a refused upload ends with its connection instead of being read to its end.
    if (headers.some(([k, v]) => k === 'Connection' && v === 'close')) res.once('finish', () => this.#req.socket.destroySoon());
  }
}

const EMPTY = Buffer.alloc(0);

/** WebSocket endpoints on node:http, through `ws` (the library uWS's own fallback uses). */
function serveWebSockets<C extends RequestBase>(server: http.Server, opts: HttpServeOptions<C>): WebSocketServer {
  const routes: readonly WebSocketRoute[] = opts.websockets ?? [];
  const logger: Logger = opts.logger;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = routes.find((r) => r.path === (q < 0 ? url : url.slice(0, q)));
    if (!route) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const refusal = upgradeRefusal(opts, (name) => {
      const v = req.headers[name];
      return v === undefined ? '' : Array.isArray(v) ? v.join(', ') : v;
    }, route.path);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal.status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(refusal.body)}\r\nConnection: close\r\n\r\n${refusal.body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let open = true;
      const peer: WsPeer = {
        send: (text) => {
          if (!open) return false;
          if (ws.bufferedAmount > STREAM_BACKLOG_BYTES) {
            peer.close(1008, 'too slow');
            return false;
          }
          ws.send(text);
          return true;
        },
        close: (code, reason) => {
          if (!open) return;
          open = false;
          ws.close(code, reason);
        },
      };
      let cancel: (() => void) | undefined;
      ws.on('error', () => {});
      ws.on('close', () => {
        open = false;
        cancel?.();
        cancel = undefined;
      });
      try {
        cancel = route.open(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), peer);
        if (!open) cancel();
      } catch (e) {
        logger.error('websocket: open failed (a bug)', { path: route.path, error: String(e) });
        peer.close(1011, 'internal error');
      }
    });
  });
  return wss;
}
