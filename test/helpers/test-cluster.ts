// A real cluster for integration tests: worker threads, TCP, SQLite and
// uWS on free loopback ports, in a temporary directory.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseClusterConfig, type ClusterConfig } from '../../src/cluster/config.js';
import { Launcher } from '../../src/cluster/launcher.js';
import type { Isolation } from '../../src/cluster/node-proc.js';
import type { Limits } from '../../src/common/limits.js';
import { formatRecord, type LogRecord } from '../../src/node/logger.js';
import { TOKEN_HEADER } from '../../src/common/cluster-identity.js';
import { freePorts } from '../../src/kit/ports.js';
import { sleep, until, waitForLeaders } from '../../src/kit/wait.js';
import { parseHostPort } from '../../src/transport/address.js';
import { after, before } from 'node:test';
import { startControlServer, type ControlServer } from '../../src/cluster/control-server.js';
import { Authenticator } from '../../src/security/auth.js';
import { configCertPlan } from '../../src/cluster/secure-start.js';
import { makeDevCerts } from '../../src/security/dev-certs.js';
import { internalHttp } from '../../src/security/internal-http.js';

export interface TestClusterOptions {
  nodes?: number;
  snapshotEvery?: number;
  durability?: 'fsync' | 'os';
  inMemory?: boolean;
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  isolation?: Isolation;
  /** The config's limits (small ones keep limit tests fast). */
  limits?: Partial<Limits>;
  /** Changes each node keeps for watchers. */
  watchHistory?: number;
  /** applyBatchMs of the config (how long apply batches are held before they are written). */
  applyBatchMs?: number;
  /** Print node logs (RAFTKV_TEST_LOGS=1 does too). */
  logs?: boolean;
  /**
   * TLS everywhere and authentication (certificates made in the cluster's
   * directory): users "default" (admin), "rw" (readwrite) and "ro" (readonly).
   */
  secure?: boolean;
}

/** The tokens of a secure test cluster's users. */
export interface TestTokens {
  admin: string;
  rw: string;
  ro: string;
}

/**
 * What `http()` and `writeMany()` use for https URLs: the CA of the secure
 * cluster started last, and its admin token when a request names no
 * Authorization of its own. (One cluster at a time per test file.)
 */
let secureDefaults: { ca: string; authorization: string } | undefined;

export class TestCluster {
  readonly launcher: Launcher;
  readonly config: ClusterConfig;
  readonly dir: string;
  readonly logs: LogRecord[] = [];
  /** For a secure cluster: the CA's PEM and the users' tokens. */
  ca: string | undefined;
  tokens: TestTokens | undefined;

  private constructor(launcher: Launcher, config: ClusterConfig, dir: string) {
    this.launcher = launcher;
    this.config = config;
    this.dir = dir;
  }

  get scheme(): 'http' | 'https' {
    return this.config.tls ? 'https' : 'http';
  }

  static async start(opts: TestClusterOptions = {}): Promise<TestCluster> {
    const n = opts.nodes ?? 3;
    const ports = await freePorts(n * 3 + 1);
    const raw = {
      dataDir: 'data',
      durability: opts.durability ?? 'os',
      raft: { tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: opts.snapshotEvery ?? 10000 },
      control: `127.0.0.1:${ports[n * 2]}`,
      requestTimeoutMs: opts.requestTimeoutMs ?? 5000,
      maxBodyBytes: opts.maxBodyBytes ?? 1 << 20,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.watchHistory ? { watchHistory: opts.watchHistory } : {}),
      ...(opts.applyBatchMs !== undefined ? { applyBatchMs: opts.applyBatchMs } : {}),
      nodes: Array.from({ length: n }, (_, i) => ({ id: `node${i}`, http: `127.0.0.1:${ports[i * 2]}`, raft: `127.0.0.1:${ports[i * 2 + 1]}`, resp: `127.0.0.1:${ports[n * 2 + 1 + i]}` })),
      ...(opts.secure
        ? {
            tls: { ca: 'certs/ca.pem', cert: 'certs/cluster.pem', key: 'certs/cluster-key.pem' },
            auth: { tokenFile: 'certs/admin.token', users: [{ name: 'rw', role: 'readwrite', tokenFile: 'certs/rw.token' }, { name: 'ro', role: 'readonly', tokenFile: 'certs/ro.token' }] },
          }
        : {}),
    };
    const { config } = parseClusterConfig(raw, 'test-cluster');
    const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-test-'));
    if (opts.secure) await makeDevCerts(configCertPlan(config, dir));
    const show = opts.logs || process.env.RAFTKV_TEST_LOGS === '1';
    let cluster: TestCluster | undefined;
    const launcher = new Launcher({
      config,
      baseDir: dir,
      inMemory: opts.inMemory,
      isolation: opts.isolation,
      logLevel: 'info',
      onLog: (r) => {
        cluster?.logs.push(r);
        if (show) process.stderr.write(formatRecord(r) + '\n');
      },
    });
    cluster = new TestCluster(launcher, config, dir);
    if (opts.secure) {
      const read = (f: string): string => readFileSync(path.join(dir, 'certs', f), 'utf8').trim();
      cluster.ca = read('ca.pem');
      cluster.tokens = { admin: read('admin.token'), rw: read('rw.token'), ro: read('ro.token') };
      secureDefaults = { ca: cluster.ca, authorization: `Bearer ${cluster.tokens.admin}` };
    }
    try {
      await launcher.start();
    } catch (e) {
      await launcher.stop();
      throw e;
    }
    return cluster;
  }

  /** Headers that make a request a member's (the cluster token), for members-only routes. */
  get memberHeaders(): Record<string, string> {
    return { [TOKEN_HEADER]: this.launcher.clusterToken };
  }

  url(id: string, p: string): string {
    return `${this.scheme}://${this.launcher.entry(id).http}${p}`;
  }

  /** The node's Redis protocol port. */
  respPort(id: string): number {
    return parseHostPort(this.launcher.entry(id).resp!).port;
  }

  /** Wait until some node leads and every live node agrees on it. */
  async waitForLeader(timeoutMs = 10_000, exclude: string[] = []): Promise<string> {
    const [leader] = await waitForLeaders(() => this.launcher.statuses(), [this.launcher.ids], { timeoutMs, exclude, skipSilent: true });
    return leader!;
  }

  async waitFor(cond: () => Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    await until(what, async () => ((await cond()) ? true : undefined), { timeoutMs, everyMs: 25, rethrow: true });
  }

  followers(leader: string): string[] {
    return this.launcher.ids.filter((id) => id !== leader);
  }

  async stop(): Promise<void> {
    await this.launcher.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { sleep };

// `json` is `any` on purpose: tests assert on the shape of answers they just asked for.
export async function http(method: string, url: string, body?: unknown, raw = false, headers: Record<string, string> = {}): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const [doFetch, extra] = via(url, headers);
  const res = await doFetch(url, {
    method,
    headers: body !== undefined && !raw ? { 'content-type': 'application/json', ...extra } : extra,
    body: body === undefined ? undefined : raw ? String(body) : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/**
 * Write `n` distinct keys (prefix + i) through `url`'s node with `concurrency`
 * clients; returns the acknowledged keys. A failed write (a timeout on a
 * loaded machine) is retried a few times: the same value, so a retry of a
 * write that did land changes nothing.
 */
export async function writeMany(baseUrl: string, prefix: string, n: number, concurrency = 32, attempts = 5): Promise<string[]> {
  const acked: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const key = `${prefix}${i}`;
      for (let attempt = 0; attempt < attempts; attempt++) {
        const [doFetch, extra] = via(baseUrl, {});
        const r = await doFetch(`${baseUrl}/key`, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify({ [key]: `v${i}` }) }).catch(() => undefined);
        if (r) await r.arrayBuffer();
        if (r?.ok) {
          acked.push(key);
          break;
        }
        await sleep(100);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return acked;
}

/**
 * One cluster and its control server (what `raftkv cluster` runs), started
 * before a file's tests and stopped after them: the tests of the file share it.
 */
export function sharedClusterWithControl(opts: TestClusterOptions = {}): { readonly cluster: TestCluster; readonly control: ControlServer } {
  const shared = {} as { cluster: TestCluster; control: ControlServer };
  before(async () => {
    shared.cluster = await TestCluster.start({ nodes: 3, ...opts });
    const { tls, auth } = shared.cluster.launcher.security;
    shared.control = await startControlServer(shared.cluster.launcher, '127.0.0.1', 0, { ...(tls ? { tls: tls.launcher } : {}), ...(auth ? { auth: new Authenticator(auth) } : {}) });
    await shared.cluster.waitForLeader();
  });
  after(async () => {
    await shared.control?.close();
    await shared.cluster?.stop();
  });
  return shared;
}

/** Make `http()` and `writeMany()` trust a secure cluster started some other way (its own processes), with this admin token. */
export function trustSecureCluster(ca: string, adminToken: string): void {
  secureDefaults = { ca, authorization: `Bearer ${adminToken}` };
}

/** Plain fetch for http URLs; for https ones, the secure cluster's CA and (unless given) its admin token. */
function via(url: string, headers: Record<string, string>): [(url: string, init?: RequestInit) => Promise<Response>, Record<string, string>] {
  if (!url.startsWith('https:') || !secureDefaults) return [fetch, headers];
  const named = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return [internalHttp(secureDefaults.ca).fetch, named ? headers : { authorization: secureDefaults.authorization, ...headers }];
}
