// The HTTP fronts: a node's hraftd-compatible API, and any route table
// served the same way (the router's). Served by a native uWebSockets.js build
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
import type { NodeApi } from './node-api.js';
import type { RequestMeter } from '../node/request-meter.js';
import type { RequestBase, Route } from './router.js';
import type { RouteMeters } from './http-exchange.js';
import { ROUTES } from './routes.js';
import { watchSocket } from './watch-route.js';

export type { HttpServeOptions } from './http-exchange.js';

export interface HttpFrontOptions {
  host: string;
  port: number;
  node: NodeApi;
  logger: Logger;
  /** Largest accepted request body (413 beyond it). */
  maxBodyBytes?: number;
  /** The cluster token that members-only routes require. */
  clusterToken: string;
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

/** The hraftd-compatible HTTP API of one node. */
export function startHttpFront(opts: HttpFrontOptions): Promise<HttpFront> {
  const { node, ...rest } = opts;
  const client = internalHttp(opts.tls?.ca);
  return serveHttp({ ...rest, routes: ROUTES, websockets: [watchSocket(node)], context: (request) => ({ ...request, node, clusterToken: opts.clusterToken, client }), ...(node.requests ? { meters: routeMeters(node.requests, ROUTES) } : {}) });
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
