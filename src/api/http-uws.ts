// The uWebSockets.js binding of the HTTP fronts (a native build only; see
// http-backend.ts). Stopping it with app.close() closes the listen socket and
// every connection, the only stop that is safe in a worker thread.

import type uWS from 'uWebSockets.js';
import type { RequestBase } from './router.js';
import { serveRequest, type HttpConnection, type HttpServeOptions } from './http-exchange.js';
import type { UwsModule } from './http-backend.js';

export interface ListeningServer {
  port: number;
  close(): void;
}

export function listenUws<C extends RequestBase>(uws: UwsModule, opts: HttpServeOptions<C>): Promise<ListeningServer> {
  const app = uws.App();
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
