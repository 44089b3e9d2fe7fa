// Client requests as the fronts (HTTP, RESP; a node's or the router's) see
// them: counts and latency per front, route or command, and outcome. Each
// route gets its tallies once, when its server starts; a request then costs
// two clock reads and a few additions, no label lookup and no string.

import type { Registry } from 'prom-client';
import { LatencyTally, REQUEST_BUCKETS, TallyHistogram, scrapedCounter, scrapedGauge, type Labels } from './metric-tallies.js';

export type Front = 'http' | 'resp';
/** What a route does, for the dashboard's throughput chart. */
export type RequestKind = 'write' | 'read' | 'other';
export const OUTCOMES = ['ok', 'client_error', 'server_error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** An HTTP status as an outcome: 4xx is the client's, 5xx (503 and 504 too) the server's. */
export function outcomeOfStatus(status: number): Outcome {
  return status < 400 ? 'ok' : status < 500 ? 'client_error' : 'server_error';
}

/** One front's route or command: a tally per outcome. */
export class RouteMeter {
  readonly front: Front;
  readonly route: string;
  readonly kind: RequestKind;
  readonly ok = new LatencyTally(REQUEST_BUCKETS);
  readonly clientError = new LatencyTally(REQUEST_BUCKETS);
  readonly serverError = new LatencyTally(REQUEST_BUCKETS);

  constructor(front: Front, route: string, kind: RequestKind) {
    this.front = front;
    this.route = route;
    this.kind = kind;
  }

  /** A request that started at `startMs` (performance.now()) ended with `outcome`. */
  done(outcome: Outcome, startMs: number): void {
    const seconds = (performance.now() - startMs) / 1000;
    (outcome === 'ok' ? this.ok : outcome === 'client_error' ? this.clientError : this.serverError).observe(seconds);
  }

  tally(outcome: Outcome): LatencyTally {
    return outcome === 'ok' ? this.ok : outcome === 'client_error' ? this.clientError : this.serverError;
  }
}

/** Totals by kind, for rates: the dashboard divides differences by time. */
export interface Traffic {
  writes: number;
  writeSeconds: number;
  reads: number;
  readSeconds: number;
}

/** Every route meter of one process's fronts, and their open connections. */
export class RequestMeter {
  readonly #routes = new Map<string, RouteMeter>();
  readonly #connections = new Map<Front, () => number>();

  /** The meter of a route; asked once per route when a server starts (the same one for a restarted server). */
  route(front: Front, route: string, kind: RequestKind): RouteMeter {
    const key = `${front} ${route}`;
    let m = this.#routes.get(key);
    if (!m) {
      m = new RouteMeter(front, route, kind);
      this.#routes.set(key, m);
    }
    return m;
  }

  /** How a front counts its open client connections (read at scrape time). */
  countConnections(front: Front, count: () => number): void {
    this.#connections.set(front, count);
  }

  traffic(): Traffic {
    const t: Traffic = { writes: 0, writeSeconds: 0, reads: 0, readSeconds: 0 };
    for (const m of this.#routes.values()) {
      if (m.kind === 'other') continue;
      const count = m.ok.count + m.clientError.count + m.serverError.count;
      const seconds = m.ok.sum + m.clientError.sum + m.serverError.sum;
      if (m.kind === 'write') {
        t.writes += count;
        t.writeSeconds += seconds;
      } else {
        t.reads += count;
        t.readSeconds += seconds;
      }
    }
    return t;
  }

  /** raftkv_requests_total, raftkv_request_duration_seconds and raftkv_client_connections in `registry`. */
  register(registry: Registry, prefix = 'raftkv'): void {
    const series = function* (routes: Iterable<RouteMeter>): Generator<readonly [Labels, LatencyTally]> {
      for (const m of routes) for (const o of OUTCOMES) if (m.tally(o).count > 0) yield [{ front: m.front, route: m.route, outcome: o }, m.tally(o)];
    };
    scrapedCounter(registry, `${prefix}_requests_total`, 'Client requests answered, by front, route or command, and outcome.', ['front', 'route', 'outcome'], () =>
      [...series(this.#routes.values())].map(([l, t]) => [l, t.count] as const),
    );
    new TallyHistogram(registry, `${prefix}_request_duration_seconds`, 'Time from a request read to its answer, by front, route or command, and outcome.', () => series(this.#routes.values()));
    scrapedGauge(registry, `${prefix}_client_connections`, 'Client connections open now, by front (HTTP only where served by node:http: uWS keeps no count).', ['front'], () =>
      [...this.#connections].map(([front, count]) => [{ front }, count()] as const),
    );
  }
}
