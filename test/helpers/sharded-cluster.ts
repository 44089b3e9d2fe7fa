// A sharded cluster for integration tests: the launcher with every shard's
// nodes and the router in this process, on free loopback ports (never the
// shipped file's), in a temporary directory.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseClusterConfig, type ClusterConfig } from '../../src/cluster/config.js';
import { Launcher } from '../../src/cluster/launcher.js';
import type { Isolation } from '../../src/cluster/node-proc.js';
import { formatRecord, makeLogger, type LogRecord } from '../../src/node/logger.js';
import { runRouter, type RunningRouter } from '../../src/start/run-router.js';
import { freePorts } from '../../src/kit/ports.js';
import { waitForLeaders } from '../../src/kit/wait.js';

export const SHIPPED_SHARDED_CONFIG = new URL('../../../cluster.sharded.json', import.meta.url).pathname;

const ADDRESS = /^127\.0\.0\.1:\d+$/;

/** The same config with every address moved to a free loopback port (the structure, ids and slots untouched). */
export async function onFreePorts(raw: unknown): Promise<unknown> {
  const text = JSON.stringify(raw);
  const addrs = [...new Set([...text.matchAll(/"(127\.0\.0\.1:\d+)"/g)].map((m) => m[1]!))];
  const ports = await freePorts(addrs.length);
  const moved = new Map(addrs.map((a, i) => [a, `127.0.0.1:${ports[i]}`]));
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && ADDRESS.test(v) ? moved.get(v) ?? v : v));
}

/** A config of `shards` shards of `nodesPerShard` nodes, slots split evenly, on free ports. */
export async function shardedConfigRaw(shards: number, nodesPerShard = 3, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const n = shards * nodesPerShard;
  const ports = await freePorts(n * 2 + 2);
  return {
    durability: 'os',
    raft: { tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: 10000 },
    control: `127.0.0.1:${ports[n * 2]}`,
    router: { http: `127.0.0.1:${ports[n * 2 + 1]}` },
    shards: Array.from({ length: shards }, (_, s) => ({
      id: `s${s}`,
      nodes: Array.from({ length: nodesPerShard }, (_, j) => {
        const i = s * nodesPerShard + j;
        return { id: `node${i}`, http: `127.0.0.1:${ports[i * 2]}`, raft: `127.0.0.1:${ports[i * 2 + 1]}` };
      }),
    })),
    ...extra,
  };
}

export interface ShardedClusterOptions {
  /** The raw config (see onFreePorts / shardedConfigRaw). */
  raw: unknown;
  isolation?: Isolation;
  logs?: boolean;
}

export class ShardedTestCluster {
  readonly launcher: Launcher;
  readonly config: ClusterConfig;
  readonly dir: string;
  readonly logs: LogRecord[] = [];
  router: RunningRouter | undefined;
  readonly #show: boolean;

  private constructor(launcher: Launcher, config: ClusterConfig, dir: string, show: boolean) {
    this.launcher = launcher;
    this.config = config;
    this.dir = dir;
    this.#show = show;
  }

  static async start(opts: ShardedClusterOptions): Promise<ShardedTestCluster> {
    const { config } = parseClusterConfig(opts.raw, 'sharded test cluster');
    const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-shards-'));
    const show = opts.logs === true || process.env.RAFTKV_TEST_LOGS === '1';
    let cluster: ShardedTestCluster | undefined;
    const launcher = new Launcher({
      config,
      baseDir: dir,
      isolation: opts.isolation,
      logLevel: 'info',
      onLog: (r) => cluster?.record(r),
    });
    cluster = new ShardedTestCluster(launcher, config, dir, show);
    try {
      await launcher.start();
      await cluster.startRouter();
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  record(r: LogRecord): void {
    this.logs.push(r);
    if (this.#show) process.stderr.write(formatRecord(r) + '\n');
  }

  /** Start the router on the config's address (again, after stopRouter). */
  async startRouter(): Promise<void> {
    this.router = await runRouter({ config: this.config, clusterToken: this.launcher.clusterToken, logger: makeLogger((r) => this.record(r), 'info', { id: 'router' }) });
  }

  async stopRouter(): Promise<void> {
    await this.router?.stop();
    this.router = undefined;
  }

  routerUrl(p: string): string {
    if (!this.router) throw new Error('the router is not running');
    return `http://${this.router.httpAddr}${p}`;
  }

  nodeUrl(id: string, p: string): string {
    return `http://${this.launcher.entry(id).http}${p}`;
  }

  nodesOf(shard: string): string[] {
    return this.launcher.ids.filter((id) => this.launcher.shardOf(id) === shard);
  }

  /** Wait until every shard has a leader that all its live members agree on; returns shard -> leader. */
  async waitForLeaders(timeoutMs = 10_000, exclude: string[] = []): Promise<Map<string, string>> {
    const shards = this.config.shards!.map((s) => s.id);
    const leaders = await waitForLeaders(() => this.launcher.statuses(), shards.map((s) => this.nodesOf(s)), { timeoutMs, exclude });
    return new Map(shards.map((s, i) => [s, leaders[i]!]));
  }

  async stop(): Promise<void> {
    await this.stopRouter();
    await this.launcher.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function readShippedShardedConfig(): unknown {
  return JSON.parse(readFileSync(SHIPPED_SHARDED_CONFIG, 'utf8'));
}
