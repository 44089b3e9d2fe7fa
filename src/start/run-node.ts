// A node with its fronts: what a worker thread, a child process and
// `raftkv node` each run.

import { startHttpFront, type HttpFront } from '../api/http-server.js';
import { startRespFront, type RespFront } from '../resp/server.js';
import { Authenticator, type AuthTable } from '../security/auth.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalClient } from '../node/internal-client.js';
import type { Logger } from '../common/logger.js';
import { parseHostPort } from '../transport/address.js';
import { RaftNode, type RaftNodeOptions } from '../node/raft-node.js';
import type { NodeStatus } from '../node/types.js';
import type { ShardAssignment } from '../common/slot-map.js';
import { ShardGuard } from '../shard/shard-guard.js';
import { nodeFront } from './node-front.js';
import type { Front } from '../api/front.js';

/** Plain data (it crosses to a worker thread or a child process): the node's key guard is built here from `shard`. */
export interface NodeRunOptions extends Omit<RaftNodeOptions, 'logger' | 'keyGuard'> {
  /** In a sharded cluster: this node's shard and the slot map; keys of other shards are refused. */
  shard?: ShardAssignment;
  maxBodyBytes: number;
  /** Users and their token digests: every HTTP request and RESP connection must show one (or the cluster token). */
  auth?: AuthTable;
  /** HTTP addresses of existing members to join through, tried in turn (a node that is not a founder). */
  join?: readonly string[];
}

export interface RunningNode {
  node: RaftNode;
  /** The node as its fronts see it. */
  front: Front;
  http: HttpFront;
  /** The Redis protocol front, when the node has a `resp` address. */
  resp: RespFront | undefined;
  stop(): Promise<void>;
}

export async function runNode(opts: NodeRunOptions, logger: Logger): Promise<RunningNode> {
  const { shard, ...nodeOpts } = opts;
  const node = await RaftNode.start({ ...nodeOpts, logger, ...(shard ? { keyGuard: new ShardGuard(opts.id, shard) } : {}) });
  const front = nodeFront(node);
  let http: HttpFront | undefined;
  let resp: RespFront | undefined;
  try {
    const { host, port } = parseHostPort(opts.addrs.http);
    const security = { ...(opts.tls ? { tls: opts.tls } : {}), ...(opts.auth ? { auth: new Authenticator(opts.auth) } : {}) };
    http = await startHttpFront({ host, port, front, logger, maxBodyBytes: opts.maxBodyBytes, clusterToken: opts.clusterToken, maxConnections: node.limits.maxConnections, ...security });
    if (opts.addrs.resp) {
      const r = parseHostPort(opts.addrs.resp);
      resp = await startRespFront({ host: r.host, port: r.port, front, logger, maxBulkBytes: opts.maxBodyBytes, limits: node.limits, ...security });
    }
  } catch (e) {
    http?.close();
    await node.stop();
    throw e;
  }
  logger.info('HTTP front serving', { id: opts.id, server: http.serverDescription, tls: opts.tls !== undefined, auth: opts.auth !== undefined });
  let stopped: Promise<void> | undefined;
  const running: RunningNode = {
    node,
    front,
    http,
    resp,
    stop: () => {
      stopped ??= (async () => {
        // The fronts first (listeners and every connection), then the node's transport and database.
        http.close();
        await resp?.close();
        await node.stop();
      })();
      return stopped;
    },
  };
  if (opts.join && opts.join.length > 0) void joinCluster(running, opts.join, opts, logger);
  return running;
}

/**
 * Ask existing members to add this node, one after the other, until one
 * accepts (a join before any leader exists, or through a member that is
 * itself still joining, is retried).
 */
async function joinCluster(running: RunningNode, via: readonly string[], opts: NodeRunOptions, logger: Logger): Promise<void> {
  const body = { id: opts.id, addr: opts.addrs.raft, http: opts.addrs.http, ...(opts.addrs.resp ? { resp: opts.addrs.resp } : {}) };
  // Bounded, so a member that hangs is given up on and the next one asked; a join's conf change takes well under this.
  const client = new InternalClient({ ca: opts.tls?.ca, clusterToken: opts.clusterToken, timeoutMs: 30_000 });
  for (let attempt = 1, delay = 100; ; attempt++, delay = Math.min(delay * 2, 2000)) {
    if (running.node.stopped || running.node.status().voters.includes(opts.id)) return;
    const join = via[(attempt - 1) % via.length]!;
    try {
      // Learn where the members are first: the leader's appends must be answered.
      const st = await client.call('GET', join, '/status');
      if (st.ok) running.node.learnPeers((st.json as unknown as NodeStatus).members);
      const res = await client.call('POST', join, '/join', { body });
      const answer = res.json ?? {};
      if (res.ok) {
        logger.info('joined the cluster', { id: opts.id, via: join, ...answer });
        return;
      }
      logger.warn('join refused; retrying', { id: opts.id, via: join, status: res.status, error: answer.error, attempt });
      if (res.status === 409 || res.status === 400) return;
    } catch (e) {
      logger.warn('join failed; retrying', { id: opts.id, via: join, error: String(e), attempt });
    }
    await sleep(delay);
    if (running.node.stopped) return;
  }
}
