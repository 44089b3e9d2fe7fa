// The control server's pages: the dashboard (GET /), its scripts and styles,
// shipped with the package (uPlot from node_modules: nothing from a CDN, it
// works offline), its event stream (GET /events) and the launcher's metrics
// (GET /metrics). Everything else on the control address is the control API.

import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';
import type { DashboardFeed } from './dashboard-feed.js';
import { DASHBOARD_CSS, DASHBOARD_HTML } from './dashboard/page.js';

const require = createRequire(import.meta.url);

interface Asset {
  contentType: string;
  /** The bytes, read once at the first request. */
  load: () => Promise<string | Buffer>;
}

const file = (p: string) => () => readFile(p);

const ASSETS: Record<string, Asset> = {
  '/': { contentType: 'text/html; charset=utf-8', load: async () => DASHBOARD_HTML },
  '/dashboard/app.css': { contentType: 'text/css; charset=utf-8', load: async () => DASHBOARD_CSS },
  '/dashboard/app.js': { contentType: 'text/javascript; charset=utf-8', load: file(fileURLToPath(new URL('./dashboard/app.js', import.meta.url))) },
  '/dashboard/uplot.js': { contentType: 'text/javascript; charset=utf-8', load: file(require.resolve('uplot/dist/uPlot.iife.min.js')) },
  '/dashboard/uplot.css': { contentType: 'text/css; charset=utf-8', load: file(require.resolve('uplot/dist/uPlot.min.css')) },
};

/** The paths served here rather than by the control API. */
export function isDashboardPath(path: string): boolean {
  return path in ASSETS || path === '/events' || path === '/metrics';
}

export function dashboardRoutes(feed: DashboardFeed, registry: Registry): (req: http.IncomingMessage, res: http.ServerResponse, path: string) => Promise<void> {
  const cache = new Map<string, string | Buffer>();
  return async (req, res, path) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const text = JSON.stringify({ error: `${req.method ?? '?'} is not allowed on ${path}; use GET` });
      res.writeHead(405, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), allow: 'GET' });
      res.end(text);
      return;
    }
    if (path === '/events') {
      const last = Number(req.headers['last-event-id'] ?? 0);
      feed.attach(res, last);
      return;
    }
    let body: string | Buffer;
    let contentType: string;
    if (path === '/metrics') {
      body = await registry.metrics();
      contentType = registry.contentType;
    } else {
      const asset = ASSETS[path]!;
      body = cache.get(path) ?? (await asset.load());
      cache.set(path, body);
      contentType = asset.contentType;
    }
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
