// One HTTP request, whatever server carries it (uWS or node:http): routing,
// the checks every request passes (cross-site, members only, body limits,
// percent-encoding), the handler, and the one answer. Both bindings hand a
// request over in the same form, so they cannot drift apart.
//
// Nothing a request does escapes: whatever throws, anywhere, ends in an error
// answer for that request (500, logged, for a bug) or, when the connection is
// gone, in nothing. An exception out of a server callback would be an
// uncaught exception of the whole thread.

import { sameSecret, TOKEN_HEADER } from '../common/cluster-identity.js';
import { roleAllows, type Access, type Authenticator, type Principal } from '../security/auth.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { NodeError, badRequest, forbidden, internal, methodNotAllowed, notFound, tooLarge, unauthenticated } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { RaftError } from '../raft/errors.js';
import { httpError, statusLine, type HttpError } from './errors-http.js';
import { outcomeOfStatus, type RouteMeter } from '../node/request-meter.js';
import { matchRoute, type Reply, type RequestBase, type Route, type StreamBody, type StreamSink } from './router.js';
import { crossSite } from './same-origin.js';

/** What a server serves: a route table and what its handlers get besides the request. */
export interface HttpServeOptions<C extends RequestBase> {
  host: string;
  port: number;
  logger: Logger;
  maxBodyBytes?: number;
  /** The token members-only routes require; without it, those routes are refused to everyone. */
  clusterToken?: string;
  /** Open connections at once; past it a new connection is closed (node:http; uWS has no such hook). */
  maxConnections?: number;
  /** HTTPS with this certificate and key. */
  tls?: Pick<TlsMaterial, 'cert' | 'key'>;
  /** Every request needs a user's token (Authorization: Bearer) or the cluster token. */
  auth?: Authenticator;
  routes: readonly Route<C>[];
  context(request: RequestBase): C;
  /** Each route's request meter, made once when the server starts (absent: requests are not metered). */
  meters?: RouteMeters<C>;
  /** WebSocket endpoints (a GET with an Upgrade header on their path). */
  websockets?: readonly WebSocketRoute[];
}

export interface RouteMeters<C extends RequestBase> {
  of: ReadonlyMap<Route<C>, RouteMeter>;
  /** Requests that match no route (404, 405). */
  unmatched: RouteMeter;
}

/** A request's head, read at once (uWS's request object is valid only during its callback). */
export interface HttpHead {
  /** Upper case. */
  method: string;
  /** The path, without the query, not decoded. */
  path: string;
  /** What follows '?', without it ('' when absent). */
  query: string;
  /** A header's value, '' when absent; `name` is lower case. */
  header(name: string): string;
}

/** What a server binding does for one request. */
export interface HttpConnection {
  /** Calls `fn` with each piece of the body, `last` on the final one (once, with an empty piece, for no body). */
  readBody(fn: (chunk: Buffer, last: boolean) => void): void;
  /** Writes the whole answer; may throw when the connection closed meanwhile. */
  write(status: string, headers: readonly [string, string][], body: string | Buffer): void;
  /** Set once the client is gone. */
  onAborted(fn: () => void): void;
  /** Starts a streamed answer: the head now, the body piece by piece. */
  openStream(status: string, headers: readonly [string, string][]): StreamWriter;
}

/** A streamed body as a binding writes it. */
export interface StreamWriter {
  /** False once more than STREAM_BACKLOG_BYTES wait to be sent: the client cannot keep up. */
  write(chunk: string): boolean;
  end(): void;
}

/** Bytes a streamed answer may have waiting for a slow client before it is ended. */
export const STREAM_BACKLOG_BYTES = 8 << 20;

/** A WebSocket peer, whatever server carries it. */
export interface WsPeer {
  /** Send one text message; false when the peer cannot keep up (it is then closed). */
  send(text: string): boolean;
  close(code: number, reason: string): void;
}

/** A WebSocket endpoint: `open` serves one peer and returns what to do when it goes away. */
export interface WebSocketRoute {
  path: string;
  /** What a user's role must allow where authentication is on (the token comes in the upgrade's Authorization header). */
  access: Access;
  open(query: URLSearchParams, peer: WsPeer): () => void;
}

const EMPTY = Buffer.alloc(0);

/** Serve one request; never throws. */
export function serveRequest<C extends RequestBase>(opts: HttpServeOptions<C>, head: HttpHead, conn: HttpConnection): void {
  // First, before anything that can throw: uWS refuses a handler that
  // returns with neither an answer nor an abort handler.
  const ex = new Exchange(conn, opts.logger, opts.meters?.unmatched);
  try {
    route(opts, opts.maxBodyBytes ?? 1 << 20, ex, head);
  } catch (e) {
    ex.fail(e);
  }
}

/** Route, check and run one request; what throws here is answered by the caller. */
function route<C extends RequestBase>(opts: HttpServeOptions<C>, maxBody: number, ex: Exchange, head: HttpHead): void {
  const method = head.method;
  let url = head.path;
  ex.describe(method, url);
  const query = new URLSearchParams(head.query);
  const contentLength = head.header('content-length');
  const contentType = head.header('content-type');
  const tokenHeader = head.header(TOKEN_HEADER);
  const lastEventId = head.header('last-event-id');

  if (url.startsWith('/hraftd/') || url === '/hraftd') url = url.slice('/hraftd'.length) || '/';
  const match = matchRoute(opts.routes, method, url);
  if (match.kind === 'ok' && opts.meters) ex.meter = opts.meters.of.get(match.route);
  if (match.kind === 'not-found') return ex.fail(notFound(`no route ${method} ${url}`));
  if (match.kind === 'bad-method') {
    return ex.fail(methodNotAllowed(`${method} is not allowed on ${url}; allowed: ${match.allowed.join(', ')}`));
  }
  const origin = head.header('origin');
  if (crossSite(method, origin, head.header('host'))) {
    return ex.fail(forbidden(`cross-site ${method} refused: Origin ${JSON.stringify(origin)} is not this server (Host ${JSON.stringify(head.header('host'))})`));
  }
  const fromMember = opts.clusterToken !== undefined && tokenHeader !== '' && sameSecret(tokenHeader, opts.clusterToken);
  const access = match.route.access ?? (method === 'GET' ? 'read' : 'write');
  let principal: Principal | undefined;
  if (opts.auth && !fromMember && access !== 'public') {
    principal = authenticate(opts.auth, head.header('authorization'), method, url, access);
  }
  if (match.route.membersOnly && !fromMember && !(match.route.membersOnly === 'or-admin' && principal?.role === 'admin')) {
    return ex.fail(forbidden(`${method} ${url} is for cluster members only: the request must carry the cluster token${match.route.membersOnly === 'or-admin' && opts.auth ? ' (or an admin token)' : ''}`));
  }
  const limit = match.route.internal ? maxBody * 64 : maxBody;
  const declared = contentLength ? Number(contentLength) : 0;
  if (declared > limit) {
    // Answered before the body is read; "Connection: close" ends the upload with the connection.
    return ex.fail(tooLarge(`request body of ${declared} bytes exceeds the limit of ${limit}`));
  }
  // Malformed percent-encoding is the client's error (400), found before anything runs.
  const params = match.params.map(decodeParam);

  const run = (body: Buffer): void => {
    try {
      const ctx = opts.context({ method, path: url, params, query, body, contentType, logger: opts.logger, fromMember, lastEventId, ...(principal ? { principal } : {}) });
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
  // used: the binding reads it off the connection and drops it.
  if (!match.route.body) return run(EMPTY);

  const chunks: Buffer[] = [];
  let size = 0;
  ex.conn.readBody((chunk, isLast) => {
    // An exception here would escape into the server: answer it instead.
    try {
      if (ex.finished) return;
      size += chunk.byteLength;
      if (size > limit) {
        chunks.length = 0;
        return ex.fail(tooLarge(`request body exceeds the limit of ${limit} bytes`));
      }
      if (chunk.byteLength > 0) chunks.push(chunk);
      if (isLast) run(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    } catch (e) {
      ex.fail(e);
    }
  });
}

/**
 * Why a WebSocket upgrade on `path` is refused (401 or 403, as an HTTP
 * request would be), or undefined to let it through; checked before the
 * handshake, so a refused client never holds a socket.
 */
export function upgradeRefusal<C extends RequestBase>(opts: HttpServeOptions<C>, header: (name: string) => string, path: string): { status: string; body: string } | undefined {
  const route = opts.websockets?.find((w) => w.path === path);
  if (!opts.auth || !route) return undefined;
  try {
    authenticate(opts.auth, header('authorization'), 'GET', path, route.access);
    return undefined;
  } catch (e) {
    const he = httpError(e);
    return { status: statusLine(he.status), body: JSON.stringify(he.body) };
  }
}

/**
 * The user behind an `Authorization` header, allowed `access`; throws 401
 * (no token, or a wrong one) or 403 (a role that does not allow it). The one
 * place where HTTP requests are authenticated, for every route table.
 */
export function authenticate(auth: Authenticator, header: string, method: string, url: string, access: Access): Principal {
  const a = auth.fromHeader(header);
  if ('missing' in a) throw unauthenticated('authentication required: send "Authorization: Bearer <token>"');
  if ('wrong' in a) throw unauthenticated('invalid token');
  const p = a.principal;
  if (!roleAllows(p.role, access)) throw forbidden(`user ${JSON.stringify(p.user)} (role ${p.role}) may not ${method} ${url}: it needs ${access} access`);
  return p;
}

/**
 * One request's answer: written at most once, never after the client went
 * away, and never throwing (a reply that cannot be rendered becomes a 500).
 */
class Exchange {
  readonly conn: HttpConnection;
  readonly #logger: Logger;
  #aborted = false;
  #answered = false;
  /** A streamed answer's cancel, called if the client goes away. */
  #onAbort: (() => void) | undefined;
  #method = '?';
  #url = '?';
  /** Where the answer is counted, once the route is known. */
  meter: RouteMeter | undefined;
  readonly #startedAt: number;

  constructor(conn: HttpConnection, logger: Logger, meter: RouteMeter | undefined) {
    this.conn = conn;
    this.#logger = logger;
    this.meter = meter;
    this.#startedAt = meter ? performance.now() : 0;
    conn.onAborted(() => {
      this.#aborted = true;
      const cancel = this.#onAbort;
      this.#onAbort = undefined;
      cancel?.();
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
      he = httpError(internal('an exception without a readable message'));
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
    if (reply.stream) return this.#stream(reply.status, reply.stream);
    let rendered: Rendered;
    try {
      rendered = render(reply);
    } catch (e) {
      this.#logger.error('http: a reply could not be rendered (a bug)', { method: this.#method, url: this.#url, error: stackOf(e) });
      rendered = render({ status: 500, json: httpError(internal(`the reply could not be rendered: ${(e as Error).message}`)).body });
    }
    this.#answered = true;
    this.meter?.done(outcomeOfStatus(reply.status), this.#startedAt);
    try {
      this.conn.write(rendered.status, rendered.headers, rendered.body);
    } catch (e) {
      // The connection can no longer be written (it closed in between): nothing to answer.
      this.#logger.debug('http: answer not written', { method: this.#method, url: this.#url, error: String(e) });
    }
  }

  #stream(status: number, body: StreamBody): void {
    this.#answered = true;
    let writer: StreamWriter;
    try {
      writer = this.conn.openStream(statusLine(status), [
        ['Content-Type', body.contentType],
        ['Cache-Control', 'no-cache'],
        ['X-Accel-Buffering', 'no'],
      ]);
    } catch (e) {
      this.#logger.debug('http: stream not opened', { method: this.#method, url: this.#url, error: String(e) });
      return;
    }
    let ended = false;
    // The watcher's cancel: called once, whichever side ends the stream first.
    let cancel: (() => void) | undefined;
    const stop = (): void => {
      const c = cancel;
      cancel = undefined;
      c?.();
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.#onAbort = undefined;
      stop();
      if (!this.#aborted) {
        try {
          writer.end();
        } catch {
          // Gone meanwhile.
        }
      }
    };
    const sink: StreamSink = {
      write: (chunk) => {
        if (ended || this.#aborted) return false;
        let ok: boolean;
        try {
          ok = writer.write(chunk);
        } catch {
          ok = false;
        }
        if (!ok) end();
        return ok;
      },
      end,
    };
    this.#onAbort = () => {
      ended = true;
      stop();
    };
    try {
      cancel = body.start(sink);
      if (ended) stop();
    } catch (e) {
      this.#logger.error('http: a stream failed to start (a bug)', { method: this.#method, url: this.#url, error: stackOf(e) });
      end();
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
  if (reply.status === 401) headers.push(['WWW-Authenticate', 'Bearer realm="raftkv"']);
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
