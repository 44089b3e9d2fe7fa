import {
  ConfChangeType,
  EntryKind,
  IMPOSSIBLE_MESSAGE_DROPPED,
  MessageType,
  RawNode,
  Role,
  SeededRand,
  decodeConfChange,
  setSnapshotChunk,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type Ready,
} from '../raft/index.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { LogLimiter } from '../transport/log-limiter.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { realClock, sleep, type Clock, type TimerHandle } from './clock.js';
import type { CoreTuning, NodeDeps, NodeObserver, NodeStore, NodeTransport } from './deps.js';
import { NodeError, nodeFailed, proposalOverwritten, shuttingDown, timeout, toNodeError } from './errors.js';
import { Forwarder } from './forwarder.js';
import type { ShardAssignment } from '../common/slot-map.js';
import { ShardGuard, commandKeys } from './shard-guard.js';
import { validateCommand, validateEnvelope } from './command-validation.js';
import { WritePipeline, type AppliedEntry } from './write-pipeline.js';
import { KvState, decodeEnvelope, encodeEnvelope, type Envelope, type KvCommand, type KvResult, type KvWrite, type Session, type SessionWrite } from './kv-state.js';
import { DEFAULT_APPLY_DELAY_MS, type SessionWrite as StoredSessionWrite } from '../storage/types.js';
import { clusterIdentity, type ClusterIdentity } from '../common/cluster-identity.js';
import { limitsWith, type Limits } from '../common/limits.js';
import type { Logger } from './logger.js';
import { DEFAULT_WATCH_HISTORY, WatchHub } from './watch-hub.js';
import { internalHttp } from '../security/internal-http.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { parseMemberAddrs, type MemberAddrs, type NodeStatus, type ReadLevel } from './types.js';
import { NodeTallies, nodeRegistry } from './node-metrics.js';
import { RequestMeter } from './request-meter.js';
import { metricsEnabled } from './metric-tallies.js';
import { healthOf, type Health } from './health.js';
import type { Registry } from 'prom-client';

/** What a node is, whatever it runs on (RaftNode.create: the I/O comes in NodeDeps). */
export interface NodeOptions {
  id: string;
  addrs: MemberAddrs;
  /** The cluster's secret token (cluster-identity.ts): peers and node-to-node routes must show it. */
  clusterToken: string;
  /** Sizes and counts accepted from outside (the defaults where absent). */
  limits?: Partial<Limits>;
  /** The founding members (this node among them) of a new cluster; absent for a node that joins. */
  founders?: Record<string, MemberAddrs>;
  tickMs: number;
  heartbeatTicks: number;
  electionTicks: [number, number];
  snapshotEvery: number;
  compactionTrailing?: number;
  requestTimeoutMs?: number;
  logger: Logger;
  /** In a sharded cluster: this node's shard and the slot map; keys of other shards are refused. */
  shard?: ShardAssignment;
  /**
   * Deliberately broken, for proving the chaos checker can fail: serve
   * linearizable reads from local state without ReadIndex. Never set it otherwise.
   */
  unsafeStaleReads?: boolean;
  /** GET /health fails while the applied index trails the commit index by more than this (default 1000). */
  healthMaxApplyLag?: number;
  /** Called once if the node fails (a storage write failed): it then only answers why, until it is stopped. */
  onFail?: (reason: string) => void;
  /** Consensus core knobs (deps.ts); absent in production: the core's defaults. */
  core?: CoreTuning;
  /** Changes kept for watchers (GET /watch?from=): older revisions answer `compacted`. */
  watchHistory?: number;
  /** TLS: mutual TLS on the peer port, https (trusting only the cluster CA) for forwarded writes. */
  tls?: TlsMaterial;
  /** The simulator's view of what the node applies and reads (deps.ts); absent in production. */
  observer?: NodeObserver;
}

/** A production node (RaftNode.start): where its store lives, and the seed of its randomness. */
export interface RaftNodeOptions extends NodeOptions {
  /** This node's data directory. */
  dir: string;
  inMemory?: boolean;
  durability?: 'fsync' | 'os';
  /** How long apply batches are held to be written as one (storage OpenOptions.applyDelayMs); default DEFAULT_APPLY_DELAY_MS. */
  applyDelayMs?: number;
  seed?: number;
}

interface Waiter {
  term: number;
  resolve: (r: KvResult) => void;
  reject: (e: NodeError) => void;
  /** The deadline this waiter shares with the rest of its batch (one timer per batch, not per write). */
  deadline: Deadline;
}

interface Deadline {
  timer: TimerHandle | undefined;
  /** Waiters of the batch not yet answered: the timer is cleared when none is left. */
  pending: number;
}

interface PendingProposal {
  env: Envelope;
  data: Uint8Array;
  resolve: (r: KvResult) => void;
  reject: (e: NodeError) => void;
}

interface PendingRead {
  resolve: () => void;
  reject: (e: NodeError) => void;
  timer: TimerHandle;
  index: number;
}

/**
 * One Raft node at run time: it drives the core (ticks, steps, persists,
 * sends, applies), keeps the key-value state in memory with its store
 * (SQLite in production) as the durable copy, and offers the small interface
 * the HTTP and RESP fronts use. Its store, transport, clock and randomness
 * come in as NodeDeps (deps.ts): start() wires the production ones.
 */
export class RaftNode {
  readonly id: string;
  readonly #opts: NodeOptions;
  readonly #raw: RawNode;
  readonly #store: NodeStore;
  readonly #transport: NodeTransport;
  readonly #clock: Clock;
  #kv: KvState;
  readonly #log: Logger;
  readonly #forwarder: Forwarder;
  readonly #requestTimeoutMs: number;
  readonly #unsafeStaleReads: boolean;
  readonly #guard: ShardGuard | undefined;
  readonly identity: ClusterIdentity;
  readonly limits: Limits;

  #tickTimer: TimerHandle | undefined;
  readonly #pipeline: WritePipeline<KvResult | undefined>;
  #driveScheduled = false;
  #driving = false;
  #stopped = false;
  #paused = false;
  #proposals: PendingProposal[] = [];
  readonly #waiters = new Map<number, Waiter>();
  readonly #reads = new Map<number, PendingRead>();
  /** Confirmed reads waiting for the state machine to reach their index. */
  #readsAwaitingApply: number[] = [];
  #nextReadCtx = 1;
  #reaping = false;
  readonly #watch: WatchHub;
  #applied: number;
  #capturing = false;
  #lastSnapshotIndex: number;
  #lastContact: number;
  #lastTickAt: number;
  readonly #stallWarnMs: number;
  #fatal: Error | undefined;
  /** The hard state last handed to the store (its write may still be in flight). */
  #writtenHard: HardState;
  /** A newer hard state that differs only in its commit index: it rides along with the next write. */
  #unwrittenHard: HardState | undefined;
  /** The index of the last snapshot install handed to the store (its write may still be in flight). */
  #installing = 0;
  /** Messages the core threw on (a bug, or input no check foresaw): dropped, the node goes on. */
  #stepFailures = 0;
  readonly #stepFailureLog: LogLimiter;
  /** What /metrics and the dashboard read (node-metrics.ts): plain counts, added to per batch where the node batches. */
  readonly tallies: NodeTallies;
  /** The fronts' requests (request-meter.ts); none with RAFTKV_METRICS=off. */
  readonly requests: RequestMeter | undefined = metricsEnabled() ? new RequestMeter() : undefined;
  #registry: Registry | undefined;
  #seenLeader = '';
  /** When each ready handed to the pipeline started its write (performance.now(); -1: nothing to write), oldest first. */
  #writeStarts: number[] = [];
  /** When the snapshot being installed started its write (performance.now()). */
  #installStartedAt = 0;
  /** When the snapshot being sent to each follower left with its first chunk. */
  readonly #snapshotSendStart = new Map<string, number>();

  private constructor(opts: NodeOptions, raw: RawNode, store: NodeStore, transport: NodeTransport, clock: Clock, kv: KvState, applied: number, snapshotIndex: number, hard: HardState, tallies: NodeTallies) {
    this.id = opts.id;
    this.tallies = tallies;
    this.#clock = clock;
    this.#lastContact = clock.now();
    this.#lastTickAt = clock.monotonic();
    this.#stepFailureLog = new LogLimiter(undefined, undefined, () => clock.monotonic());
    this.#writtenHard = hard;
    this.#opts = opts;
    this.#raw = raw;
    this.#store = store;
    this.#transport = transport;
    this.#kv = kv;
    this.#log = opts.logger;
    this.#applied = applied;
    this.#lastSnapshotIndex = snapshotIndex;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.#unsafeStaleReads = opts.unsafeStaleReads === true;
    this.#stallWarnMs = Math.max(50, (opts.electionTicks[0] * opts.tickMs) / 2);
    if (this.#unsafeStaleReads) opts.logger.warn('UNSAFE: linearizable reads are served without ReadIndex (a chaos-checker proof run)', { id: opts.id });
    this.identity = clusterIdentity(opts.clusterToken);
    this.limits = limitsWith(opts.limits);
    this.#forwarder = new Forwarder(opts.id, this.#requestTimeoutMs, opts.clusterToken, clock, internalHttp(opts.tls?.ca));
    this.#guard = opts.shard ? new ShardGuard(opts.id, opts.shard) : undefined;
    this.#watch = new WatchHub(opts.watchHistory ?? DEFAULT_WATCH_HISTORY, applied);
    this.#pipeline = new WritePipeline({
      send: (msgs) => this.#send(msgs),
      write: (rd) => this.#write(rd),
      durable: (rd) => this.#durable(rd),
      apply: (entries) => this.#apply(entries),
      answer: (applied) => this.#answer(applied),
      finish: (rd) => this.#finish(rd),
      fail: (e) => this.#fail(e),
    });
  }

  /**
   * The production wiring: SQLite under `opts.dir`, TCP on `opts.addrs.raft`,
   * Node's clock and timers, a seeded random source.
   */
  static async start(opts: RaftNodeOptions): Promise<RaftNode> {
    const store = await SqliteStore.open(opts.dir, { durability: opts.durability ?? 'fsync', inMemory: opts.inMemory, applyDelayMs: opts.applyDelayMs ?? DEFAULT_APPLY_DELAY_MS });
    return RaftNode.create(opts, {
      store,
      // Called inside create's try: a bad token (clusterIdentity throws) still closes the store.
      transport: (peers, callbacks) =>
        new TcpTransport({
          id: opts.id,
          identity: clusterIdentity(opts.clusterToken),
          limits: limitsWith(opts.limits),
          listen: opts.addrs.raft,
          ...(opts.tls ? { tls: opts.tls } : {}),
          peers,
          onMessage: (m) => callbacks.onMessage(m),
          onPeerDown: (peer) => callbacks.onPeerDown(peer),
          logger: (event, fields, level) => (level === 'warn' ? opts.logger.warn(event, fields) : opts.logger.debug(event, fields)),
        }),
      clock: realClock,
      rand: new SeededRand(opts.seed ?? (realClock.now() ^ hashId(opts.id))),
    });
  }

  /**
   * A node over the given store, transport, clock and randomness, touching no
   * other I/O (but the forwarder's HTTP requests to the leader). It loads the
   * store (which it owns from here: closed on stop, or here if starting fails),
   * starts the transport and its tick.
   */
  static async create(opts: NodeOptions, deps: NodeDeps): Promise<RaftNode> {
    const { store, clock } = deps;
    try {
      const loaded = await store.load();
      const fresh = loaded.hardState.term === 0 && loaded.entries.length === 0 && !loaded.snapshot;
      const founders = opts.founders;
      const limits = limitsWith(opts.limits);
      // A peer can send any number of impossible messages: their warnings are rate limited.
      const impossibleLog = new LogLimiter(undefined, undefined, () => clock.monotonic());
      const tallies = new NodeTallies();
      const raw = new RawNode(
        {
          id: opts.id,
          rand: deps.rand,
          bootstrap: fresh && founders ? Object.keys(founders) : undefined,
          bootstrapContext: founders ? Object.fromEntries(Object.entries(founders).map(([id, a]) => [id, JSON.stringify(a)])) : undefined,
          electionTicks: opts.electionTicks,
          heartbeatTicks: opts.heartbeatTicks,
          compactionTrailing: opts.compactionTrailing ?? Math.min(5000, opts.snapshotEvery),
          // The chunks this node sends are the size its peers accept (validate.ts allows twice that).
          snapshotChunkBytes: limits.snapshotChunkBytes,
          ...opts.core,
          logger: (event, fields) => {
            // The core's own events are the election counts: it says when it campaigns and when it wins.
            if (event === 'campaign') {
              if (fields.kind === 'pre-election') tallies.preElections++;
              else tallies.elections++;
            } else if (event === 'became leader') tallies.electionsWon++;
            if (event !== IMPOSSIBLE_MESSAGE_DROPPED) return opts.logger.info(event, { ...fields, raft: true });
            const suppressed = impossibleLog.take(event);
            if (suppressed >= 0) opts.logger.warn(event, { ...fields, raft: true, suppressed });
          },
        },
        fresh ? undefined : { hardState: loaded.hardState, entries: loaded.entries, snapshot: loaded.snapshot, applied: loaded.applied },
      );
      const kv = new KvState(loaded.kv, sessionsFromStore(loaded.sessions), undefined, loaded.revs);
      kv.readClock = () => clock.now();
      const peers: Record<string, string> = {};
      for (const [id, a] of Object.entries(founders ?? {})) if (id !== opts.id) peers[id] = a.raft;
      for (const [id, ctx] of kv.members) {
        const a = parseMemberAddrs(ctx);
        if (a && id !== opts.id) peers[id] = a.raft;
      }
      let node: RaftNode | undefined;
      const transport = deps.transport(peers, {
        onMessage: (m) => {
          if (node) node.#onMessage(m);
        },
        onPeerDown: (peer) => {
          // A paused node hears nothing, so it learns nothing either.
          if (node && !node.#paused && !node.#stopped) node.#raw.peerUnreachable(peer);
        },
      });
      node = new RaftNode(opts, raw, store, transport, clock, kv, loaded.applied, loaded.snapshot?.index ?? 0, loaded.hardState, tallies);
      // A leader answers a read by its context, and may answer one sent before this node restarted: number this
      // incarnation's reads where no earlier one's are (from 1 each time, the answer to an old read confirmed a new one).
      node.#nextReadCtx = (((deps.rand.int(2 ** 31) ^ clock.now()) >>> 0) % 2 ** 31) * 2 ** 21 + 1;
      await transport.start();
      node.#tickTimer = clock.setInterval(() => node!.#onTick(), opts.tickMs);
      node.#kick();
      opts.logger.info('node started', { id: opts.id, term: loaded.hardState.term, applied: loaded.applied, lastIndex: raw.status().lastIndex, fresh });
      return node;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  // ---- the node interface used by the fronts ----

  /** Replicate a command; resolves once it is committed on a majority and applied here. */
  async propose(cmd: KvCommand): Promise<KvResult> {
    this.#checkUp();
    const checked = validateCommand(cmd, this.limits);
    this.#guard?.check(commandKeys(checked));
    if (this.#raw.role !== Role.Leader) return this.#forward({ cmd: checked });
    return this.#proposeHere({ cmd: checked });
  }

  /**
   * Propose on this node, which must be the leader: a forwarded command, with
   * its session, lands here. It is checked like any client's: nothing enters
   * the log that the state machine could not apply.
   */
  async proposeLocal(env: Envelope): Promise<KvResult> {
    this.#checkUp();
    return this.#proposeHere(validateEnvelope(env, this.limits));
  }

  #proposeHere(env: Envelope): Promise<KvResult> {
    this.tallies.proposalsReceived++;
    return new Promise((resolve, reject) => {
      // Forwarded batches and the router land here too: never store a key of another shard.
      // (Inside the promise: one misrouted command must fail alone, not its whole batch.)
      this.#guard?.check(commandKeys(env.cmd));
      // The leader's clock decides the entry's time (deadlines, expiry): every replica applies it alike.
      const stamped: Envelope = { ...env, t: this.#clock.now() };
      this.#proposals.push({ env: stamped, data: encodeEnvelope(stamped), resolve, reject });
      this.#kick();
    });
  }

  async #forward(env: Envelope): Promise<KvResult> {
    const sessioned = this.#forwarder.withSession(env);
    this.tallies.proposalsForwarded++;
    return this.#forwarder.run(
      () => this.#leaderAddrs(),
      (addrs) => this.#forwarder.propose(addrs.http, sessioned),
      () => this.#raw.role === Role.Leader,
      () => this.#proposeHere(sessioned),
      sessioned,
    );
  }

  async read(key: string, level: ReadLevel = 'linearizable'): Promise<string | undefined> {
    await this.readBarrier(level, [key]);
    return this.#kv.get(key);
  }

  /**
   * Wait until a read at `level` may be served from this node's state:
   * linearizable = ReadIndex (also on followers: the leader confirms the index);
   * leader = this node must be the leader; stale = at once.
   * `keys` are the keys about to be read: in a sharded cluster, a key of
   * another shard is refused here. Resolves to the state to read (the fronts' read).
   */
  async readBarrier(level: ReadLevel, keys?: readonly string[]): Promise<KvState> {
    this.#checkUp();
    if (keys) this.#guard?.check(keys);
    this.tallies.reads[level]++;
    if (level === 'stale' || this.#unsafeStaleReads) return this.#kv;
    if (level === 'leader') {
      if (this.#raw.role !== Role.Leader) throw this.#notLeaderError();
      return this.#kv;
    }
    const ctx = this.#nextReadCtx++;
    this.#opts.observer?.readStarted(ctx);
    await new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#reads.delete(ctx);
        reject(timeout('linearizable read', this.#requestTimeoutMs));
      }, this.#requestTimeoutMs);
      this.#reads.set(ctx, { resolve, reject, timer, index: -1 });
      try {
        this.#raw.readIndex(ctx);
      } catch (e) {
        this.#clock.clearTimeout(timer);
        this.#reads.delete(ctx);
        reject(toNodeError(e));
        return;
      }
      this.#kick();
    });
    return this.#kv;
  }

  /** The consensus core, read-only: for the simulator's checkers (logs, terms, commit), never to drive it. */
  get core(): RawNode {
    return this.#raw;
  }

  /** Every change applied here, by revision, for watchers (watch-hub.ts). */
  get watch(): WatchHub {
    return this.#watch;
  }

  /** The local state, for reads that already passed their barrier. */
  get kv(): KvState {
    return this.#kv;
  }

  async join(id: string, addrs: MemberAddrs): Promise<{ alreadyMember: boolean }> {
    this.#checkUp();
    const st = this.#raw.status();
    const known = this.#kv.members.get(id);
    if ((st.confState.voters.includes(id) || st.confState.learners.includes(id)) && known !== undefined) {
      const same = JSON.stringify(parseMemberAddrs(known)) === JSON.stringify(addrs);
      if (same && st.confState.voters.includes(id)) return { alreadyMember: true };
      if (!same) throw new NodeError('RAFTKV_ERR_CONF_CHANGE', `${id} is already a member with other addresses (${known})`);
    }
    if (st.role !== Role.Leader) {
      throw this.#notLeaderError();
    }
    // A new node joins as a learner and becomes a voter once it has caught
    // up, so a slow join never costs the cluster its quorum.
    if (!st.confState.learners.includes(id)) {
      await this.#changeMembership({ type: ConfChangeType.AddLearner, node: id, context: JSON.stringify(addrs) });
    }
    await this.#waitCaughtUp(id);
    await this.#changeMembership({ type: ConfChangeType.PromoteLearner, node: id });
    return { alreadyMember: false };
  }

  async remove(id: string): Promise<void> {
    this.#checkUp();
    if (this.#raw.role !== Role.Leader) throw this.#notLeaderError();
    await this.#changeMembership({ type: ConfChangeType.Remove, node: id });
  }

  async transferLeadership(to?: string): Promise<string> {
    this.#checkUp();
    const st = this.#raw.status();
    if (st.role !== Role.Leader) throw this.#notLeaderError();
    let target = to;
    if (!target) {
      // The most caught-up other voter.
      const others = st.confState.voters.filter((v) => v !== this.id);
      if (others.length === 0) throw new NodeError('RAFTKV_ERR_TRANSFER', 'no other voter to transfer to');
      target = others.sort((a, b) => (st.progress[b]?.match ?? 0) - (st.progress[a]?.match ?? 0))[0]!;
    }
    try {
      this.#raw.transferLeadership(target);
    } catch (e) {
      throw toNodeError(e);
    }
    this.#kick();
    const deadline = this.#clock.now() + this.#requestTimeoutMs;
    while (this.#clock.now() < deadline) {
      await sleep(this.#clock, this.#opts.tickMs);
      const now = this.#raw.status();
      if (now.leader === target) return target;
      if (now.role === Role.Leader && now.transferee === '') throw new NodeError('RAFTKV_ERR_TRANSFER', `transfer to ${target} did not complete; ${this.id} is still the leader`);
    }
    throw timeout(`leadership transfer to ${target}`, this.#requestTimeoutMs);
  }

  status(): NodeStatus {
    const st = this.#raw.status();
    const leaderAddrs = this.#leaderAddrs();
    return {
      id: this.id,
      role: st.role,
      term: st.term,
      leader: st.leader,
      leaderHttp: leaderAddrs?.http ?? '',
      commit: st.commit,
      applied: this.#applied,
      firstIndex: st.firstIndex,
      lastIndex: st.lastIndex,
      lastTerm: st.lastTerm,
      snapshotIndex: st.snapshotIndex,
      snapshotTerm: st.snapshotTerm,
      confIndex: st.confIndex,
      voters: st.confState.voters,
      learners: st.confState.learners,
      members: Object.fromEntries([...this.#kv.members].map(([id, ctx]) => [id, parseMemberAddrs(ctx)])),
      lastContactMs: st.role === Role.Leader ? 0 : this.#clock.now() - this.#lastContact,
      keys: this.#kv.keyspace.size,
      // A failed node stands still the way a paused one does, but it was not paused.
      paused: this.#paused && !this.#fatal,
      ...(this.#fatal ? { failed: this.#fatal.message } : {}),
      progress: st.progress,
      addrs: this.#opts.addrs,
      ...(this.#guard ? { shard: this.#guard.shard } : {}),
      // What the peer port refused: a climbing count is a stranger, a bug or a byzantine member.
      peerInput: { ...this.#transport.inboundStats(), impossibleDropped: st.droppedImpossible, stepFailures: this.#stepFailures },
      links: this.#transport.linkStats?.() ?? {},
      ...(this.requests ? { traffic: this.requests.traffic() } : {}),
    };
  }

  /** GET /health's answer (health.ts), with this node's configured bound on the apply lag. */
  health(): Health {
    return healthOf(this.status(), this.#opts.healthMaxApplyLag ?? 1000);
  }

  /** This node's metrics in Prometheus's text format (node-metrics.ts; the registry is made at the first scrape). */
  async metricsText(): Promise<{ contentType: string; text: string }> {
    this.#registry ??= nodeRegistry({
      tallies: this.tallies,
      requests: this.requests,
      status: () => this.status(),
      linkStats: () => this.#transport.linkStats?.() ?? {},
      dataBytes: () => this.#dataBytes(),
    });
    return { contentType: this.#registry.contentType, text: await this.#registry.metrics() };
  }

  #dataBytesCache = { at: -Infinity, bytes: 0 };

  /** Keys and values as JS strings (2 bytes a code unit): a walk of the whole map, so at most once a second. */
  #dataBytes(): number {
    const now = performance.now();
    if (now - this.#dataBytesCache.at < 1000) return this.#dataBytesCache.bytes;
    let n = 0;
    for (const [k, v] of this.#kv.data) n += k.length + v.length;
    this.#dataBytesCache = { at: now, bytes: n * 2 };
    return n * 2;
  }

  /** Stop processing messages and timers, keeping every socket (a long GC pause). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#lastContact = this.#clock.now();
    this.#kick();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get transport(): NodeTransport {
    return this.#transport;
  }

  /** Peer messages the core threw on and that were dropped (see #onMessage). */
  get stepFailures(): number {
    return this.#stepFailures;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pipeline.close();
    this.#abandonRequests(shuttingDown());
    await this.#transport.close();
    await this.#store.close();
  }

  /** Stop ticking and forwarding, and fail every request still waiting (a stop, or a failure). */
  #abandonRequests(err: NodeError): void {
    this.#clock.clearInterval(this.#tickTimer);
    this.tallies.proposalsFailed += this.#proposals.length + this.#waiters.size;
    for (const p of this.#proposals) p.reject(err);
    this.#proposals = [];
    for (const [, w] of this.#waiters) {
      this.#clock.clearTimeout(w.deadline.timer);
      w.reject(err);
    }
    this.#waiters.clear();
    for (const [, r] of this.#reads) {
      this.#clock.clearTimeout(r.timer);
      r.reject(err);
    }
    this.#reads.clear();
    this.#forwarder.close();
    this.#watch.close(err.message);
  }

  // ---- the drive loop ----

  #checkUp(): void {
    if (this.#fatal) throw nodeFailed(this.#fatal.message);
    if (this.#stopped) throw shuttingDown();
  }

  #onTick(): void {
    // A late tick means this thread did not run: past half of an election
    // timeout it is what makes the others elect a new leader, so say so.
    const now = this.#clock.monotonic();
    const gap = now - this.#lastTickAt;
    this.#lastTickAt = now;
    if (gap > this.#stallWarnMs) this.#log.warn('event loop stalled', { id: this.id, ms: Math.round(gap), role: this.#raw.role });
    if (this.#paused || this.#stopped) return;
    this.#raw.tick();
    this.#maybeReap();
    this.#kick();
  }

  /**
   * The leader proposes the deletion of keys whose deadline passed, a batch at
   * a time, one batch in flight (expiry.ts): every replica then deletes them
   * at the same index. Reads already hide them meanwhile.
   */
  #maybeReap(): void {
    if (this.#reaping || this.#raw.role !== Role.Leader || this.#kv.expiry.size === 0) return;
    const due = this.#kv.dueKeys(this.#clock.now(), REAP_BATCH);
    if (due.length === 0) return;
    this.#reaping = true;
    this.#proposeHere({ cmd: { op: 'reap', keys: due } })
      .catch((e: unknown) => this.#log.debug('reap not applied', { id: this.id, error: String(e) }))
      .finally(() => {
        this.#reaping = false;
      });
  }

  #onMessage(m: Message): void {
    if (this.#paused || this.#stopped) return;
    if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) this.#lastContact = this.#clock.now();
    this.tallies.received[m.type]++;
    try {
      this.#raw.step(m);
    } catch (e) {
      // A message comes from outside: whatever the core makes of it, the
      // node must not stop for it (the transport validated it, and the core
      // drops what no correct peer sends, so this is a bug to report loudly).
      // Storage failures still stop the node: they come through #drive.
      this.#stepFailures++;
      const suppressed = this.#stepFailureLog.take('step');
      if (suppressed >= 0) {
        const err = e instanceof Error ? e : new Error(String(e));
        this.#log.error('message dropped: the core failed on it', { id: this.id, type: m.type, from: m.from, term: m.term, error: err.stack ?? err.message, suppressed, failures: this.#stepFailures });
      }
    }
    this.#kick();
  }

  #kick(): void {
    if (this.#driveScheduled || this.#stopped) return;
    this.#driveScheduled = true;
    this.#clock.defer(() => {
      this.#driveScheduled = false;
      this.#drive();
    });
  }

  /**
   * Take every ready the core has and hand it to the write pipeline, which
   * starts its write at once: this does not wait for the disk. The pipeline
   * kicks the loop again as readies finish (the core then has more: commits,
   * acks to send), and it bounds how many may be in flight.
   */
  #drive(): void {
    if (this.#driving || this.#stopped || this.#paused) return;
    this.#driving = true;
    try {
      for (;;) {
        this.#flushProposals();
        if (this.#stopped || this.#pipeline.failed || this.#pipeline.depth >= MAX_WRITES_IN_FLIGHT || !this.#raw.hasReady()) break;
        this.#pipeline.submit(this.#raw.ready());
      }
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#driving = false;
    }
  }

  /**
   * The node cannot go on (its disk refused a write): it must not vote or
   * acknowledge on a log it could not write, yet stopping it outright would
   * leave its users with a refused connection and no reason. So its Raft
   * activity ends here (no ticks, no messages in or out, nothing driven: what
   * a paused node does, and a failed one is never resumed), while its fronts
   * stay up answering RAFTKV_ERR_NODE_FAILED with the reason, until it is
   * stopped or restarted. The store is closed by that stop.
   */
  #fail(e: unknown): void {
    if (this.#stopped || this.#fatal) return;
    this.#fatal = e instanceof Error ? e : new Error(String(e));
    this.#log.error('node failed', { id: this.id, error: this.#fatal.stack ?? this.#fatal.message });
    this.#paused = true;
    this.#pipeline.close();
    this.#abandonRequests(nodeFailed(this.#fatal.message));
    void this.#transport.close();
    this.#opts.onFail?.(this.#fatal.message);
  }

  /** Proposals that arrived since the last ready go in as one batch: one append, one fsync. */
  #flushProposals(): void {
    if (this.#proposals.length === 0) return;
    const batch = this.#proposals;
    this.#proposals = [];
    let ref;
    try {
      ref = this.#raw.proposeBatch(batch.map((p) => p.data));
    } catch (e) {
      const err = toNodeError(e);
      this.tallies.proposalsFailed += batch.length;
      for (const p of batch) p.reject(err);
      return;
    }
    this.#wait(ref.index - batch.length + 1, ref.term, batch, 'write');
  }

  /**
   * Wait for the entries proposed at `first`, `first + 1`, ... in `term`, one
   * client each, under one deadline for them all. A waiter already at one of
   * those indexes is for an entry of an older term that a new leader overwrote
   * before it was applied here (this node proposes at that index again only as
   * a later leader): it is told so, rather than left to its timeout.
   */
  #wait(first: number, term: number, clients: readonly Pick<Waiter, 'resolve' | 'reject'>[], what: string): void {
    const deadline: Deadline = { timer: undefined, pending: clients.length };
    const waiters = clients.map((c): Waiter => ({ term, resolve: c.resolve, reject: c.reject, deadline }));
    deadline.timer = this.#clock.setTimeout(() => {
      waiters.forEach((w, i) => {
        if (this.#waiters.get(first + i) !== w) return;
        this.#waiters.delete(first + i);
        this.tallies.proposalsFailed++;
        w.reject(timeout(what, this.#requestTimeoutMs));
      });
    }, this.#requestTimeoutMs);
    waiters.forEach((w, i) => {
      const old = this.#waiters.get(first + i);
      if (old) {
        this.tallies.proposalsFailed++;
        this.#settled(old);
        old.reject(proposalOverwritten());
      }
      this.#waiters.set(first + i, w);
    });
  }

  /** A waiter was answered: its batch's deadline goes when no waiter of the batch is left. */
  #settled(w: Waiter): void {
    if (--w.deadline.pending === 0) this.#clock.clearTimeout(w.deadline.timer);
  }

  /** The pipeline's write of `rd`: undefined when it holds nothing that must be durable. */
  #write(rd: Ready): Promise<void> | undefined {
    // A hard state whose term and vote are unchanged carries only a newer
    // commit index, which safety does not need on disk (it is learned again
    // from the leader): it is written with the next write instead of costing one.
    if (rd.hardState) this.#unwrittenHard = rd.hardState;
    const hs = this.#unwrittenHard;
    const termOrVote = hs !== undefined && (hs.term !== this.#writtenHard.term || hs.vote !== this.#writtenHard.vote);
    if (rd.entries.length === 0 && !termOrVote && !rd.snapshot && !rd.snapshotChunk) {
      if (this.tallies.timed) this.#writeStarts.push(-1);
      return undefined;
    }
    if (hs) {
      this.#writtenHard = hs;
      this.#unwrittenHard = undefined;
    }
    if (rd.snapshot) this.#installing = rd.snapshot.index;
    if (this.tallies.timed) {
      const started = performance.now();
      this.#writeStarts.push(started);
      if (rd.snapshot) this.#installStartedAt = started;
    }
    return this.#store.persist({ entries: rd.entries, hardState: hs, snapshot: rd.snapshot, snapshotKeepsLog: rd.snapshotKeepsLog, snapshotChunk: rd.snapshotChunk });
  }

  /** `rd` and every earlier ready are on disk: an installed snapshot becomes the state machine. */
  async #durable(rd: Ready): Promise<void> {
    // Readies become durable in the order they were written (#write pushed one start each, -1 for no write):
    // timing it here costs no promise of its own.
    if (this.tallies.timed) {
      const started = this.#writeStarts.shift()!;
      if (started >= 0) this.tallies.persist.observe((performance.now() - started) / 1000);
    }
    if (!rd.snapshot) return;
    const loaded = await this.#store.load();
    if (this.#stopped) return;
    this.#kv = new KvState(loaded.kv, sessionsFromStore(loaded.sessions), undefined, loaded.revs);
    this.#kv.readClock = () => this.#clock.now();
    this.#applied = rd.snapshot.index;
    this.#watch.restored(rd.snapshot.index);
    this.#lastSnapshotIndex = rd.snapshot.index;
    this.#syncPeers();
    this.tallies.snapshotsInstalled++;
    if (this.tallies.timed) this.tallies.snapshotInstall.observe((performance.now() - this.#installStartedAt) / 1000);
    this.#log.info('snapshot restored', { id: this.id, index: rd.snapshot.index, keys: this.#kv.keyspace.size });
    this.#opts.observer?.restored(rd.snapshot.index, this.#kv);
  }

  /** After `rd`'s messages left and its entries were applied: its reads, and the core moves on. */
  #finish(rd: Ready): void {
    // (Never after stop or a failure: both close the pipeline, which then finishes nothing.)
    for (const rs of rd.readStates) {
      this.#opts.observer?.readConfirmed(rs.context, rs.index);
      const r = this.#reads.get(rs.context);
      if (!r) continue;
      r.index = rs.index;
      if (rs.index <= this.#applied) this.#finishRead(rs.context);
      else this.#readsAwaitingApply.push(rs.context);
    }
    for (const ctx of rd.droppedReads) {
      const r = this.#reads.get(ctx);
      if (!r) continue;
      this.#clock.clearTimeout(r.timer);
      this.#reads.delete(ctx);
      r.reject(this.#notLeaderError());
    }
    this.#raw.advance(rd);
    const lead = this.#raw.raft.lead;
    if (lead !== this.#seenLeader) {
      if (lead !== '') this.tallies.leaderChanges++;
      this.#seenLeader = lead;
    }
    this.#maybeSnapshot();
    this.#kick();
  }

  #send(msgs: readonly Message[]): void {
    if (msgs.length === 0) return;
    const plain: Message[] = [];
    const sent = this.tallies.sent;
    for (const m of msgs) {
      sent[m.type]++;
      if (m.type === MessageType.Snap && m.data === undefined) void this.#sendSnapshotChunk(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.#transport.send(plain);
  }

  async #sendSnapshotChunk(m: Message): Promise<void> {
    try {
      const chunk = await this.#store.readSnapshotChunk(m.snapshot!.index, m.offset ?? 0, m.chunkSize ?? this.limits.snapshotChunkBytes);
      if (this.#stopped) return;
      setSnapshotChunk(m, chunk);
      this.#transport.send([m]);
      if ((m.offset ?? 0) === 0) this.#snapshotSendStart.set(m.to, performance.now());
      if (m.last) {
        this.tallies.snapshotsSent++;
        const started = this.#snapshotSendStart.get(m.to);
        if (started !== undefined && this.tallies.timed) this.tallies.snapshotSend.observe((performance.now() - started) / 1000);
        this.#snapshotSendStart.delete(m.to);
      }
    } catch (e) {
      // The snapshot was replaced by a newer one; the leader resends from the new one.
      this.#log.warn('snapshot chunk not sent', { id: this.id, to: m.to, index: m.snapshot?.index, error: String(e) });
    }
  }

  /** Apply committed entries to the state machine (in memory now; the store's copy follows, unawaited). */
  #apply(entries: readonly Entry[]): AppliedEntry<KvResult | undefined>[] {
    const t = this.tallies;
    if (!t.timed) return this.#applyBatch(entries);
    const started = performance.now();
    const results = this.#applyBatch(entries);
    t.apply.observe((performance.now() - started) / 1000);
    return results;
  }

  #applyBatch(entries: readonly Entry[]): AppliedEntry<KvResult | undefined>[] {
    const writes: KvWrite[] = [];
    const sessions: SessionWrite[] = [];
    const results: AppliedEntry<KvResult | undefined>[] = [];
    let membershipChanged = false;
    for (const e of entries) {
      if (e.index <= this.#applied) continue;
      if (e.kind === EntryKind.Normal) {
        let result: KvResult;
        try {
          result = this.#kv.apply(decodeEnvelope(e.data), e.index, writes, sessions);
          if (!result.ok && result.error === 'invalid') this.#log.error('invalid entry skipped', { id: this.id, index: e.index, term: e.term, error: result.message });
        } catch (err) {
          // Undecodable bytes cannot have come from our fronts; skip them, identically on every node.
          result = { ok: false, error: 'invalid', message: `invalid command: entry ${e.index} cannot be decoded` };
          this.#log.error('undecodable entry skipped', { id: this.id, index: e.index, term: e.term, error: String(err) });
        }
        results.push({ entry: e, result });
      } else if (e.kind === EntryKind.ConfChange) {
        this.#applyMembership(decodeConfChange(e.data), writes);
        membershipChanged = true;
        results.push({ entry: e, result: { ok: true } });
      } else {
        results.push({ entry: e, result: undefined });
      }
      // Expire at fixed indexes, never at batch boundaries, so every node agrees.
      if (e.index % 1024 === 0) sessions.push(...this.#kv.expireSessions(e.index));
      this.#opts.observer?.applied(e, results[results.length - 1]!.result, this.#kv);
    }
    const last = entries[entries.length - 1]!.index;
    if (last > this.#applied) {
      const { upserts, expired } = sessionsToStore(sessions);
      // Not awaited: the in-memory state answers at once, and the store runs
      // its calls in order, so this lands before the next log write. Unless a
      // later ready's snapshot install is already queued ahead of it: that
      // snapshot holds these effects, and a batch behind it would take the
      // stored applied index back (the store refuses, and the node failed).
      if (last > this.#installing) this.#store.applyBatch(writes, upserts, last, expired).catch((e: unknown) => this.#fail(e));
      this.#applied = last;
      this.#watch.applied(writes, last);
    }
    if (membershipChanged) this.#syncPeers();
    return results;
  }

  /** Tell the clients waiting on applied entries what became of them; finish reads the state now reaches. */
  #answer(applied: readonly AppliedEntry<KvResult | undefined>[]): void {
    for (const { entry: e, result } of applied) {
      const w = this.#waiters.get(e.index);
      if (!w) continue;
      this.#waiters.delete(e.index);
      this.#settled(w);
      if (w.term === e.term && result) {
        this.tallies.proposalsCommitted++;
        w.resolve(result);
        continue;
      }
      this.tallies.proposalsFailed++;
      if (w.term !== e.term) w.reject(proposalOverwritten());
      else w.reject(new NodeError('RAFTKV_ERR_INTERNAL', `entry ${e.index} could not be applied`));
    }
    if (this.#readsAwaitingApply.length > 0) {
      const still: number[] = [];
      for (const ctx of this.#readsAwaitingApply) {
        const r = this.#reads.get(ctx);
        if (!r) continue;
        if (r.index <= this.#applied) this.#finishRead(ctx);
        else still.push(ctx);
      }
      this.#readsAwaitingApply = still;
    }
  }

  #applyMembership(cc: ConfChange, writes: KvWrite[]): void {
    if (cc.type === ConfChangeType.Remove) this.#kv.setMember(cc.node, null, writes);
    else if (cc.context) this.#kv.setMember(cc.node, cc.context, writes);
  }

  /**
   * Addresses learned out of band (a joining node asks a member for them), so
   * it can answer the leader before the log or a snapshot tells it who is who.
   */
  learnPeers(members: Record<string, MemberAddrs | undefined>): void {
    for (const [id, a] of Object.entries(members)) if (a && id !== this.id && !this.#kv.members.has(id)) this.#transport.setPeer(id, a.raft);
  }

  /** Point the transport at every member the state machine knows (it forgets removed ones). */
  #syncPeers(): void {
    for (const [id, ctx] of this.#kv.members) {
      const a = parseMemberAddrs(ctx);
      if (a && id !== this.id) this.#transport.setPeer(id, a.raft);
    }
    for (const id of this.#raw.status().confState.removed) this.#transport.removePeer(id);
  }

  #finishRead(ctx: number): void {
    const r = this.#reads.get(ctx);
    if (!r) return;
    this.#reads.delete(ctx);
    this.#clock.clearTimeout(r.timer);
    r.resolve();
  }

  #maybeSnapshot(): void {
    if (this.#capturing || this.#applied - this.#lastSnapshotIndex < this.#opts.snapshotEvery) return;
    this.#capturing = true;
    void (async () => {
      try {
        const started = performance.now();
        const snap = await this.#store.captureSnapshot();
        if (this.#stopped) return;
        this.#raw.snapshotCaptured(snap.index, snap.size);
        const meta = this.#raw.raft.log.snapshot;
        if (meta && meta.index === snap.index) {
          await this.#store.recordSnapshot(meta);
          await this.#store.compactLog(this.#raw.status().firstIndex - 1);
        }
        this.#lastSnapshotIndex = snap.index;
        this.tallies.snapshotsTaken++;
        if (this.tallies.timed) this.tallies.snapshotTake.observe((performance.now() - started) / 1000);
      } catch (e) {
        if (!this.#stopped) this.#log.error('snapshot failed', { id: this.id, error: String(e) });
      } finally {
        this.#capturing = false;
      }
    })();
  }

  async #changeMembership(cc: ConfChange): Promise<void> {
    const deadline = this.#clock.now() + this.#requestTimeoutMs;
    let ref;
    for (;;) {
      try {
        ref = this.#raw.proposeConfChange(cc);
        break;
      } catch (e) {
        const err = toNodeError(e);
        // The core takes one change at a time: while entries are unapplied an earlier change may
        // still be pending (two nodes joining at once, or a fresh leader), so wait for it rather
        // than refuse. With everything applied, a refusal is about this change itself.
        const unapplied = this.#raw.status().lastIndex > this.#applied;
        if (err.code !== 'RAFTKV_ERR_CONF_CHANGE' || !unapplied || this.#clock.now() >= deadline) throw err;
        await sleep(this.#clock, this.#opts.tickMs);
        this.#checkUp();
        if (this.#raw.role !== Role.Leader) throw this.#notLeaderError();
      }
    }
    this.#kick();
    await new Promise<KvResult>((resolve, reject) => this.#wait(ref.index, ref.term, [{ resolve, reject }], `membership change (${cc.type} ${cc.node})`));
  }

  async #waitCaughtUp(id: string): Promise<void> {
    const deadline = this.#clock.now() + Math.max(this.#requestTimeoutMs, 60_000);
    while (this.#clock.now() < deadline) {
      const st = this.#raw.status();
      if (st.role !== Role.Leader) throw this.#notLeaderError();
      if (!st.confState.learners.includes(id)) throw new NodeError('RAFTKV_ERR_CONF_CHANGE', `${id} is no longer a learner (removed while it was catching up)`);
      const pr = st.progress[id];
      // At least one entry acknowledged: on a short log "within 64 of the
      // commit" holds from match 0, and a node that never answered (a peer
      // whose certificate the others refuse) would be made a voter.
      if (pr && pr.match >= Math.max(1, st.commit - 64)) return;
      await sleep(this.#clock, this.#opts.tickMs * 2);
    }
    throw timeout(`${id} catching up`, 60_000);
  }

  #leaderAddrs(): MemberAddrs | undefined {
    const leader = this.#raw.leader;
    if (!leader) return undefined;
    if (leader === this.id) return this.#opts.addrs;
    const ctx = this.#kv.members.get(leader);
    return (ctx ? parseMemberAddrs(ctx) : undefined) ?? this.#opts.founders?.[leader];
  }

  #notLeaderError(): NodeError {
    const leader = this.#raw.leader;
    if (!leader) return new NodeError('RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly');
    return new NodeError('RAFTKV_ERR_NOT_LEADER', `not the leader; the leader is ${leader}`, leader);
  }

  /** HTTP address of a member, for redirect hints. */
  httpOf(id: string): string | undefined {
    if (id === this.id) return this.#opts.addrs.http;
    const ctx = this.#kv.members.get(id);
    return (ctx ? parseMemberAddrs(ctx)?.http : undefined) ?? this.#opts.founders?.[id]?.http;
  }
}

/** Sessions are stored as (client, lowest seq, results JSON, index). */
function sessionsFromStore(rows: Map<string, { seq: number; result: string; index: number }>): Map<string, Session> {
  const out = new Map<string, Session>();
  for (const [client, r] of rows) out.set(client, { lowest: r.seq, results: JSON.parse(r.result) as Session['results'], index: r.index });
  return out;
}

function sessionsToStore(writes: SessionWrite[]): { upserts: StoredSessionWrite[]; expired: string[] } {
  const upserts: StoredSessionWrite[] = [];
  const expired: string[] = [];
  for (const w of writes) {
    if (w.session === null) expired.push(w.client);
    else upserts.push({ client: w.client, seq: w.session.lowest, result: JSON.stringify(w.session.results), index: w.session.index });
  }
  return { upserts, expired };
}

/**
 * Readies whose writes may be in flight at once. The store merges writes that
 * queue behind one another into one transaction (one fsync), so a deeper
 * pipeline costs no more disk work; the bound only caps memory when the disk
 * stalls.
 */
const MAX_WRITES_IN_FLIGHT = 64;

/** Keys one reap entry deletes at most. */
const REAP_BATCH = 1000;

function hashId(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

