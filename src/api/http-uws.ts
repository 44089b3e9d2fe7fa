// The uWebSockets.js binding of the HTTP fronts (a native build only; see
// http-backend.ts). Stopping it with app.close() closes the listen socket and
// every connection, the only stop that is safe in a worker thread.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type uWS from 'uWebSockets.js';
import type { RequestBase } from './router.js';
import { serveRequest, type HttpConnection, type HttpServeOptions } from './http-exchange.js';
import type { UwsModule } from './http-backend.js';

export interface ListeningServer {
  port: number;
  close(): void;
}

export function listenUws<C extends RequestBase>(uws: UwsModule, opts: HttpServeOptions<C>): Promise<ListeningServer> {
  const app = opts.tls ? sslApp(uws, opts.tls) : uws.App();
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
    res.cork(() => {
      res.writeStatus(status);
      for (const [k, v] of headers) res.writeHeader(k, v);
      res.end(body);
    });
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
