// The workloads of issue 5 and how each system serves them.

import type { ReadLevel, RequestSpec, RespOp } from './load/requests.js';

export interface Workload {
  id: string;
  title: string;
  proto: 'http' | 'resp';
  op: RespOp;
  conns: number;
  /** RESP commands written at once per connection. */
  pipeline: number;
  level?: ReadLevel;
  /** Which member the connections go to. */
  node: 'leader' | 'follower';
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'set1', title: 'HTTP set, 1 connection', proto: 'http', op: 'set', conns: 1, pipeline: 1, node: 'leader' },
  { id: 'set16', title: 'HTTP set, 16 connections', proto: 'http', op: 'set', conns: 16, pipeline: 1, node: 'leader' },
  { id: 'set64', title: 'HTTP set, 64 connections', proto: 'http', op: 'set', conns: 64, pipeline: 1, node: 'leader' },
  { id: 'setfwd64', title: 'HTTP set, 64 connections to a follower (forwarded)', proto: 'http', op: 'set', conns: 64, pipeline: 1, node: 'follower' },
  { id: 'getlin64', title: 'HTTP get linearizable, 64 connections', proto: 'http', op: 'get', conns: 64, pipeline: 1, level: 'linearizable', node: 'leader' },
  { id: 'getleader64', title: 'HTTP get leader, 64 connections', proto: 'http', op: 'get', conns: 64, pipeline: 1, level: 'leader', node: 'leader' },
  { id: 'getstale64', title: 'HTTP get stale, 64 connections to a follower', proto: 'http', op: 'get', conns: 64, pipeline: 1, level: 'stale', node: 'follower' },
  { id: 'rset50', title: 'RESP SET, 50 connections', proto: 'resp', op: 'set', conns: 50, pipeline: 1, node: 'leader' },
  { id: 'rget50', title: 'RESP GET, 50 connections', proto: 'resp', op: 'get', conns: 50, pipeline: 1, node: 'leader' },
  { id: 'rset50p16', title: 'RESP SET, 50 connections, pipelining 16', proto: 'resp', op: 'set', conns: 50, pipeline: 16, node: 'leader' },
  { id: 'rget50p16', title: 'RESP GET, 50 connections, pipelining 16', proto: 'resp', op: 'get', conns: 50, pipeline: 16, node: 'leader' },
  // One write of each data type, next to rset50: their ratios to Redis are compared with SET's.
  { id: 'rlpush50', title: 'RESP LPUSH onto 64 lists, 50 connections', proto: 'resp', op: 'lpush', conns: 50, pipeline: 1, node: 'leader' },
  { id: 'rhset50', title: 'RESP HSET of a new field in 64 hashes, 50 connections', proto: 'resp', op: 'hset', conns: 50, pipeline: 1, node: 'leader' },
  { id: 'rsadd50', title: 'RESP SADD to 64 sets (members mostly new), 50 connections', proto: 'resp', op: 'sadd', conns: 50, pipeline: 1, node: 'leader' },
  { id: 'rzadd50', title: 'RESP ZADD to 64 sorted sets (members mostly new), 50 connections', proto: 'resp', op: 'zadd', conns: 50, pipeline: 1, node: 'leader' },
];

export type SystemName = 'raftkv' | 'raftkv-os' | 'raftkv-tls' | 'etcd' | 'redis-always' | 'redis-none';

export const SYSTEM_TITLES: Record<SystemName, string> = {
  raftkv: 'raftkv (3 nodes, durability fsync)',
  'raftkv-os': 'raftkv (3 nodes, durability os)',
  'raftkv-tls': 'raftkv (3 nodes, durability fsync, TLS on every link and a token on every request)',
  etcd: 'etcd 3.4 (3 nodes, JSON gateway)',
  'redis-always': 'Redis (appendfsync always)',
  'redis-none': 'Redis (no persistence)',
};

/**
 * Workloads each system runs (before --only filters them). raftkv-os runs the
 * writes that show what fsync costs; raftkv-tls the writes and reads (HTTP and
 * RESP, on the leader) that show what TLS and tokens cost.
 */
export function workloadsFor(system: SystemName): Workload[] {
  switch (system) {
    case 'raftkv':
      return [...WORKLOADS];
    case 'raftkv-os':
      return WORKLOADS.filter((w) => w.id === 'set1' || w.id === 'set64');
    case 'raftkv-tls':
      return WORKLOADS.filter((w) => ['set1', 'set64', 'getleader64', 'rset50', 'rget50'].includes(w.id));
    case 'etcd':
      return WORKLOADS.filter((w) => w.proto === 'http');
    case 'redis-always':
    case 'redis-none':
      return WORKLOADS.filter((w) => w.proto === 'resp');
  }
}

/**
 * The request a workload sends to a system. etcd's serializable range is
 * answered from the receiving member's state without a quorum round: on the
 * leader that is raftkv's `leader` level, on a follower its `stale` level.
 */
export function requestFor(system: SystemName, w: Workload): RequestSpec {
  if (w.proto === 'resp') return { api: 'resp', op: w.op };
  if (system === 'etcd') return w.op === 'set' ? { api: 'etcd', op: 'put' } : { api: 'etcd', op: 'range', serializable: w.level !== 'linearizable' };
  return w.op === 'get' ? { api: 'raftkv', op: 'get', level: w.level ?? 'linearizable' } : { api: 'raftkv', op: 'set' };
}
