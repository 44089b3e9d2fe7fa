import uWS from 'uWebSockets.js';
import { sameSecret, TOKEN_HEADER } from '../node/cluster-identity.js';
import { NodeError, badRequest } from '../node/errors.js';
import type { Logger } from '../node/logger.js';
import { httpError, statusLine } from './errors-http.js';
import type { NodeApi } from './node-api.js';
import { matchRoute, type Reply, type RequestBase, type Route } from './router.js';
import { ROUTES } from './routes.js';

export interface HttpFrontOptions {
  host: string;
  port: number;
  node: NodeApi;
  logger: Logger;
  /** Largest accepted request body (413 beyond it). */
  maxBodyBytes?: number;
  /** The cluster token that members-only routes require. */
  clusterToken: string;
}

/** What an HTTP server on uWS serves: a route table and what its handlers get besides the request. */
export interface HttpServeOptions<C extends RequestBase> {
  host: string;
  port: number;
  logger: Logger;
  maxBodyBytes?: number;
  /** The token members-only routes require; without it, those routes are refused to everyone. */
  clusterToken?: string;
  routes: readonly Route<C>[];
  context(request: RequestBase): C;
}

export interface HttpFront {
  port: number;
  /** Close the listen socket and every connection (the only safe way to stop uWS in a worker). */
  close(): void;
  /** True when the native uWS build serves; false on the slower pure-JS fallback. */
  native: boolean;
}

/** The hraftd-compatible HTTP API of one node, on uWebSockets.js. */
export function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const { node, ...rest } = opts;
  return serveHttp({ ...rest, routes: ROUTES, context: (request) => ({ ...request, node, clusterToken: opts.clusterToken }) });
}

/** A JSON-over-HTTP server on uWebSockets.js: routing, body limits, the one error mapping. */
export function serveHttp<C extends RequestBase>(opts: HttpServeOptions<C>): Promise<HttpFront> {
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const app = uWS.App();
  app.any('/*', (res, req) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    const method = req.getMethod().toUpperCase();
    let url = req.getUrl();
    const query = new URLSearchParams(req.getQuery() ?? '');
    const contentLength = req.getHeader('content-length');
    const contentType = req.getHeader('content-type');

    const send = (reply: Reply): void => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(reply.status));
        if (reply.retryAfter !== undefined) res.writeHeader('Retry-After', String(reply.retryAfter));
        if (reply.status === 413) res.writeHeader('Connection', 'close');
        if (reply.raw !== undefined) {
          res.writeHeader('Content-Type', reply.contentType ?? 'application/octet-stream');
          res.end(reply.raw);
        } else {
          res.writeHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(reply.json ?? {}));
        }
      });
    };
    const fail = (e: unknown): void => {
      const he = httpError(e);
      if (he.status >= 500 && he.status !== 503 && he.status !== 504) opts.logger.error('request failed', { method, url, error: he.body.error });
      send({ status: he.status, json: he.body, retryAfter: he.retryAfter });
    };

    if (url.startsWith('/hraftd/') || url === '/hraftd') url = url.slice('/hraftd'.length) || '/';
    const match = matchRoute(opts.routes, method, url);
    if (match.kind === 'not-found') return fail(new NodeError('RAFTKV_ERR_NOT_FOUND', `no route ${method} ${url}`));
    if (match.kind === 'bad-method') {
      return fail(new NodeError('RAFTKV_ERR_METHOD', `${method} is not allowed on ${url}; allowed: ${match.allowed.join(', ')}`));
    }
    const tokenHeader = req.getHeader(TOKEN_HEADER);
    const fromMember = opts.clusterToken !== undefined && tokenHeader !== '' && sameSecret(tokenHeader, opts.clusterToken);
    if (match.route.membersOnly && !fromMember) {
      return fail(new NodeError('RAFTKV_ERR_FORBIDDEN', `${method} ${url} is for cluster members only: the request must carry the cluster token`));
    }
    const limit = match.route.internal ? maxBody * 64 : maxBody;
    const declared = contentLength ? Number(contentLength) : 0;
    if (declared > limit) {
      // Answered before the body is read; "Connection: close" ends the upload with the connection.
      fail(new NodeError('RAFTKV_ERR_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${limit}`));
      return;
    }

    const run = (body: Buffer): void => {
      let ctx: C;
      try {
        ctx = opts.context({ method, path: url, params: match.params.map(decodeParam), query, body, contentType, logger: opts.logger, fromMember });
      } catch (e) {
        return fail(e);
      }
      match.route.handler(ctx).then(send, fail);
    };
    if (!match.route.body) return run(EMPTY);

    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    res.onData((chunk, isLast) => {
      if (refused || aborted) return;
      size += chunk.byteLength;
      if (size > limit) {
        refused = true;
        fail(new NodeError('RAFTKV_ERR_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      // The ArrayBuffer is only valid during this call: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) run(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });

  return new Promise((resolve, reject) => {
    app.listen(opts.host, opts.port, (token) => {
      if (!token) {
        app.close?.();
        reject(new Error(`HTTP front could not listen on ${opts.host}:${opts.port}`));
        return;
      }
      const port = uWS.us_socket_local_port(token);
      const native = typeof app.close === 'function';
      resolve({
        port,
        native,
        close: () => {
          if (native) app.close();
          else uWS.us_listen_socket_close(token);
        },
      });
    });
  });
}

const EMPTY = Buffer.alloc(0);

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw badRequest(`malformed percent-encoding in ${JSON.stringify(p)}`);
  }
}
