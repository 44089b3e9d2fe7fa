import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadOrCreateToken, newClusterToken } from '../common/cluster-identity.js';
import { RaftkvError } from '../common/errors.js';
import type { LogLevel, LogRecord } from '../common/logger.js';
import type { NodeRunOptions } from '../start/run-node.js';
import type { MemberAddrs, NodeStatus } from '../node/types.js';
import type { CrashKind, HeapUsage, LinkRule, ParentToWorker, WorkerToParent } from '../node/worker-protocol.js';
import type { ClusterConfig, NodeEntry } from './config.js';
import { spawnNode, type Isolation, type NodeProc } from './node-proc.js';
import { loadClusterSecurity, type ClusterSecurity } from './security-setup.js';

/** What the control API can do to a cluster (counted in the launcher's metrics). */
export type FaultKind = 'kill' | 'restart' | 'pause' | 'resume' | 'partition' | 'heal' | 'delay' | 'loss' | 'transfer';

/** 'failed': the node cannot go on (a storage write failed) and answers every request with why, until restarted. */
export type NodeState = 'starting' | 'alive' | 'dead' | 'paused' | 'failed';

/** A command that does not fit a node's state (not running, already running, failed) or names no node: the caller's mistake. */
export class LauncherError extends RaftkvError<'RAFTKV_ERR_LAUNCHER'> {
  constructor(message: string) {
    super('RAFTKV_ERR_LAUNCHER', message);
  }
}

interface NodeHandle {
  entry: NodeEntry;
  state: NodeState;
  proc: NodeProc | undefined;
  exited: Promise<void>;
  lastStatus: NodeStatus | undefined;
  startError: string | undefined;
  /** Why the node failed, while it runs failed. */
  failure: string | undefined;
}

export interface LauncherOptions {
  config: ClusterConfig;
  /** Resolve the config's dataDir against this directory. */
  baseDir: string;
  onLog: (r: LogRecord) => void;
  logLevel?: LogLevel;
  inMemory?: boolean;
  /** Worker threads (default) or child processes, where kill is a real SIGKILL. */
  isolation?: Isolation;
  /** Deliberately broken behaviour, only for proving that the chaos checker can fail. */
  unsafe?: { staleReads?: boolean };
}

/**
 * Runs every node of a cluster in its own worker thread (or child process)
 * and keeps the launcher alive whatever a node does: a node is stopped by
 * asking it to close its handles (docs/ARCHITECTURE.md), and a node that dies is only
 * marked dead.
 */
export class Launcher {
  readonly #opts: LauncherOptions;
  readonly #nodes = new Map<string, NodeHandle>();
  #reqId = 0;
  readonly #statusWaiters = new Map<number, (s: NodeStatus | undefined) => void>();
  readonly #memoryWaiters = new Map<number, (m: HeapUsage | undefined) => void>();
  /** Link rules in force per node; a restarted node gets them again. */
  readonly #rules = new Map<string, LinkRule[]>();
  #clusterToken: string | undefined;
  /** Who else reads every record (the event log of the dashboard and the terminal view). */
  readonly #listeners = new Set<(r: LogRecord) => void>();
  /** Faults injected so far, by kind (the launcher's metrics). */
  readonly faultCounts: Record<FaultKind, number> = { kill: 0, restart: 0, pause: 0, resume: 0, partition: 0, heal: 0, delay: 0, loss: 0, transfer: 0 };
  /** Node thread or process exits, per node. */
  readonly exits = new Map<string, number>();
  #security: ClusterSecurity | undefined;

  constructor(opts: LauncherOptions) {
    this.#opts = opts;
    for (const entry of opts.config.nodes) {
      this.#nodes.set(entry.id, { entry, state: 'dead', proc: undefined, exited: Promise.resolve(), lastStatus: undefined, startError: undefined, failure: undefined });
    }
  }

  /** Every record the launcher prints goes to `fn` too; returns the unsubscribe. */
  onRecord(fn: (r: LogRecord) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(r: LogRecord): void {
    this.#opts.onLog(r);
    for (const fn of this.#listeners) {
      try {
        fn(r);
      } catch {
        // A listener's bug must not stop the records, nor the node that logged.
      }
    }
  }

  /** A fault injected by a control command: counted, and an event in the log. */
  fault(kind: FaultKind, text: string): void {
    this.faultCounts[kind]++;
    this.log('info', 'fault injected', { fault: text, kind });
  }

  get isolation(): Isolation {
    return this.#opts.isolation ?? 'thread';
  }

  get ids(): string[] {
    return [...this.#nodes.keys()];
  }

  /**
   * The cluster's secret token: made when the cluster is founded and kept in
   * the data directory (or, in memory, for this launcher's lifetime).
   */
  #token(): string {
    if (this.#clusterToken) return this.#clusterToken;
    if (this.#opts.inMemory) return (this.#clusterToken = newClusterToken());
    const dir = path.resolve(this.#opts.baseDir, this.#opts.config.dataDir);
    mkdirSync(dir, { recursive: true });
    return (this.#clusterToken = loadOrCreateToken(path.join(dir, 'cluster.token')));
  }

  /** The cluster token, for tools the launcher runs (chaos, tests) that speak to nodes as a member. */
  get clusterToken(): string {
    return this.#token();
  }

  /**
   * The config's TLS material and users, read and checked once (at the first
   * start; a certificate that expired or names the wrong address throws).
   */
  get security(): ClusterSecurity {
    this.#security ??= loadClusterSecurity(this.#opts.config, this.#opts.baseDir);
    return this.#security;
  }

  dataDirOf(id: string): string {
    return path.resolve(this.#opts.baseDir, this.#opts.config.dataDir, id);
  }

  /** Start every node; resolves when all are listening (rejects if one cannot start). */
  async start(): Promise<void> {
    void this.security;
    await Promise.all(this.ids.map((id) => this.startNode(id)));
  }

  async startNode(id: string): Promise<void> {
    const h = this.#handle(id);
    if (h.proc) throw new LauncherError(`${id} is already running`);
    const { config } = this.#opts;
    // In a sharded cluster each shard is its own Raft group: its founders are its own nodes.
    const shard = config.shards?.find((s) => s.nodes.some((n) => n.id === id));
    const founders: Record<string, MemberAddrs> = {};
    for (const n of shard?.nodes ?? config.nodes) founders[n.id] = { raft: n.raft, http: n.http, ...(n.resp ? { resp: n.resp } : {}) };
    const dir = this.dataDirOf(id);
    if (!this.#opts.inMemory) mkdirSync(dir, { recursive: true });
    const options: NodeRunOptions = {
      id,
      dir,
      inMemory: this.#opts.inMemory,
      durability: config.durability,
      applyDelayMs: config.applyBatchMs,
      addrs: founders[id]!,
      founders,
      tickMs: config.raft.tickMs,
      heartbeatTicks: config.raft.heartbeatTicks,
      electionTicks: config.raft.electionTicks,
      snapshotEvery: config.raft.snapshotEvery,
      compactionTrailing: config.raft.compactionTrailing,
      requestTimeoutMs: config.requestTimeoutMs,
      watchHistory: config.watchHistory,
      maxBodyBytes: config.maxBodyBytes,
      limits: config.limits,
      healthMaxApplyLag: config.health.maxApplyLag,
      clusterToken: this.#token(),
      ...(this.security.tls ? { tls: this.security.tls.nodes[id]! } : {}),
      ...(this.security.auth ? { auth: this.security.auth } : {}),
      ...(this.#opts.unsafe?.staleReads ? { unsafeStaleReads: true } : {}),
      ...(shard ? { shard: { shard: shard.id, shards: config.shards!.map((s) => ({ id: s.id, slots: s.slots })) } } : {}),
    };
    const proc = spawnNode(this.isolation, { options, logLevel: this.#opts.logLevel ?? 'info' });
    h.proc = proc;
    h.state = 'starting';
    h.startError = undefined;
    h.failure = undefined;
    let resolveExit!: () => void;
    h.exited = new Promise((r) => (resolveExit = r));
    const ready = new Promise<void>((resolve, reject) => {
      proc.onMessage((m: WorkerToParent) => {
        switch (m.type) {
          case 'ready':
            // It may have failed already, between opening its store and listening.
            h.state = h.failure === undefined ? 'alive' : 'failed';
            for (const rule of this.#rules.get(id) ?? []) this.#post(h, { type: 'filter', rule });
            resolve();
            return;
          case 'fatal':
            h.startError = m.error;
            reject(new Error(`${id} could not start: ${m.error}`));
            return;
          case 'log':
            this.#emit(m.record);
            return;
          case 'status':
            this.#statusWaiters.get(m.reqId)?.(m.status);
            this.#statusWaiters.delete(m.reqId);
            if (m.status) h.lastStatus = m.status;
            return;
          case 'memory':
            this.#memoryWaiters.get(m.reqId)?.(m.memory);
            this.#memoryWaiters.delete(m.reqId);
            return;
          case 'failed':
            h.failure = m.reason;
            if (h.state !== 'starting') h.state = 'failed';
            this.#emit({ level: 'error', msg: 'node failed', time: Date.now(), id, reason: m.reason });
            return;
        }
      });
      proc.onError((e) => {
        this.#emit({ level: 'error', msg: 'node worker error', time: Date.now(), id, error: e.stack ?? String(e) });
        reject(e);
      });
      proc.onExit((code, signal) => {
        this.exits.set(id, (this.exits.get(id) ?? 0) + 1);
        h.proc = undefined;
        h.state = 'dead';
        h.failure = undefined;
        const what = this.isolation === 'process' ? 'node process exited' : 'node worker exited';
        this.#emit({ level: code === 0 ? 'info' : 'warn', msg: what, time: Date.now(), id, code, ...(signal ? { signal } : {}) });
        reject(new Error(`${id} exited during start-up`));
        resolveExit();
      });
    });
    await ready;
  }

  /** Stop one node: it closes its sockets and database, then its thread ends. */
  async stopNode(id: string, reason = 'stopped by the launcher'): Promise<void> {
    const h = this.#handle(id);
    if (!h.proc) return;
    this.#post(h, { type: 'stop', reason });
    await h.exited;
  }

  async restartNode(id: string): Promise<void> {
    await this.stopNode(id, 'restart');
    await this.startNode(id);
  }

  pauseNode(id: string): void {
    const h = this.#running(id);
    this.#post(h, { type: 'pause' });
    h.state = 'paused';
  }

  resumeNode(id: string): void {
    const h = this.#running(id);
    this.#post(h, { type: 'resume' });
    h.state = 'alive';
  }

  /** Kill a node abruptly: pending requests fail, nothing is flushed beyond what was issued. */
  async killNode(id: string): Promise<void> {
    const h = this.#handle(id);
    if (!h.proc) throw new LauncherError(`${id} is not running`);
    h.proc.kill();
    await h.exited;
  }

  /** Cut every link between the groups (nodes in no group keep all their links). Replaces earlier cuts. */
  partition(groups: string[][]): void {
    const seen = new Set<string>();
    for (const g of groups) {
      for (const id of g) {
        this.#handle(id);
        if (seen.has(id)) throw new LauncherError(`${id} is in two groups of the partition`);
        seen.add(id);
      }
    }
    this.heal();
    for (const [i, g] of groups.entries()) {
      for (const [j, other] of groups.entries()) {
        if (i === j) continue;
        for (const a of g) for (const b of other) this.#addRule(a, { op: 'cut', peer: b });
      }
    }
  }

  /** Cut the link from `from` to `to` only (messages the other way still pass). */
  cutOneWay(from: string, to: string): void {
    this.#handle(to);
    this.#addRule(from, { op: 'cut', peer: to });
    this.#addRule(to, { op: 'cutFrom', peer: from });
  }

  /** Remove every cut, delay and loss. */
  heal(): void {
    this.#rules.clear();
    for (const id of this.ids) {
      const h = this.#handle(id);
      this.#post(h, { type: 'filter', rule: { op: 'heal' } });
    }
  }

  /** Delay (ms) or drop (percent) every message the given nodes send (all nodes by default). */
  degrade(kind: 'delay' | 'loss', value: number, ids: string[] = this.ids): void {
    for (const id of ids) this.#addRule(id, kind === 'delay' ? { op: 'delay', peer: '*', ms: value } : { op: 'loss', peer: '*', pct: value });
  }

  /** The link rules in force on each node (its outbound cuts, delay, loss), for the dashboard. */
  linkRules(): Record<string, LinkRule[]> {
    return Object.fromEntries([...this.#rules].map(([id, rules]) => [id, [...rules]]));
  }

  /** The link rules in force, for status views: "A->B" for each cut. */
  faults(): { cuts: string[]; degraded: string[] } {
    const cuts = new Set<string>();
    const degraded: string[] = [];
    for (const [id, rules] of this.#rules) {
      for (const r of rules) {
        if (r.op === 'cut') cuts.add(`${id}->${r.peer}`);
        else if (r.op === 'cutFrom') cuts.add(`${r.peer}->${id}`);
        else if (r.op === 'delay') degraded.push(`${id}: delay ${r.ms} ms`);
        else if (r.op === 'loss') degraded.push(`${id}: loss ${r.pct}%`);
      }
    }
    return { cuts: [...cuts].sort(), degraded };
  }

  /** Whether every link between this node and each other node (of its shard) is cut in some direction. */
  isCutOff(id: string): boolean {
    const cuts = new Set(this.faults().cuts);
    const others = this.ids.filter((o) => o !== id && this.shardOf(o) === this.shardOf(id));
    return others.length > 0 && others.every((o) => cuts.has(`${id}->${o}`) || cuts.has(`${o}->${id}`));
  }

  #addRule(id: string, rule: LinkRule): void {
    const h = this.#handle(id);
    const rules = this.#rules.get(id) ?? [];
    rules.push(rule);
    this.#rules.set(id, rules);
    this.#post(h, { type: 'filter', rule });
  }

  async stop(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.stopNode(id, 'cluster shutting down')));
  }

  /** The node's OS process id (the launcher's own in thread mode), while it runs. */
  pidOf(id: string): number | undefined {
    return this.#handle(id).proc?.pid;
  }

  stateOf(id: string): NodeState {
    return this.#handle(id).state;
  }

  /** Why a node failed, while it runs failed (undefined otherwise). */
  failureOf(id: string): string | undefined {
    return this.#handle(id).failure;
  }

  /** A launcher event, through the same sink as the nodes' logs. */
  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    this.#emit({ level, msg, time: Date.now(), ...fields });
  }

  /**
   * Test hook (RAFTKV_TEST_HOOKS=1 only, checked where the crash happens): an
   * uncaught exception or unhandled rejection in a node's thread, or, without
   * a node, in the launcher itself. Both must be logged and survived.
   */
  crashTest(id: string | undefined, kind: CrashKind): void {
    if (id !== undefined) return this.#post(this.#running(id), { type: 'crash-test', kind });
    if (process.env.RAFTKV_TEST_HOOKS !== '1') throw new LauncherError('test hooks are off (RAFTKV_TEST_HOOKS=1 turns them on)');
    if (kind === 'exception') {
      setImmediate(() => {
        throw new Error('crash-test: an uncaught exception in the launcher');
      });
    } else {
      void Promise.reject(new Error('crash-test: an unhandled rejection in the launcher'));
    }
  }

  /** Ask a node for its status (undefined when it is not running or does not answer in time). */
  status(id: string, timeoutMs = 1000): Promise<NodeStatus | undefined> {
    return this.#ask(id, 'status', this.#statusWaiters, timeoutMs);
  }

  /** A node's V8 heap (undefined when it is not running or does not answer in time). */
  heap(id: string, timeoutMs = 1000): Promise<HeapUsage | undefined> {
    return this.#ask(id, 'memory', this.#memoryWaiters, timeoutMs);
  }

  /** One request to a node and its answer, matched by request id; undefined on no answer in time. */
  #ask<T>(id: string, type: 'status' | 'memory', waiters: Map<number, (v: T | undefined) => void>, timeoutMs: number): Promise<T | undefined> {
    const h = this.#handle(id);
    if (!h.proc || h.state === 'starting') return Promise.resolve(undefined);
    const reqId = ++this.#reqId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiters.delete(reqId);
        resolve(undefined);
      }, timeoutMs);
      waiters.set(reqId, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
      this.#post(h, { type, reqId });
    });
  }

  async statuses(timeoutMs = 1000): Promise<Map<string, NodeStatus | undefined>> {
    const entries = await Promise.all(this.ids.map(async (id) => [id, await this.status(id, timeoutMs)] as const));
    return new Map(entries);
  }

  /** A node that leads (of `shard` only, when given), if any. */
  async leader(shard?: string): Promise<string | undefined> {
    for (const s of (await this.statuses()).values()) if (s && s.role === 'leader' && (shard === undefined || this.shardOf(s.id) === shard)) return s.id;
    return undefined;
  }

  /** The shard a node belongs to (undefined in a cluster without shards). */
  shardOf(id: string): string | undefined {
    return this.#opts.config.shards?.find((s) => s.nodes.some((n) => n.id === id))?.id;
  }

  entry(id: string): NodeEntry {
    return this.#handle(id).entry;
  }

  #handle(id: string): NodeHandle {
    const h = this.#nodes.get(id);
    if (!h) throw new LauncherError(`unknown node ${JSON.stringify(id)}; nodes: ${this.ids.join(', ')}`);
    return h;
  }

  /** A node that runs and has not failed (a failed node can only be killed, stopped or restarted). */
  #running(id: string): NodeHandle {
    const h = this.#handle(id);
    if (!h.proc) throw new LauncherError(`${id} is not running`);
    if (h.failure !== undefined) throw new LauncherError(`${id} has failed (${h.failure}); restart it`);
    return h;
  }

  #post(h: NodeHandle, m: ParentToWorker): void {
    h.proc?.post(m);
  }
}
