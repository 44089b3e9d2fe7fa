import uWS from 'uWebSockets.js';
import { sameSecret, TOKEN_HEADER } from '../node/cluster-identity.js';
import { NodeError, badRequest } from '../node/errors.js';
import { RaftError } from '../raft/errors.js';
import type { Logger } from '../node/logger.js';
import { httpError, statusLine, type HttpError } from './errors-http.js';
import type { NodeApi } from './node-api.js';
import { matchRoute, type Reply, type RequestBase, type Route } from './router.js';
import { ROUTES } from './routes.js';
import { crossSite } from './same-origin.js';

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

/**
 * A JSON-over-HTTP server on uWebSockets.js: routing, body limits, the one
 * error mapping. Nothing a request does escapes its callback: whatever
 * throws, anywhere, ends in an error answer for that request (500, logged,
 * for a bug) or, when the connection is gone, in nothing. An exception out
 * of a uWS callback would be an uncaught exception of the whole thread.
 *
 * uWS itself closes a keep-alive connection idle for about 10 s, and closes
 * without an answer a connection whose Content-Length it cannot parse (ten
 * digits or more); a smaller one over the limit gets a 413 here.
 */
export function serveHttp<C extends RequestBase>(opts: HttpServeOptions<C>): Promise<HttpFront> {
  const maxBody = opts.maxBodyBytes ?? 1 << 20;
  const app = uWS.App();
  app.any('/*', (res, req) => {
    // First, before anything that can throw: uWS refuses a handler that
    // returns with neither an answer nor an abort handler.
    const exchange = new Exchange(res, opts.logger);
    try {
      handle(opts, maxBody, exchange, req);
    } catch (e) {
      exchange.fail(e);
    }
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

/** Route, check and run one request; what throws here is answered by the caller. */
function handle<C extends RequestBase>(opts: HttpServeOptions<C>, maxBody: number, ex: Exchange, req: uWS.HttpRequest): void {
  // Everything of `req` is read now: it is only valid until this call returns.
  const method = req.getMethod().toUpperCase();
  let url = req.getUrl();
  ex.describe(method, url);
  const query = new URLSearchParams(req.getQuery() ?? '');
  const contentLength = req.getHeader('content-length');
  const contentType = req.getHeader('content-type');
  const origin = req.getHeader('origin');
  const host = req.getHeader('host');
  const tokenHeader = req.getHeader(TOKEN_HEADER);

  if (url.startsWith('/hraftd/') || url === '/hraftd') url = url.slice('/hraftd'.length) || '/';
  const match = matchRoute(opts.routes, method, url);
  if (match.kind === 'not-found') return ex.fail(new NodeError('RAFTKV_ERR_NOT_FOUND', `no route ${method} ${url}`));
  if (match.kind === 'bad-method') {
    return ex.fail(new NodeError('RAFTKV_ERR_METHOD', `${method} is not allowed on ${url}; allowed: ${match.allowed.join(', ')}`));
  }
  if (crossSite(method, origin, host)) {
    return ex.fail(new NodeError('RAFTKV_ERR_FORBIDDEN', `cross-site ${method} refused: Origin ${JSON.stringify(origin)} is not this server (Host ${JSON.stringify(host)})`));
  }
  const fromMember = opts.clusterToken !== undefined && tokenHeader !== '' && sameSecret(tokenHeader, opts.clusterToken);
  if (match.route.membersOnly && !fromMember) {
    return ex.fail(new NodeError('RAFTKV_ERR_FORBIDDEN', `${method} ${url} is for cluster members only: the request must carry the cluster token`));
  }
  const limit = match.route.internal ? maxBody * 64 : maxBody;
  const declared = contentLength ? Number(contentLength) : 0;
  if (declared > limit) {
    // Answered before the body is read; "Connection: close" ends the upload with the connection.
    return ex.fail(new NodeError('RAFTKV_ERR_TOO_LARGE', `request body of ${declared} bytes exceeds the limit of ${limit}`));
  }
  // Malformed percent-encoding is the client's error (400), found before anything runs.
  const params = match.params.map(decodeParam);

  const run = (body: Buffer): void => {
    try {
      const ctx = opts.context({ method, path: url, params, query, body, contentType, logger: opts.logger, fromMember });
      // Promise.resolve: a handler that is not async, or throws before its first await, is answered the same way.
      Promise.resolve(match.route.handler(ctx)).then(
        (reply) => ex.send(reply),
        (e: unknown) => ex.fail(e),
      );
    } catch (e) {
      ex.fail(e);
    }
  };
  // A body sent to a route that reads none (a GET with a body) is never
  // read: uWS parses it off the connection and drops it.
  if (!match.route.body) return run(EMPTY);

  const chunks: Buffer[] = [];
  let size = 0;
  ex.res.onData((chunk, isLast) => {
    // An exception here would escape into uWS: answer it instead.
    try {
      if (ex.finished) return;
      size += chunk.byteLength;
      if (size > limit) {
        chunks.length = 0;
        return ex.fail(new NodeError('RAFTKV_ERR_TOO_LARGE', `request body exceeds the limit of ${limit} bytes`));
      }
      // The ArrayBuffer is only valid during this call: copy it.
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) run(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    } catch (e) {
      ex.fail(e);
    }
  });
}

/**
 * One request's answer: written at most once, never after the client went
 * away, and never throwing (a reply that cannot be rendered becomes a 500).
 */
class Exchange {
  readonly res: uWS.HttpResponse;
  readonly #logger: Logger;
  #aborted = false;
  #answered = false;
  #method = '?';
  #url = '?';

  constructor(res: uWS.HttpResponse, logger: Logger) {
    this.res = res;
    this.#logger = logger;
    res.onAborted(() => {
      this.#aborted = true;
    });
  }

  /** Aborted or answered: nothing more is written (and no more body is kept). */
  get finished(): boolean {
    return this.#aborted || this.#answered;
  }

  describe(method: string, url: string): void {
    this.#method = method;
    this.#url = url;
  }

  fail(e: unknown): void {
    let he: HttpError;
    try {
      he = httpError(e);
    } catch {
      // Not even a message could be had from it (a throwing toString).
      he = httpError(new NodeError('RAFTKV_ERR_INTERNAL', 'an exception without a readable message'));
    }
    if (!(e instanceof NodeError) && !(e instanceof RaftError)) {
      // Not an error the node meant to answer with: a bug, to be seen and fixed.
      this.#logger.error('http: request failed with an unexpected exception (a bug)', { method: this.#method, url: this.#url, error: stackOf(e) });
    } else if (he.status >= 500 && he.status !== 503 && he.status !== 504) {
      this.#logger.error('request failed', { method: this.#method, url: this.#url, error: he.body.error });
    }
    this.send({ status: he.status, json: he.body, retryAfter: he.retryAfter });
  }

  send(reply: Reply): void {
    if (this.finished) return;
    let rendered: Rendered;
    try {
      rendered = render(reply);
    } catch (e) {
      this.#logger.error('http: a reply could not be rendered (a bug)', { method: this.#method, url: this.#url, error: stackOf(e) });
      rendered = render({ status: 500, json: httpError(new NodeError('RAFTKV_ERR_INTERNAL', `the reply could not be rendered: ${(e as Error).message}`)).body });
    }
    this.#answered = true;
    try {
      this.res.cork(() => {
        this.res.writeStatus(rendered.status);
        for (const [k, v] of rendered.headers) this.res.writeHeader(k, v);
        this.res.end(rendered.body);
      });
    } catch (e) {
      // The connection can no longer be written (it closed in between): nothing to answer.
      this.#logger.debug('http: answer not written', { method: this.#method, url: this.#url, error: String(e) });
    }
  }
}

interface Rendered {
  status: string;
  headers: [string, string][];
  body: string | Buffer;
}

function render(reply: Reply): Rendered {
  const headers: [string, string][] = [];
  if (reply.retryAfter !== undefined) headers.push(['Retry-After', String(reply.retryAfter)]);
  if (reply.status === 413) headers.push(['Connection', 'close']);
  if (reply.raw !== undefined) {
    headers.push(['Content-Type', reply.contentType ?? 'application/octet-stream']);
    return { status: statusLine(reply.status), headers, body: reply.raw };
  }
  headers.push(['Content-Type', 'application/json']);
  return { status: statusLine(reply.status), headers, body: JSON.stringify(reply.json ?? {}) };
}

function stackOf(e: unknown): string {
  try {
    return e instanceof Error ? (e.stack ?? e.message) : String(e);
  } catch {
    return '(an exception without a readable message)';
  }
}

function decodeParam(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    throw badRequest(`malformed percent-encoding in ${JSON.stringify(p)}`);
  }
}
