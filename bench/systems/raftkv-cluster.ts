// A raftkv cluster for the harness: started as a child process
// (`raftkv cluster`, so its RSS is the launcher's alone) on free loopback
// ports in a temporary directory, or a running cluster found from one
// node's URL (--target). A secure one (TLS and tokens) gets development
// certificates and tokens in its directory; its calls trust that CA and
// carry the admin token.

import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterConfig } from '../../src/cluster/config.js';
import type { NodeStatus } from '../../src/node/types.js';
import type { Child, ChildProcesses } from './child-processes.js';
import { endpointOf, tailOf, type Endpoint, type Topology } from './endpoint.js';
import { freePorts } from '../../src/kit/ports.js';
import { configCertPlan } from '../../src/cluster/secure-start.js';
import { makeDevCerts } from '../../src/security/dev-certs.js';
import { failureOf, InternalClient } from '../../src/node/internal-client.js';
import { firstSuccess } from '../../src/kit/probe.js';
import { agreedLeader, sleep } from '../../src/kit/wait.js';
import type { LoadSecurity } from '../load/task.js';
import { respPing } from './resp-ping.js';

// The command's entry, which sizes libuv's thread pool for the nodes (src/main.cts).
const CLI = fileURLToPath(new URL('../../src/main.cjs', import.meta.url));

export interface RaftkvStartOptions {
  /** Node ids, Raft tuning and limits come from here; addresses and data directory are replaced. */
  base: ClusterConfig;
  durability: 'fsync' | 'os';
  procs: ChildProcesses;
  dir: string;
  /** Write V8 CPU profiles of the cluster process (every node thread) here. */
  cpuProfDir?: string;
  startTimeoutMs?: number;
  /** The cluster process's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** The raftkv CLI to run (default: this build's), to compare two builds in one session. */
  cli?: string;
  /** More options for node itself (e.g. --perf-basic-prof). */
  nodeArgs?: string[];
  /** TLS on every listener and link, and tokens (the admin token for the harness). */
  secure?: boolean;
}

/** How the harness calls a cluster's HTTP fronts: plain, or https trusting its CA with the admin token. */
class ClusterHttp extends InternalClient {
  readonly security: LoadSecurity | undefined;

  constructor(security?: LoadSecurity) {
    super(security ? { ca: security.ca, bearer: security.token } : {});
    this.security = security;
  }
}

export interface ClusterMemory {
  /** RSS of the launcher process (every node thread), bytes. */
  rss: number;
  /** V8 heap used per node thread, bytes. */
  heapUsed: Record<string, number>;
}

export class RaftkvCluster {
  /** HTTP addresses of the members, by id. */
  readonly https: Map<string, string>;
  readonly #http: ClusterHttp;
  readonly config: ClusterConfig | undefined;
  readonly child: Child | undefined;
  /** From spawning the process to the first acknowledged write. */
  readonly firstWriteMs: number | undefined;
  readonly #procs: ChildProcesses | undefined;

  private constructor(http: ClusterHttp, https: Map<string, string>, config?: ClusterConfig, child?: Child, firstWriteMs?: number, procs?: ChildProcesses) {
    this.#http = http;
    this.https = https;
    this.config = config;
    this.child = child;
    this.firstWriteMs = firstWriteMs;
    this.#procs = procs;
  }

  static async start(o: RaftkvStartOptions): Promise<RaftkvCluster> {
    const n = o.base.nodes.length;
    const ports = await freePorts(n * 3 + 1);
    const config: ClusterConfig = {
      ...o.base,
      dataDir: 'data',
      durability: o.durability,
      control: `127.0.0.1:${ports[n * 3]}`,
      nodes: o.base.nodes.map((node, i) => ({ id: node.id, http: `127.0.0.1:${ports[i * 3]}`, raft: `127.0.0.1:${ports[i * 3 + 1]}`, resp: `127.0.0.1:${ports[i * 3 + 2]}` })),
      ...(o.secure ? { tls: { ca: 'certs/ca.pem', cert: 'certs/cluster.pem', key: 'certs/cluster-key.pem' }, auth: { tokenFile: 'certs/admin.token' } } : { tls: undefined, auth: undefined }),
    };
    let security: LoadSecurity | undefined;
    if (config.tls && config.auth) {
      await makeDevCerts(configCertPlan(config, o.dir));
      const read = (f: string): string => readFileSync(path.join(o.dir, f), 'utf8').trim();
      security = { ca: read(config.tls.ca), token: read(config.auth.tokenFile) };
    }
    const http = new ClusterHttp(security);
    const file = path.join(o.dir, 'cluster.config.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    const prof = o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : [];
    const started = performance.now();
    const child = o.procs.spawn(`raftkv (${o.durability})`, process.execPath, [...(o.nodeArgs ?? []), ...prof, o.cli ?? CLI, 'cluster', '--config', file, '--fresh', '--no-table', '--log-level', 'warn'], path.join(o.dir, 'cluster.log'), o.env);
    const https = new Map(config.nodes.map((node) => [node.id, node.http]));
    const cluster = new RaftkvCluster(http, https, config, child, undefined, o.procs);
    try {
      const firstWriteMs = await firstWrite(http, config.nodes[0]!.http, child, started, o.startTimeoutMs ?? 60_000);
      return new RaftkvCluster(http, https, config, child, firstWriteMs, o.procs);
    } catch (e) {
      await cluster.stop();
      throw new Error(`${(e as Error).message}\n--- ${child.logFile}\n${await tailOf(child.logFile)}`);
    }
  }

  /** A running cluster, from the URL of one of its nodes (https with `security`). */
  static async attach(url: string, security?: LoadSecurity): Promise<RaftkvCluster> {
    const base = url.replace(/\/+$/, '');
    const http = new ClusterHttp(security);
    const res = await http.call('GET', new URL(base).host, '/status').catch((e: unknown) => {
      throw new Error(`no raftkv node answers at ${base}: ${failureOf(e)}`);
    });
    if (!res.ok) throw new Error(`${base}/status answered ${res.status}`);
    const s = res.json as unknown as NodeStatus;
    const https = new Map<string, string>();
    for (const [id, m] of Object.entries(s.members)) if (m?.http) https.set(id, m.http);
    if (https.size === 0) https.set(s.id, new URL(base).host);
    return new RaftkvCluster(http, https);
  }

  /** The CA and the token of a secure cluster (undefined: plaintext, no token). */
  get security(): LoadSecurity | undefined {
    return this.#http.security;
  }

  async status(id: string): Promise<NodeStatus | undefined> {
    return this.#http.json<NodeStatus>('GET', this.https.get(id)!, '/status', { timeoutMs: 2000 }).catch(() => undefined);
  }

  async statuses(): Promise<NodeStatus[]> {
    const all = await Promise.all([...this.https.keys()].map((id) => this.status(id)));
    return all.filter((s): s is NodeStatus => s !== undefined);
  }

  /** The leader every answering node agrees on, and a follower; waits up to `timeoutMs` for one. */
  async topology(timeoutMs = 15_000): Promise<Topology> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const statuses = await this.statuses();
      const leader = statuses.find((s) => s.id === agreedLeader(statuses));
      if (leader) {
        const follower = statuses.find((s) => s.id !== leader.id);
        return {
          leader: endpointOf(leader.id, this.https.get(leader.id) ?? leader.addrs.http),
          follower: follower ? endpointOf(follower.id, this.https.get(follower.id) ?? follower.addrs.http) : undefined,
        };
      }
      await sleep(50);
    }
    throw new Error(`the raftkv cluster has no leader after ${timeoutMs} ms`);
  }

  /** The RESP address of a member, when its status or config names one and it answers PING. */
  async respOf(id: string): Promise<{ endpoint: Endpoint | undefined; note: string }> {
    const fromStatus = (await this.status(id))?.members[id]?.resp;
    const addr = fromStatus ?? this.config?.nodes.find((n) => n.id === id)?.resp;
    if (!addr) return { endpoint: undefined, note: `${id} has no RESP address` };
    const ep = endpointOf(id, addr);
    if (!(await respPing(ep.host, ep.port, 1000, this.security))) return { endpoint: undefined, note: `no RESP front answers PING on ${addr} (${id})` };
    return { endpoint: ep, note: `RESP front of ${id} on ${addr}` };
  }

  /** Launcher RSS (from /proc) and each node thread's heap (control API). */
  async memory(): Promise<ClusterMemory | undefined> {
    if (!this.child || !this.config) return undefined;
    const rss = await rssOf(this.child.pid);
    const body = await this.#http.json<{ rss: number; nodes: Record<string, { heapUsed: number } | null> }>('GET', this.config.control, '/memory', { timeoutMs: 5000 }).catch(() => undefined);
    const heapUsed: Record<string, number> = {};
    for (const [id, h] of Object.entries(body?.nodes ?? {})) if (h) heapUsed[id] = h.heapUsed;
    return { rss: rss ?? body?.rss ?? 0, heapUsed };
  }

  /** Stop the cluster process (SIGTERM: every node closes cleanly; CPU profiles are written then). */
  async stop(): Promise<void> {
    if (this.child && this.#procs) await this.#procs.stop(this.child, 20_000);
  }
}

async function firstWrite(http: ClusterHttp, addr: string, child: Child, started: number, timeoutMs: number): Promise<number> {
  let exited = false;
  void child.exited.then(() => (exited = true));
  const write = (): Promise<true | string> => http.call('POST', addr, '/key', { body: { 'bench-first-write': '1' }, timeoutMs: 2000 }).then((a) => a.ok || `HTTP ${a.status}`, failureOf);
  const r = await firstSuccess(write, { started, boundMs: timeoutMs, everyMs: 5, abort: () => (exited ? 'the raftkv cluster process exited during start-up' : undefined) });
  if (r.ms === undefined) throw new Error(`no write succeeded within ${timeoutMs} ms of starting the cluster (last: ${r.last})`);
  return r.ms;
}

/** VmRSS of a process, bytes (Linux). */
export async function rssOf(pid: number): Promise<number | undefined> {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
