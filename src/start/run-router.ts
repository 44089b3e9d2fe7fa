// The router with its HTTP front, as `raftkv cluster` runs it for a sharded
// config: in the launcher's own process, whose main thread has little else
// to do (the nodes run in worker threads or child processes).

import { startHttpFront, type HttpFront } from '../api/http-server.js';
import type { Limits } from '../common/limits.js';
import type { SlotRange } from '../common/slots.js';
import type { Logger } from '../common/logger.js';
import { startRespFront, type RespFront } from '../resp/server.js';
import { Router } from '../shard/router.js';
import { Authenticator, type AuthTable } from '../security/auth.js';
import { internalHttp } from '../security/internal-http.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { routerFront } from '../shard/router-front.js';
import { ROUTER_OWN_ROUTES } from '../shard/router-routes.js';
import { splitHostPort, withPort } from '../common/address.js';

/** What the router takes of a cluster config (cluster/config.ts's ClusterConfig is one): its shards, addresses and limits. */
export interface RouterConfig {
  shards?: readonly { id: string; slots: SlotRange[]; nodes: readonly { id: string; http: string; raft: string; resp?: string | undefined }[] }[] | undefined;
  router?: { http: string; resp?: string | undefined } | undefined;
  requestTimeoutMs: number;
  maxBodyBytes: number;
  limits: Limits;
}

export interface RunRouterOptions {
  config: RouterConfig;
  /** The cluster token (Launcher.clusterToken): the router forwards writes as a member. */
  clusterToken: string;
  logger: Logger;
  /** Listen here instead of the config's router.http (tests: port 0). */
  http?: string;
  /** Listen here instead of the config's router.resp (tests: port 0). */
  resp?: string;
  pollMs?: number;
  /** The launcher's certificate (HTTPS and RESP over TLS) and the cluster CA (its calls to nodes). */
  tls?: TlsMaterial;
  /** Users' tokens: the router's clients must show one. */
  auth?: AuthTable;
}

export interface RunningRouter {
  router: Router;
  http: HttpFront;
  /** Where it listens, with the real port. */
  httpAddr: string;
  /** The Redis protocol front, when the config has router.resp. */
  resp: RespFront | undefined;
  respAddr: string | undefined;
  stop(): Promise<void>;
}

/** The router of a sharded config: one shard client per shard (with the config's members). */
export function routerForConfig(config: RouterConfig, clusterToken: string, logger?: Logger, pollMs?: number, ca?: string): Router {
  if (!config.shards) throw new Error('a router needs a config with shards');
  return new Router({
    shards: config.shards.map((s) => ({ id: s.id, slots: s.slots, members: s.nodes.map((n) => ({ id: n.id, http: n.http, raft: n.raft, ...(n.resp ? { resp: n.resp } : {}) })) })),
    timeoutMs: config.requestTimeoutMs,
    clusterToken,
    http: internalHttp(ca),
    ...(pollMs !== undefined ? { pollMs } : {}),
    ...(logger ? { log: (msg: string, fields: Record<string, unknown>) => logger.info(msg, { router: true, ...fields }) } : {}),
  });
}

export async function runRouter(opts: RunRouterOptions): Promise<RunningRouter> {
  const addr = opts.http ?? opts.config.router?.http;
  if (!addr) throw new Error('the config has no router.http address');
  const router = routerForConfig(opts.config, opts.clusterToken, opts.logger, opts.pollMs, opts.tls?.ca);
  const security = { ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.auth ? { auth: new Authenticator(opts.auth) } : {}) };
  // `--http :port` is this host's every interface: parseHostPort would refuse it.
  const { host, port: httpPort } = splitHostPort(addr);
  const respAddr = opts.resp ?? opts.config.router?.resp;
  let http: HttpFront | undefined;
  let resp: RespFront | undefined;
  // Where it listens, with the real ports once the fronts do.
  const front = routerFront(router, () => ({
    http: http ? withPort(addr, http.port) : addr,
    ...(respAddr ? { resp: resp ? withPort(respAddr, resp.port) : respAddr } : {}),
  }));
  try {
    http = await startHttpFront({ host, port: Number(httpPort), front, own: ROUTER_OWN_ROUTES, logger: opts.logger, maxBodyBytes: opts.config.maxBodyBytes, ...security });
  } catch (e) {
    router.close();
    throw e;
  }
  if (respAddr) {
    const where = splitHostPort(respAddr);
    try {
      resp = await startRespFront({
        host: where.host,
        port: Number(where.port),
        front,
        logger: opts.logger,
        maxBulkBytes: opts.config.maxBodyBytes,
        limits: opts.config.limits,
        ...security,
      });
    } catch (e) {
      http.close();
      router.close();
      throw e;
    }
  }
  router.start();
  let stopped = false;
  return {
    router,
    http,
    httpAddr: withPort(addr, http.port),
    resp,
    respAddr: resp && respAddr ? withPort(respAddr, resp.port) : undefined,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      http.close();
      await resp?.close();
      router.close();
    },
  };
}
