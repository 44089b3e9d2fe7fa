// cluster.config.json: validated with zod before anything starts, so a bad
// file is refused with the field and the problem, never half-started.

import { readFileSync } from 'node:fs';
import { z } from 'zod';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be "host:port", for example "127.0.0.1:11000"').refine((a) => {
  const port = Number(a.slice(a.lastIndexOf(':') + 1));
  return port >= 0 && port <= 65535;
}, 'the port must be between 0 and 65535');

const nodeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');

const nodeSchema = z.strictObject({
  id: nodeId,
  http: hostPort,
  raft: hostPort,
  resp: hostPort.optional(),
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

export const clusterConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('data'),
  durability: z.enum(['fsync', 'os']).default('fsync'),
  raft: raftSchema.default({ tickMs: 10, heartbeatTicks: 5, electionTicks: [30, 60], snapshotEvery: 10000 }),
  control: hostPort.default('127.0.0.1:10999'),
  maxBodyBytes: z.int().min(1).default(1 << 20),
  requestTimeoutMs: z.int().min(1).default(5000),
  nodes: z.array(nodeSchema).min(1, 'a cluster needs at least one node'),
});

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
export type NodeEntry = ClusterConfig['nodes'][number];
export type RaftTuning = ClusterConfig['raft'];

export class ConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`${file} is not a valid cluster config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
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
  const config = parsed.data;
  const problems: string[] = [];
  const seen = new Map<string, string>();
  config.nodes.forEach((n, i) => {
    const where = `nodes.${i}`;
    if (seen.has(`id:${n.id}`)) problems.push(`${where}.id: duplicate node id ${JSON.stringify(n.id)} (also ${seen.get(`id:${n.id}`)})`);
    seen.set(`id:${n.id}`, `${where}.id`);
    for (const field of ['http', 'raft', 'resp'] as const) {
      const addr = n[field];
      if (!addr || addr.endsWith(':0')) continue;
      const other = seen.get(`addr:${addr}`);
      if (other) problems.push(`${where}.${field}: address ${addr} is already used by ${other}`);
      seen.set(`addr:${addr}`, `${where}.${field}`);
    }
  });
  if (seen.has(`addr:${config.control}`) && !config.control.endsWith(':0')) problems.push(`control: address ${config.control} is already used by ${seen.get(`addr:${config.control}`)}`);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const warnings: string[] = [];
  if (config.nodes.length % 2 === 0) {
    warnings.push(`${file}: ${config.nodes.length} nodes tolerate no more failures than ${config.nodes.length - 1}; an odd size is recommended`);
  }
  return { config, warnings };
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
