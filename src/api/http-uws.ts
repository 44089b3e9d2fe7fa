// The uWebSockets.js binding of the HTTP fronts (a native build only; see
// http-backend.ts). Stopping it with app.close() closes the listen socket and
// every connection, the only stop that is safe in a worker thread.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type uWS from 'uWebSockets.js';
import type { RequestBase } from './router.js';
import { STREAM_BACKLOG_BYTES, serveRequest, upgradeRefusal, type HttpConnection, type HttpServeOptions, type StreamWriter, type WsPeer } from './http-exchange.js';
import type { UwsModule } from './http-backend.js';

export interface ListeningServer {
  port: number;
  close(): void;
}

/** What uWS keeps for one WebSocket. */
interface WsData {
  query: string;
  /** Until it closed, from either side. */
  open: boolean;
  cancel?: () => void;
}

export function listenUws<C extends RequestBase>(uws: UwsModule, opts: HttpServeOptions<C>): Promise<ListeningServer> {
  const app = opts.tls ? sslApp(uws, opts.tls) : uws.App();
  for (const route of opts.websockets ?? []) {
    app.ws<WsData>(route.path, {
      maxBackpressure: STREAM_BACKLOG_BYTES,
      closeOnBackpressureLimit: 1,
      idleTimeout: 0,
      upgrade: (res, req, context) => {
        const refusal = upgradeRefusal(opts, (name) => req.getHeader(name), route.path);
        if (refusal) {
          res.cork(() => {
            res.writeStatus(refusal.status);
            res.writeHeader('content-type', 'application/json');
            res.end(refusal.body);
          });
          return;
        }
        res.upgrade<WsData>({ query: req.getQuery() ?? '', open: true }, req.getHeader('sec-websocket-key'), req.getHeader('sec-websocket-protocol'), req.getHeader('sec-websocket-extensions'), context);
      },
      open: (ws) => {
        const data = ws.getUserData();
        const peer: WsPeer = {
          // 2: dropped (past maxBackpressure; uWS then closes it).
          send: (text) => data.open && ws.send(text, false) !== 2,
          close: (code, reason) => {
            if (!data.open) return;
            data.open = false;
            ws.end(code, reason);
          },
        };
        try {
          const cancel = route.open(new URLSearchParams(data.query), peer);
          if (data.open) data.cancel = cancel;
          else cancel();
        } catch (e) {
          opts.logger.error('websocket: open failed (a bug)', { path: route.path, error: String(e) });
          peer.close(1011, 'internal error');
        }
      },
      close: (ws) => {
        const data = ws.getUserData();
        data.open = false;
        const cancel = data.cancel;
        data.cancel = undefined;
        cancel?.();
      },
    });
  }
  app.any('/*', (res, req) => {
    serveRequest(
      opts,
      {
        method: req.getMethod().toUpperCase(),
        path: req.getUrl(),
        query: req.getQuery() ?? '',
        header: (name) => req.getHeader(name),
      },
      new UwsConnection(res),
    );
  });
  return new Promise((resolve, reject) => {
    app.listen(opts.host, opts.port, (token) => {
      if (!token) {
        app.close();
        reject(new Error(`HTTP front could not listen on ${opts.host}:${opts.port}`));
        return;
      }
      resolve({ port: uws.us_socket_local_port(token), close: () => app.close() });
    });
  });
}

class UwsConnection implements HttpConnection {
  readonly #res: uWS.HttpResponse;

  constructor(res: uWS.HttpResponse) {
    this.#res = res;
  }

  onAborted(fn: () => void): void {
    this.#res.onAborted(fn);
  }

  readBody(fn: (chunk: Buffer, last: boolean) => void): void {
    // The ArrayBuffer is only valid during this call: copy it.
    this.#res.onData((chunk, isLast) => fn(Buffer.from(chunk.slice(0)), isLast));
  }

  write(status: string, headers: readonly [string, string][], body: string | Buffer): void {
    const res = this.#res;
    // A "Connection: close" header alone does not make uWS close (it waited for the idle timeout, about 10 s, after a
    // 413 whose body it will not read): end() is told to.
    const closing = headers.some(([k, v]) => k.toLowerCase() === 'connection' && v.toLowerCase() === 'close');
    res.cork(() => {
      res.writeStatus(status);
      for (const [k, v] of headers) res.writeHeader(k, v);
      res.end(body, closing);
    });
  }

  openStream(status: string, headers: readonly [string, string][]): StreamWriter {
    const res = this.#res;
    // Bytes uWS buffered for the client; counted from a refused write until it drains.
    let backlog = 0;
    res.cork(() => {
      res.writeStatus(status);
      for (const [k, v] of headers) res.writeHeader(k, v);
      // A chunked body starts now, so the client sees the head before the first event.
      res.write('');
    });
    return {
      write: (chunk) => {
        let ok = true;
        res.cork(() => {
          ok = res.write(chunk);
        });
        if (!ok) {
          if (backlog === 0) {
            res.onWritable(() => {
              backlog = 0;
              return true;
            });
          }
          backlog += chunk.length;
        }
        return backlog <= STREAM_BACKLOG_BYTES;
      },
      end: () => {
        res.cork(() => res.end());
      },
    };
  }
}

/**
 * uWS reads its certificate and key from files only: they are written to a
 * private temporary directory for the moment the app loads them, then removed.
 */
function sslApp(uws: UwsModule, tls: { cert: string; key: string }): uWS.TemplatedApp {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-tls-'));
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    writeFileSync(cert, tls.cert, { mode: 0o600 });
    writeFileSync(key, tls.key, { mode: 0o600 });
    return uws.SSLApp({ cert_file_name: cert, key_file_name: key });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
