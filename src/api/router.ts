import type { Logger } from '../common/logger.js';
import type { Access, Principal } from '../security/auth.js';
import type { InternalHttp } from '../security/internal-http.js';
import type { Front } from './front.js';

export interface Reply {
  status: number;
  json?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  retryAfter?: number;
  /** A streamed answer (Server-Sent Events): written as it comes, until either side ends it. */
  stream?: StreamBody;
}

/** Where a streamed answer goes. */
export interface StreamSink {
  /** Write a piece; false when the client is gone or cannot keep up (the stream is then over). */
  write(chunk: string): boolean;
  end(): void;
}

export interface StreamBody {
  contentType: string;
  /** Start writing; returns what to do when the client goes away first. */
  start(sink: StreamSink): () => void;
}

/** A request as the HTTP server parsed it, whatever serves it. */
export interface RequestBase {
  method: string;
  path: string;
  /** Decoded `:name` segments, in order. */
  params: string[];
  query: URLSearchParams;
  body: Buffer;
  contentType: string;
  logger: Logger;
  /** True when the request carried the cluster token (a member's request). */
  fromMember: boolean;
  /** The Last-Event-ID header ('' when absent): where an EventSource resumes a stream. */
  lastEventId?: string;
  /** The user who showed a valid token, where authentication is on. */
  principal?: Principal;
}

/** A request to a front: of a node, or (F: its RouterFront) of the router. */
export interface RequestContext<F extends Front = Front> extends RequestBase {
  front: F;
  /** The cluster token: a member's request sent on to the leader carries it on. */
  clusterToken: string;
  /** How this node calls another: https trusting the cluster CA where TLS is on (default: plain http). */
  client?: InternalHttp;
}

/** Optional parts of a front (front.ts) a route may need: a node has them all, the router none. */
export type Need = 'admin' | 'health' | 'watch';

export interface Route<C extends RequestBase = RequestContext> {
  method: string;
  /** Segments; ':x' matches one segment. */
  pattern: string;
  /** Whether the handler reads a request body. */
  body: boolean;
  /** Node-to-node traffic: a forwarded batch may hold many client bodies, so it gets 64× the limit. */
  internal?: boolean;
  /**
   * Only members may call it: the request must carry the cluster token
   * (cluster-identity.ts); 'or-admin': where authentication is on, an admin user may too.
   */
  membersOnly?: boolean | 'or-admin';
  /**
   * What a user's role must allow, where authentication is on; default: read
   * for GET, write otherwise. 'public': no token at all (the scrape and probe
   * routes, as etcd serves /metrics and /health on its client URL).
   */
  access?: Access | 'public';
  /** For the metrics and the dashboard's throughput chart: a client write or read (anything else: 'other'). */
  kind?: 'write' | 'read';
  /** The optional part of the front its handler needs: a front without it does not serve the route (no route, 404). */
  needs?: Need;
  handler: (ctx: C) => Promise<Reply>;
}

export type RouteMatch<C extends RequestBase = RequestContext> =
  | { kind: 'ok'; route: Route<C>; params: string[] }
  | { kind: 'bad-method'; allowed: string[] }
  | { kind: 'not-found' };

export function matchRoute<C extends RequestBase>(routes: readonly Route<C>[], method: string, path: string): RouteMatch<C> {
  const segs = path.split('/').filter((s) => s !== '');
  const allowed: string[] = [];
  for (const r of routes) {
    const params = matchPattern(r.pattern, segs);
    if (!params) continue;
    if (r.method === method) return { kind: 'ok', route: r, params };
    allowed.push(r.method);
  }
  return allowed.length > 0 ? { kind: 'bad-method', allowed } : { kind: 'not-found' };
}

/** Each route pattern split into segments once, not on every request. */
const PATTERN_SEGMENTS = new Map<string, string[]>();

function patternSegments(pattern: string): string[] {
  let segs = PATTERN_SEGMENTS.get(pattern);
  if (!segs) {
    segs = pattern.split('/').filter((s) => s !== '');
    PATTERN_SEGMENTS.set(pattern, segs);
  }
  return segs;
}

function matchPattern(pattern: string, segs: string[]): string[] | undefined {
  const pat = patternSegments(pattern);
  if (pat.length !== segs.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pat.length; i++) {
    if (pat[i]!.startsWith(':')) params.push(segs[i]!);
    else if (pat[i] !== segs[i]) return undefined;
  }
  return params;
}
