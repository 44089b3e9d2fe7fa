// The launcher's control API (loopback by default): what `raftkv ctl` talks
// to. Faults other than kill/restart go through each node's link filter, so
// no root or iptables is needed.
//
// It runs in the launcher's process, next to every node thread, so nothing a
// request sends may throw out of it: paths and bodies are parsed strictly,
// and every answer, error or not, is JSON.

import http from 'node:http';
import https from 'node:https';
import { authenticate } from '../api/http-exchange.js';
import { crossSite } from '../api/same-origin.js';
import { DashboardSessions, formLogin, loginPage } from './dashboard-login.js';
import { NodeError, RaftkvError } from '../common/errors.js';
import { InternalClient, type Answer } from '../node/internal-client.js';
import type { Authenticator } from '../security/auth.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { z } from 'zod';
import type { CrashKind } from '../node/worker-protocol.js';
import { LauncherError, type Launcher } from './launcher.js';
import { EventLog } from './cluster-events.js';
import { DashboardFeed } from './dashboard-feed.js';
import { dashboardRoutes, isDashboardPath } from './dashboard-server.js';
import { launcherRegistry } from './launcher-metrics.js';

export interface ControlServer {
  port: number;
  /** The event log the dashboard shows (the one passed in, or one made here). */
  events: EventLog;
  close(): Promise<void>;
}

export interface ControlServerOptions {
  /** HTTPS with the launcher's certificate. */
  tls?: Pick<TlsMaterial, 'cert' | 'key'>;
  /** Every request needs an admin token (or the dashboard's session cookie, made by logging in with it). */
  auth?: Authenticator;
  /** An event log already following the launcher (made before its nodes start, it holds their start-up too). */
  events?: EventLog;
  /** How often the dashboard gets a frame (ms; default 200, five a second). */
  frameMs?: number;
}

export interface NodeRow {
  id: string;
  state: string;
  role: string;
  term: number | null;
  commit: number | null;
  applied: number | null;
  leader: string;
  cutOff: boolean;
  /** OS process id: its own in process isolation, the launcher's in thread isolation. */
  pid: number | null;
  /** The node's shard, in a sharded cluster. */
  shard?: string;
  /** Why the node failed, when its state is 'failed'. */
  failed?: string;
}

/** Bodies are small JSON objects; anything bigger is refused before it is read. */
export const MAX_CONTROL_BODY = 64 * 1024;

/** A control request refused before it reached the launcher; `status` is its HTTP answer. */
class ControlError extends RaftkvError<'RAFTKV_ERR_CONTROL'> {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('RAFTKV_ERR_CONTROL', message);
  }
}

export async function clusterRows(launcher: Launcher): Promise<NodeRow[]> {
  const statuses = await launcher.statuses();
  return launcher.ids.map((id) => {
    const s = statuses.get(id);
    const failed = launcher.failureOf(id);
    return {
      id,
      state: launcher.stateOf(id),
      role: s?.role ?? '-',
      term: s?.term ?? null,
      commit: s?.commit ?? null,
      applied: s?.applied ?? null,
      leader: s?.leader ?? '',
      cutOff: launcher.isCutOff(id),
      pid: launcher.pidOf(id) ?? null,
      ...(launcher.shardOf(id) !== undefined ? { shard: launcher.shardOf(id) } : {}),
      ...(failed !== undefined ? { failed } : {}),
    };
  });
}

// ---- bodies ----

const nodeList = z.array(z.string()).min(1, 'name at least one node');
const noBody = z.strictObject({});
const NO_BODY = 'no body (or {})';
const groupsBody = z.strictObject({ groups: z.array(z.array(z.string()).min(1, 'a group is never empty')).min(2, 'name at least two groups') });
const oneWayBody = z.strictObject({ from: z.string(), to: z.string() });
const delayBody = z.strictObject({ ms: z.number().min(0).max(3_600_000, 'at most an hour'), nodes: nodeList.optional() });
const lossBody = z.strictObject({ pct: z.number().min(0).max(100), nodes: nodeList.optional() });
const crashBody = z.strictObject({ kind: z.enum(['exception', 'rejection']) });
const transferBody = z.strictObject({ to: z.string().optional(), shard: z.string().optional() });
const keyField = z.string().min(1, 'a key is never empty');
const writeBody = z.strictObject({ key: keyField, value: z.string(), node: z.string().optional() });
const readBody = z.strictObject({ key: keyField, level: z.enum(['stale', 'leader', 'linearizable']).default('linearizable'), node: z.string().optional() });

/** How long the control API waits for a node's answer to a write, read or transfer it passes on. */
const NODE_CALL_MS = 10_000;

/**
 * A request the control API passes on to a node's HTTP API (the dashboard's
 * key form, leadership transfer): the node's JSON answer, or a ControlError
 * with the node's status and message.
 */
async function callNode(launcher: Launcher, id: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  // As a member (the cluster token, over https with the cluster CA on a secure cluster): the caller already showed the admin token here.
  const client = new InternalClient({ ca: launcher.security.tls?.launcher.ca, clusterToken: launcher.clusterToken, timeoutMs: NODE_CALL_MS });
  let res: Answer;
  try {
    res = await client.call(method, launcher.entry(id).http, path, { body });
  } catch (e) {
    throw new ControlError(503, `${id} did not answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  const answer = res.json ?? { error: `${id} answered ${res.status} without JSON` };
  if (!res.ok) throw new ControlError(res.status, `${id}: ${String(answer.error ?? `answered ${res.status}`)}`);
  return answer;
}

/** The body as `schema` wants it (an absent body is `{}`), or a 400 saying what was expected and what is wrong. */
function parseBody<T>(schema: z.ZodType<T>, body: Record<string, unknown>, expected: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const details = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');
  throw new ControlError(400, `expected ${expected} (${details})`);
}

// ---- routes ----

interface ControlRoute {
  method: 'GET' | 'POST';
  /** The first path segment. */
  command: string;
  /** The one path segment after it, if any: none, optional, or required (a node id). */
  arg: 'none' | 'optional' | 'required';
  /** `body` is the request's JSON object ({} when absent; a GET's body is never looked at). */
  run(arg: string | undefined, body: Record<string, unknown>): Promise<unknown>;
}

function controlRoutes(launcher: Launcher): ControlRoute[] {
  const known = (id: string | undefined): string => {
    if (!id || !launcher.ids.includes(id)) throw new ControlError(404, `unknown node ${JSON.stringify(id)}; nodes: ${launcher.ids.join(', ')}`);
    return id;
  };
  const none = (body: Record<string, unknown>): void => void parseBody(noBody, body, NO_BODY);
  /** The node a key request goes to: the one named, else the leader (of the key's shard's group, when known), else any running node. */
  const target = async (named: string | undefined): Promise<string> => {
    if (named !== undefined) {
      const id = known(named);
      if (launcher.stateOf(id) === 'dead') throw new ControlError(409, `${id} is not running`);
      return id;
    }
    const leader = await launcher.leader();
    const any = leader ?? launcher.ids.find((id) => launcher.stateOf(id) === 'alive');
    if (any === undefined) throw new ControlError(503, 'no node is running');
    return any;
  };
  /** POST /COMMAND/NODE with no body: the fault `command` on one node, logged and answered as `{ ok, [done]: node }`. */
  const nodeAction = (command: 'kill' | 'restart' | 'pause' | 'resume', done: string, act: (node: string) => Promise<void>): ControlRoute => ({
    method: 'POST',
    command,
    arg: 'required',
    run: async (id, body) => {
      none(body);
      const n = known(id);
      await act(n);
      launcher.fault(command, `${n} ${done}`);
      return { ok: true, [done]: n };
    },
  });
  /** POST /COMMAND with a JSON body: `schema` checks it first (a 400 saying `expected` otherwise), then `run` has it. */
  const postBody = <T>(command: string, schema: z.ZodType<T>, expected: string, run: (body: T) => Promise<unknown>): ControlRoute => ({
    method: 'POST',
    command,
    arg: 'none',
    run: async (_arg, body) => run(parseBody(schema, body, expected)),
  });
  /** POST /delay or /loss: messages from some nodes (default every node) delayed or lost, until a heal. */
  const degradeAction = (
    command: 'delay' | 'loss',
    parse: (body: Record<string, unknown>) => { amount: number; nodes?: string[] | undefined },
    describe: (amount: number, who: string) => string,
  ): ControlRoute => ({
    method: 'POST',
    command,
    arg: 'none',
    run: async (_arg, body) => {
      const { amount, nodes } = parse(body);
      launcher.degrade(command, amount, nodes?.map(known));
      launcher.fault(command, describe(amount, nodes?.join(',') ?? 'every node'));
      return { ok: true, faults: launcher.faults() };
    },
  });
  const routes: ControlRoute[] = [
    { method: 'GET', command: 'status', arg: 'none', run: async () => ({ isolation: launcher.isolation, nodes: await clusterRows(launcher), faults: launcher.faults() }) },
    {
      method: 'GET',
      command: 'leader',
      arg: 'optional',
      run: async (shard) => {
        const shards = [...new Set(launcher.ids.map((id) => launcher.shardOf(id)).filter((s) => s !== undefined))];
        if (shard !== undefined && !shards.includes(shard)) throw new ControlError(404, shards.length > 0 ? `unknown shard ${JSON.stringify(shard)}; shards: ${shards.join(', ')}` : 'this cluster has no shards');
        if (shard === undefined && shards.length > 0) {
          // Every shard's leader, for a sharded cluster.
          return { leaders: Object.fromEntries(await Promise.all(shards.map(async (s) => [s, (await launcher.leader(s)) ?? null] as const))) };
        }
        return { leader: (await launcher.leader(shard)) ?? null };
      },
    },
    {
      method: 'GET',
      command: 'memory',
      arg: 'none',
      run: async () => {
        const heaps = await Promise.all(launcher.ids.map(async (id) => [id, (await launcher.heap(id)) ?? null] as const));
        const { rss, heapUsed } = process.memoryUsage();
        return { rss, launcherHeapUsed: heapUsed, nodes: Object.fromEntries(heaps) };
      },
    },
    nodeAction('kill', 'killed', async (n) => {
      await launcher.killNode(n);
    }),
    // A failed node too: it is stopped (its fronts and store closed) and started again.
    nodeAction('restart', 'restarted', async (n) => {
      if (launcher.stateOf(n) !== 'dead') await launcher.killNode(n);
      await launcher.startNode(n);
    }),
    nodeAction('pause', 'paused', async (n) => launcher.pauseNode(n)),
    nodeAction('resume', 'resumed', async (n) => launcher.resumeNode(n)),
    {
      method: 'POST',
      command: 'partition',
      arg: 'none',
      run: async (_arg, body) => {
        const expected = '{"groups": [["a","b"],["c"]]} or {"from": "a", "to": "b"}';
        // Which of the two shapes is meant, by its first field: the errors then speak of that one.
        if ('groups' in body) {
          const groups = parseBody(groupsBody, body, expected).groups.map((g) => g.map(known));
          try {
            launcher.partition(groups);
          } catch (e) {
            throw new ControlError(400, (e as Error).message);
          }
          launcher.fault('partition', `partition ${groups.map((g) => g.join(',')).join(' | ')}`);
        } else {
          const p = parseBody(oneWayBody, body, expected);
          launcher.cutOneWay(known(p.from), known(p.to));
          launcher.fault('partition', `link ${p.from} -> ${p.to} cut`);
        }
        return { ok: true, faults: launcher.faults() };
      },
    },
    postBody('heal', noBody, NO_BODY, async () => {
      launcher.heal();
      launcher.fault('heal', 'every link healed');
      return { ok: true };
    }),
    degradeAction(
      'delay',
      (body) => {
        const d = parseBody(delayBody, body, '{"ms": N, "nodes": ["a", ...] (optional)}');
        return { amount: d.ms, nodes: d.nodes };
      },
      (ms, who) => `messages from ${who} delayed ${ms} ms`,
    ),
    degradeAction(
      'loss',
      (body) => {
        const l = parseBody(lossBody, body, '{"pct": 0..100, "nodes": ["a", ...] (optional)}');
        return { amount: l.pct, nodes: l.nodes };
      },
      (pct, who) => `${pct}% of the messages from ${who} lost`,
    ),
    postBody('transfer', transferBody, '{"to": "NODE"} (optional: the leader picks) and, in a sharded cluster, {"shard": "SHARD"}', async (t) => {
      const shard = t.to !== undefined ? launcher.shardOf(known(t.to)) : t.shard;
      const leader = await launcher.leader(shard);
      if (leader === undefined) throw new ControlError(503, `no leader${shard !== undefined ? ` in shard ${shard}` : ''} to transfer from`);
      launcher.fault('transfer', `leadership transfer from ${leader}${t.to !== undefined ? ` to ${t.to}` : ''}`);
      const answer = await callNode(launcher, leader, 'POST', '/raft/transfer-leadership', t.to !== undefined ? { id: t.to } : {});
      return { ok: true, from: leader, ...(answer as object) };
    }),
    postBody('write', writeBody, '{"key": K, "value": V, "node": "NODE" (optional: the leader)}', async (w) => {
      const node = await target(w.node);
      await callNode(launcher, node, 'POST', '/key', { [w.key]: w.value });
      return { ok: true, node, key: w.key };
    }),
    postBody('read', readBody, '{"key": K, "level": "stale" | "leader" | "linearizable" (optional), "node": "NODE" (optional: the leader)}', async (r) => {
      const node = await target(r.node);
      const answer = (await callNode(launcher, node, 'GET', `/key/${encodeURIComponent(r.key)}?level=${r.level}`)) as Record<string, unknown>;
      return { ok: true, node, level: r.level, key: r.key, value: answer[r.key] };
    }),
  ];
  if (process.env.RAFTKV_TEST_HOOKS === '1') {
    // A crash outside any request, in a node (/crash-test/NODE) or in the launcher (/crash-test), which must survive it.
    routes.push({
      method: 'POST',
      command: 'crash-test',
      arg: 'optional',
      run: async (id, body) => {
        const { kind } = parseBody(crashBody, body, '{"kind": "exception" | "rejection"}');
        launcher.crashTest(id === undefined ? undefined : known(id), kind satisfies CrashKind);
        return { ok: true, crashed: id ?? 'launcher', kind };
      },
    });
  }
  return routes;
}

/** The route a method and path name, with its decoded argument; a ControlError (400, 404, 405) otherwise. */
function matchControl(routes: ControlRoute[], method: string, url: string): { route: ControlRoute; arg: string | undefined } {
  const path = url.split('?')[0]!;
  const segs = path.split('/').filter((s) => s !== '');
  const decoded = segs.map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new ControlError(400, `malformed percent-encoding in ${JSON.stringify(s)}`);
    }
  });
  const [command, ...rest] = decoded;
  const commands = [...new Set(routes.map((r) => `${r.method} /${r.command}`))].join(', ');
  const same = routes.filter((r) => r.command === command);
  if (command === undefined || same.length === 0) throw new ControlError(404, `no control command ${method} ${path}; commands: ${commands}`);
  const route = same.find((r) => r.method === method);
  if (!route) throw new ControlError(405, `${method} is not allowed on /${command}; use ${same.map((r) => r.method).join(', ')}`);
  const takes = route.arg === 'none' ? 0 : 1;
  if (rest.length > takes) throw new ControlError(404, `no control command ${method} ${path}: /${command} takes ${takes === 0 ? 'no argument' : 'one argument'}`);
  if (route.arg === 'required' && rest.length === 0) throw new ControlError(400, `${method} /${command} needs a node: /${command}/NODE`);
  return { route, arg: rest[0] };
}

/** A request body: absent is {}; anything but a JSON object is a 400. */
function parseJson(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ControlError(400, `malformed JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ControlError(400, 'the body must be a JSON object');
  return v as Record<string, unknown>;
}

/** One JSON answer, unless one was already sent or the client is gone; `close` ends the connection after it. */
function writeJson(res: http.ServerResponse, status: number, body: unknown, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(close ? { connection: 'close' } : {}) });
  res.end(text);
}

/**
 * The one gate of the control API (every route, the dashboard and whatever
 * else this server comes to serve, but /metrics and /login): an admin token
 * where authentication is on — in the Authorization header, or the
 * dashboard's session cookie from a login (dashboard-login.ts). Returns the
 * refusal to answer with, or undefined to go on.
 */
function refusal(auth: Authenticator | undefined, sessions: DashboardSessions, req: http.IncomingMessage): { status: number; error: string } | undefined {
  if (!auth) return undefined;
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  const header = req.headers.authorization ?? '';
  if (header === '' && sessions.fromCookie(req.headers.cookie ?? '')) {
    // SameSite=Strict keeps other sites' pages from sending the cookie; the Origin check holds for browsers without it.
    if (crossSite(method, req.headers.origin ?? '', req.headers.host ?? '')) return { status: 403, error: `cross-site ${method} refused` };
    return undefined;
  }
  try {
    authenticate(auth, header, method, path, 'admin');
    return undefined;
  } catch (e) {
    return { status: e instanceof NodeError && e.code === 'RAFTKV_ERR_UNAUTHENTICATED' ? 401 : 403, error: (e as Error).message };
  }
}

/** The login form's POST: a session cookie and back to the dashboard, or the form again with the reason. */
function login(auth: Authenticator, sessions: DashboardSessions, secure: boolean, req: http.IncomingMessage, res: http.ServerResponse): void {
  const method = req.method ?? 'GET';
  if (method !== 'POST') return writeJson(res, 405, { error: `${method} is not allowed on /login; use POST` });
  if (crossSite(method, req.headers.origin ?? '', req.headers.host ?? '')) return writeJson(res, 403, { error: 'cross-site POST refused' }, true);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= MAX_LOGIN_BODY) chunks.push(c);
  });
  req.on('end', () => {
    if (size > MAX_LOGIN_BODY) return writeJson(res, 413, { error: `a login form is at most ${MAX_LOGIN_BODY} bytes` }, true);
    const r = formLogin(auth, Buffer.concat(chunks).toString('utf8'));
    if ('error' in r) return writeHtml(res, 401, loginPage(r.error));
    if (res.headersSent || res.destroyed) return;
    res.writeHead(303, { location: '/', 'set-cookie': sessions.open(r.principal, secure), 'content-length': 0 });
    res.end();
  });
}

const MAX_LOGIN_BODY = 4096;

function writeHtml(res: http.ServerResponse, status: number, html: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-store' });
  res.end(html);
}

/** The events of a launcher from now on. */
export function followEvents(launcher: Launcher): EventLog {
  const events = new EventLog();
  launcher.onRecord((r) => events.add(r));
  return events;
}

export function startControlServer(launcher: Launcher, host: string, port: number, opts: ControlServerOptions = {}): Promise<ControlServer> {
  const routes = controlRoutes(launcher);
  const events = opts.events ?? followEvents(launcher);
  const feed = new DashboardFeed(launcher, events, opts.frameMs);
  const dashboard = dashboardRoutes(feed, launcherRegistry(launcher, () => feed.clients));

  const serve = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // A client gone mid-request leaves these to error out; that is no concern of the launcher's.
    req.on('error', () => {});
    res.on('error', () => {});
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const answer = (status: number, body: unknown, close = false): void => writeJson(res, status, body, close);
    const fail = (e: unknown): void => {
      if (e instanceof ControlError) return answer(e.status, { error: e.message }, e.status === 413);
      // The launcher refused the command for the node's state (not running, failed, ...).
      if (e instanceof LauncherError) return answer(409, { error: e.message });
      const message = e instanceof Error ? e.message : String(e);
      launcher.log('error', 'control: a command failed unexpectedly (a bug?)', { method, url, error: e instanceof Error ? (e.stack ?? message) : message });
      answer(500, { error: message });
    };

    const path = url.split('?')[0]!;
    if (isDashboardPath(path)) {
      dashboard(req, res, path).catch(fail);
      return;
    }
    const { route, arg } = matchControl(routes, method, url);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_CONTROL_BODY) throw new ControlError(413, `request body of ${declared} bytes exceeds the limit of ${MAX_CONTROL_BODY}`);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (c: Buffer) => {
      if (refused) return;
      size += c.length;
      if (size > MAX_CONTROL_BODY) {
        // A chunked body grew past the limit: answer now, keep nothing more.
        refused = true;
        chunks.length = 0;
        fail(new ControlError(413, `request body exceeds the limit of ${MAX_CONTROL_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (refused) return;
      try {
        const body = method === 'GET' ? {} : parseJson(Buffer.concat(chunks).toString('utf8'));
        route.run(arg, body).then((r) => answer(200, r), fail);
      } catch (e) {
        fail(e);
      }
    });
  };

  const sessions = new DashboardSessions();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (opts.auth && path === '/login') return login(opts.auth, sessions, opts.tls !== undefined, req, res);
      // /metrics needs no token, as etcd serves its own: a scraper reads counters, never keys or control.
      const refused = path === '/metrics' ? undefined : refusal(opts.auth, sessions, req);
      if (refused) {
        if (refused.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="raftkv"');
        // A browser opening the dashboard gets the login form; its body is not read either way.
        if (path === '/' && req.method === 'GET') return writeHtml(res, refused.status, loginPage());
        return writeJson(res, refused.status, { error: refused.error }, true);
      }
      serve(req, res);
    } catch (e) {
      // Refused from the request line and headers alone: what body there is, is not read.
      if (e instanceof ControlError) return writeJson(res, e.status, { error: e.message }, e.status === 413);
      launcher.log('error', 'control: request handling threw (a bug)', { method: req.method, url: req.url, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      writeJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
    }
  };
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  // A client that sends garbage instead of HTTP: answer 400 and close, as Node would without this listener.
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":"malformed HTTP request"}');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      server.on('error', (e) => launcher.log('error', 'control: server error', { error: String(e) }));
      resolve({
        port: addr.port,
        events,
        close: () =>
          new Promise((r) => {
            feed.close();
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
