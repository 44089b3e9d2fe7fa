// The HTTP fronts: a node's hraftd-compatible API and the router's, from the
// one route table (routes.ts), and any other table served the same way. Served by a native uWebSockets.js build
// where one loads, else by node:http (http-backend.ts); the request handling
// is one piece of code for both (http-exchange.ts).

import type { Logger } from '../common/logger.js';
import type { Authenticator } from '../security/auth.js';
import { internalHttp } from '../security/internal-http.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { httpBackend, type HttpServerKind } from './http-backend.js';
import type { HttpServeOptions } from './http-exchange.js';
import { listenNodeHttp } from './http-node.js';
import { listenUws } from './http-uws.js';
import type { Front } from './front.js';
import type { RequestMeter } from '../node/request-meter.js';
import type { RequestBase, RequestContext, Route } from './router.js';
import type { RouteMeters } from './http-exchange.js';
import { needsOf, routeTable } from './routes.js';
import { watchSocket } from './watch-route.js';

export type { HttpServeOptions } from './http-exchange.js';

export interface HttpFrontOptions<F extends Front = Front> {
  host: string;
  port: number;
  front: F;
  /** Rows of this front's own (the router's), added to the table or put in place of its rows of the same method and path. */
  own?: readonly Route<RequestContext<F>>[];
  logger: Logger;
  /** Largest accepted request body (413 beyond it). */
  maxBodyBytes?: number;
  /** The cluster token that members-only routes require; absent (the router's front), no request is a member's. */
  clusterToken?: string;
  maxConnections?: number;
  /** HTTPS with this node's certificate; forwarded requests trust the cluster CA. */
  tls?: TlsMaterial;
  /** Users' tokens, where authentication is on. */
  auth?: Authenticator;
}

export interface HttpFront {
  port: number;
  /** Close the listen socket and every connection (the only safe way to stop uWS in a worker). */
  close(): void;
  /** What serves it: a native uWS build, or node:http. */
  server: HttpServerKind;
  /** The same, for people: which package, which ABI. */
  serverDescription: string;
}

/** The HTTP API of a node (hraftd-compatible) or of the router. */
export function startHttpFront<F extends Front>(opts: HttpFrontOptions<F>): Promise<HttpFront> {
  const { front, own, ...rest } = opts;
  const client = internalHttp(opts.tls?.ca);
  const routes = routeTable<RequestContext<F>>(needsOf(front), own);
  const requests = front.extras?.requests;
  return serveHttp({
    ...rest,
    routes,
    websockets: front.extras?.watch ? [watchSocket(front)] : [],
    context: (request) => ({ ...request, front, clusterToken: opts.clusterToken ?? '', client }),
    ...(requests ? { meters: routeMeters(requests, routes) } : {}),
  });
}

/** A meter per route of a table, labelled "METHOD /pattern" (a fixed set: never the request's own path). */
export function routeMeters<C extends RequestBase>(requests: RequestMeter, routes: readonly Route<C>[]): RouteMeters<C> {
  return {
    of: new Map(routes.map((r) => [r, requests.route('http', `${r.method} ${r.pattern}`, r.kind ?? 'other')])),
    unmatched: requests.route('http', 'unmatched', 'other'),
  };
}

/** A JSON-over-HTTP server: routing, body limits, the one error mapping, on this thread's HTTP backend. */
export async function serveHttp<C extends RequestBase>(opts: HttpServeOptions<C>): Promise<HttpFront> {
  const backend = httpBackend();
  const listening = backend.uws ? await listenUws(backend.uws, opts) : await listenNodeHttp(opts);
  return { ...listening, server: backend.kind, serverDescription: backend.description };
}
