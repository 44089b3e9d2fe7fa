import type { Logger } from '../node/logger.js';
import type { NodeApi } from './node-api.js';

export interface Reply {
  status: number;
  json?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  retryAfter?: number;
}

export interface RequestContext {
  method: string;
  path: string;
  /** Decoded `:name` segments, in order. */
  params: string[];
  query: URLSearchParams;
  body: Buffer;
  contentType: string;
  node: NodeApi;
  logger: Logger;
}

export interface Route {
  method: string;
  /** Segments; ':x' matches one segment. */
  pattern: string;
  /** Whether the handler reads a request body. */
  body: boolean;
  /** Node-to-node traffic: a forwarded batch may hold many client bodies, so it gets 64× the limit. */
  internal?: boolean;
  handler: (ctx: RequestContext) => Promise<Reply>;
}

export type RouteMatch =
  | { kind: 'ok'; route: Route; params: string[] }
  | { kind: 'bad-method'; allowed: string[] }
  | { kind: 'not-found' };

export function matchRoute(routes: readonly Route[], method: string, path: string): RouteMatch {
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
