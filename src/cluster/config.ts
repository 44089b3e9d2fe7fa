// cluster.config.json: validated with zod before anything starts, so a bad
// file is refused with the field and the problem, never half-started.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_LIMITS } from '../common/limits.js';
import { RaftkvError } from '../common/errors.js';
import { DEFAULT_APPLY_DELAY_MS } from '../storage/types.js';
import { DEFAULT_WATCH_HISTORY } from '../node/watch-hub.js';
import { ROLES } from '../security/auth.js';
import { exposedListeners, exposureError, insecureWarning, nonLoopback, type Listening } from '../security/exposure.js';
import { slotProblems } from '../common/slot-map.js';
import { parseSlotRanges, splitSlotsEvenly, type SlotRange } from '../common/slots.js';
import { portOf } from '../common/address.js';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be "host:port", for example "127.0.0.1:11000"').refine((a) => {
  const port = portOf(a);
  return port >= 0 && port <= 65535;
}, 'the port must be between 0 and 65535');

const nodeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');

const file = z.string().min(1);
/** This node's own certificate and key, instead of the cluster-wide ones (the CA stays the cluster's). */
const nodeTlsSchema = z.strictObject({ cert: file, key: file });

const nodeSchema = z.strictObject({
  id: nodeId,
  http: hostPort,
  raft: hostPort,
  resp: hostPort.optional(),
  tls: nodeTlsSchema.optional(),
});

/** TLS on every listener and link (README: "Security"); files relative to the config file. */
const tlsSchema = z.strictObject({ ca: file, cert: file, key: file });

const authSchema = z.strictObject({
  /** The admin token (user "default"). */
  tokenFile: file,
  users: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"'), role: z.enum(ROLES), tokenFile: file })).optional(),
});

const raftSchema = z
  .strictObject({
    tickMs: z.int().min(1).max(1000).default(10),
    heartbeatTicks: z.int().min(1).default(5),
    electionTicks: z.tuple([z.int().min(2), z.int().min(3)]).default([30, 60]),
    snapshotEvery: z.int().min(1).default(10000),
    compactionTrailing: z.int().min(0).optional(),
  })
  .refine((r) => r.electionTicks[0] > r.heartbeatTicks, { message: 'electionTicks[0] must be greater than heartbeatTicks', path: ['electionTicks'] })
  .refine((r) => r.electionTicks[1] > r.electionTicks[0], { message: 'electionTicks must be [min, max) with max > min', path: ['electionTicks'] });

const positive = z.int().min(1);
/** Every limit on input from outside (README: "Limits"); each defaults to DEFAULT_LIMITS. */
const limitsSchema = z.strictObject({
  maxKeyBytes: positive.default(DEFAULT_LIMITS.maxKeyBytes),
  maxValueBytes: positive.default(DEFAULT_LIMITS.maxValueBytes),
  maxArgs: z.int().min(3).default(DEFAULT_LIMITS.maxArgs),
  maxCommandBytes: positive.default(DEFAULT_LIMITS.maxCommandBytes),
  maxInlineBytes: positive.default(DEFAULT_LIMITS.maxInlineBytes),
  maxReplyBytes: positive.default(DEFAULT_LIMITS.maxReplyBytes),
  maxPeerFrameBytes: z.int().min(64 * 1024).default(DEFAULT_LIMITS.maxPeerFrameBytes),
  snapshotChunkBytes: positive.default(DEFAULT_LIMITS.snapshotChunkBytes),
  maxSnapshotBytes: positive.default(DEFAULT_LIMITS.maxSnapshotBytes),
  maxConnections: positive.default(DEFAULT_LIMITS.maxConnections),
  idleTimeoutMs: z.int().min(0).default(DEFAULT_LIMITS.idleTimeoutMs),
  helloTimeoutMs: positive.default(DEFAULT_LIMITS.helloTimeoutMs),
});

/** One Raft group of a sharded cluster: its own members, data directories and slot ranges. */
const shardSchema = z.strictObject({
  id: nodeId,
  /** "0-8191", or several ranges "0-99,200-299"; omitted on every shard: split evenly. */
  slots: z.string().optional(),
  nodes: z.array(nodeSchema).min(1, 'a shard needs at least one node'),
});

const routerSchema = z.strictObject({
  http: hostPort,
  resp: hostPort.optional(),
});

export const clusterConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('data'),
  durability: z.enum(['fsync', 'os']).default('fsync'),
  /** Apply batches are held this long (ms) and written to the state machine's tables as one (0: each as it comes). */
  applyBatchMs: z.int().min(0).max(10_000).default(DEFAULT_APPLY_DELAY_MS),
  raft: raftSchema.default({ tickMs: 10, heartbeatTicks: 5, electionTicks: [30, 60], snapshotEvery: 10000 }),
  control: hostPort.default('127.0.0.1:10999'),
  maxBodyBytes: z.int().min(1).default(1 << 20),
  requestTimeoutMs: z.int().min(1).default(5000),
  limits: limitsSchema.default({ ...DEFAULT_LIMITS }),
  /** GET /health fails on a node whose applied index trails its commit index by more than maxApplyLag entries. */
  health: z.strictObject({ maxApplyLag: z.int().min(0).default(1000) }).default({ maxApplyLag: 1000 }),
  /** Changes each node keeps for GET /watch?from=: a watch from further back is answered `compacted`. */
  watchHistory: z.int().min(1).default(DEFAULT_WATCH_HISTORY),
  nodes: z.array(nodeSchema).min(1, 'a cluster needs at least one node').optional(),
  /** Instead of `nodes`: several Raft groups, each owning hash slots. */
  shards: z.array(shardSchema).min(1, 'a sharded cluster needs at least one shard').optional(),
  /** The router in front of the shards (only with `shards`). */
  router: routerSchema.optional(),
  tls: tlsSchema.optional(),
  auth: authSchema.optional(),
  /** Allow listening beyond loopback without TLS and auth (warned about on every start). */
  insecure: z.boolean().default(false),
});

type RawConfig = z.infer<typeof clusterConfigSchema>;
export type NodeEntry = z.infer<typeof nodeSchema>;
export type RaftTuning = RawConfig['raft'];

export interface ShardEntry {
  id: string;
  slots: SlotRange[];
  nodes: NodeEntry[];
}

/** A checked config: `nodes` is every node (of every shard); `shards` is set for a sharded cluster. */
export type ClusterConfig = Omit<RawConfig, 'nodes' | 'shards'> & {
  nodes: NodeEntry[];
  shards?: ShardEntry[];
};

export class ConfigError extends RaftkvError<'RAFTKV_ERR_CONFIG'> {
  constructor(file: string, problems: string[]) {
    super('RAFTKV_ERR_CONFIG', `${file} is not a valid cluster config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: ClusterConfig;
  warnings: string[];
}

/** Parse and check a config object; `file` names it in messages. */
export function parseClusterConfig(raw: unknown, file = 'config'): LoadedConfig {
  const parsed = clusterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`),
    );
  }
  const { nodes: flatNodes, shards: rawShards, ...rest } = parsed.data;
  if ((flatNodes === undefined) === (rawShards === undefined)) {
    throw new ConfigError(file, [flatNodes ? 'shards: give either nodes or shards, not both' : '(top level): give either nodes (one Raft group) or shards (several)']);
  }
  if (rest.router && !rawShards) throw new ConfigError(file, ['router: a router needs shards']);
  const problems: string[] = [];
  // Every node with the path that names it in messages.
  const placed: [NodeEntry, string][] = flatNodes
    ? flatNodes.map((n, i) => [n, `nodes.${i}`])
    : rawShards!.flatMap((s, si) => s.nodes.map((n, i): [NodeEntry, string] => [n, `shards.${si}.nodes.${i}`]));
  const seen = new Map<string, string>();
  const claim = (addr: string | undefined, where: string): void => {
    if (!addr || addr.endsWith(':0')) return;
    const other = seen.get(`addr:${addr}`);
    if (other) problems.push(`${where}: address ${addr} is already used by ${other}`);
    seen.set(`addr:${addr}`, where);
  };
  for (const [n, where] of placed) {
    if (seen.has(`id:${n.id}`)) problems.push(`${where}.id: duplicate node id ${JSON.stringify(n.id)} (also ${seen.get(`id:${n.id}`)})`);
    seen.set(`id:${n.id}`, `${where}.id`);
    for (const field of ['http', 'raft', 'resp'] as const) claim(n[field], `${where}.${field}`);
  }
  claim(rest.router?.http, 'router.http');
  claim(rest.router?.resp, 'router.resp');
  if (seen.has(`addr:${rest.control}`) && !rest.control.endsWith(':0')) problems.push(`control: address ${rest.control} is already used by ${seen.get(`addr:${rest.control}`)}`);
  const shards = rawShards ? resolveShards(rawShards, seen, problems) : undefined;
  for (const [n, where] of placed) if (n.tls && !rest.tls) problems.push(`${where}.tls: a node's own certificate needs the cluster's tls block (its CA, and the launcher's certificate)`);
  const listening = listenersOf(placed, rest);
  const settings = { tls: rest.tls !== undefined, auth: rest.auth !== undefined, insecure: rest.insecure };
  const exposed = exposedListeners(listening, settings);
  if (exposed.length > 0) problems.push(exposureError(exposed, settings, { tls: 'a "tls" block', auth: 'an "auth" block', insecure: '"insecure": true' }));
  if (problems.length > 0) throw new ConfigError(file, problems);
  const config: ClusterConfig = { ...rest, nodes: placed.map(([n]) => n), ...(shards ? { shards } : {}) };
  const warnings: string[] = [];
  const open = nonLoopback(listening);
  if (rest.insecure && open.length > 0 && !(settings.tls && settings.auth)) warnings.push(insecureWarning(open, settings));
  for (const group of shards ?? [{ id: '', nodes: config.nodes }]) {
    const n = group.nodes.length;
    if (n % 2 === 0) warnings.push(`${file}: ${group.id ? `shard ${group.id}: ` : ''}${n} nodes tolerate no more failures than ${n - 1}; an odd size is recommended`);
  }
  return { config, warnings };
}

/** Every address the cluster listens on, named as in the file. */
function listenersOf(placed: [NodeEntry, string][], rest: Pick<RawConfig, 'control' | 'router'>): Listening[] {
  const out: Listening[] = [{ where: 'control', addr: rest.control }];
  for (const [n, where] of placed) for (const field of ['http', 'raft', 'resp'] as const) if (n[field]) out.push({ where: `${where}.${field}`, addr: n[field] });
  if (rest.router) for (const field of ['http', 'resp'] as const) if (rest.router[field]) out.push({ where: `router.${field}`, addr: rest.router[field] });
  return out;
}

/** Slot ranges of every shard: as written, or split evenly when no shard names any. */
function resolveShards(raw: NonNullable<RawConfig['shards']>, seen: Map<string, string>, problems: string[]): ShardEntry[] {
  const ids = new Set<string>();
  raw.forEach((s, i) => {
    if (ids.has(s.id)) problems.push(`shards.${i}.id: duplicate shard id ${JSON.stringify(s.id)}`);
    else if (seen.has(`id:${s.id}`)) problems.push(`shards.${i}.id: shard id ${JSON.stringify(s.id)} is also a node id (${seen.get(`id:${s.id}`)}); ctl names both`);
    ids.add(s.id);
  });
  const written = raw.filter((s) => s.slots !== undefined).length;
  if (written === 0) {
    const even = splitSlotsEvenly(raw.length);
    return raw.map((s, i) => ({ id: s.id, slots: [even[i]!], nodes: s.nodes }));
  }
  if (written !== raw.length) {
    raw.forEach((s, i) => {
      if (s.slots === undefined) problems.push(`shards.${i}.slots: give slots for every shard, or for none (then they are split evenly)`);
    });
    return [];
  }
  const shards = raw.map((s, i) => {
    let slots: SlotRange[] = [];
    try {
      slots = parseSlotRanges(s.slots!);
    } catch (e) {
      problems.push(`shards.${i}.slots: ${(e as Error).message}`);
    }
    return { id: s.id, slots, nodes: s.nodes };
  });
  if (problems.length === 0) for (const p of slotProblems(shards)) problems.push(`shards: ${p}`);
  return shards;
}

export function loadClusterConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, [`malformed JSON: ${(e as Error).message}`]);
  }
  return parseClusterConfig(raw, file);
}
