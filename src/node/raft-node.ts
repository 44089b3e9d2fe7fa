import { IMPOSSIBLE_MESSAGE_DROPPED, RawNode, Role, SeededRand, type HardState } from '../raft/index.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { LogLimiter } from '../transport/log-limiter.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { realClock, type Clock } from './clock.js';
import type { NodeDeps, NodeStore, NodeTransport } from './deps.js';
import { shuttingDown } from '../common/errors.js';
import { Forwarder } from './forwarder.js';
import { validateCommand, validateEnvelope } from './command-validation.js';
import type { Envelope, KvCommand, KvResult, KvState } from './kv-state.js';
import { DEFAULT_APPLY_DELAY_MS } from '../storage/types.js';
import { clusterIdentity, type ClusterIdentity } from '../common/cluster-identity.js';
import { limitsWith, type Limits } from '../common/limits.js';
import { DEFAULT_WATCH_HISTORY, WatchHub } from './watch-hub.js';
import { internalHttp } from '../security/internal-http.js';
import { parseMemberAddrs, type MemberAddrs, type NodeStatus, type ReadLevel } from './types.js';
import { NodeTallies, nodeRegistry } from './node-metrics.js';
import { RequestMeter } from './request-meter.js';
import { metricsEnabled } from './metric-tallies.js';
import { healthOf, type Health } from './health.js';
import type { Registry } from 'prom-client';
import type { NodeOptions, RaftNodeOptions } from './node-options.js';
import { NodeContext } from './node-context.js';
import { ClientRequests } from './client-requests.js';
import { LinearizableReads } from './linearizable-reads.js';
import { Applier } from './applier.js';
import { Snapshots } from './snapshots.js';
import { Membership, httpOf, leaderAddrs } from './membership.js';
import { DriveLoop } from './drive-loop.js';
import { kvFromStore } from './stored-state.js';

export type { NodeOptions, RaftNodeOptions } from './node-options.js';

/**
 * One Raft node at run time: it drives the core (ticks, steps, persists,
 * sends, applies), keeps the key-value state in memory with its store
 * (SQLite in production) as the durable copy, and offers the small interface
 * the HTTP and RESP fronts use. Its store, transport, clock and randomness
 * come in as NodeDeps (deps.ts): start() wires the production ones.
 *
 * The work is done by pieces, one concern each, sharing the state in one
 * NodeContext (node-context.ts): the drive loop (drive-loop.ts), client
 * requests (client-requests.ts), reads (linearizable-reads.ts), apply
 * (applier.ts), snapshots (snapshots.ts) and membership (membership.ts).
 * This class builds them and is the one the rest of the code uses.
 */
export class RaftNode {
  readonly id: string;
  readonly #ctx: NodeContext;
  readonly #loop: DriveLoop;
  readonly #clients: ClientRequests;
  readonly #reads: LinearizableReads;
  readonly #membership: Membership;
  readonly identity: ClusterIdentity;
  readonly limits: Limits;
  /** What /metrics and the dashboard read (node-metrics.ts): plain counts, added to per batch where the node batches. */
  readonly tallies: NodeTallies;
  /** The fronts' requests (request-meter.ts); none with RAFTKV_METRICS=off. */
  readonly requests: RequestMeter | undefined = metricsEnabled() ? new RequestMeter() : undefined;
  /** The consensus core, read-only: for the simulator's checkers (logs, terms, commit), never to drive it. */
  readonly core: RawNode;
  /** Every change applied here, by revision, for watchers (watch-hub.ts). */
  readonly watch: WatchHub;
  /** Its peer links (the launcher cuts and degrades them through their filter). */
  readonly transport: NodeTransport;
  #registry: Registry | undefined;

  private constructor(opts: NodeOptions, raw: RawNode, store: NodeStore, transport: NodeTransport, clock: Clock, kv: KvState, applied: number, snapshotIndex: number, hard: HardState, tallies: NodeTallies) {
    this.id = opts.id;
    this.tallies = tallies;
    this.identity = clusterIdentity(opts.clusterToken);
    this.limits = limitsWith(opts.limits);
    this.core = raw;
    this.transport = transport;
    const watch = new WatchHub(opts.watchHistory ?? DEFAULT_WATCH_HISTORY, applied);
    this.watch = watch;
    const ctx = new NodeContext(opts, { raw, store, transport, clock, tallies, limits: this.limits, watch, kv, applied, snapshotIndex });
    this.#ctx = ctx;
    const forwarder = new Forwarder(opts.id, ctx.requestTimeoutMs, opts.clusterToken, clock, internalHttp(opts.tls?.ca));
    this.#clients = new ClientRequests(ctx, forwarder);
    this.#reads = new LinearizableReads(ctx);
    this.#membership = new Membership(ctx, this.#clients);
    const snapshots = new Snapshots(ctx, this.#membership);
    const applier = new Applier(ctx, this.#membership);
    this.#loop = new DriveLoop(ctx, { clients: this.#clients, reads: this.#reads, applier, snapshots, forwarder }, hard);
    ctx.driver = this.#loop;
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
      const kv = kvFromStore(loaded, clock);
      const peers: Record<string, string> = {};
      for (const [id, a] of Object.entries(founders ?? {})) if (id !== opts.id) peers[id] = a.raft;
      for (const [id, ctx] of kv.members) {
        const a = parseMemberAddrs(ctx);
        if (a && id !== opts.id) peers[id] = a.raft;
      }
      let node: RaftNode | undefined;
      const transport = deps.transport(peers, {
        onMessage: (m) => {
          if (node) node.#loop.onMessage(m);
        },
        onPeerDown: (peer) => {
          // A paused node hears nothing, so it learns nothing either.
          if (node && !node.#ctx.paused && !node.#ctx.stopped) raw.peerUnreachable(peer);
        },
      });
      node = new RaftNode(opts, raw, store, transport, clock, kv, loaded.applied, loaded.snapshot?.index ?? 0, loaded.hardState, tallies);
      // A leader answers a read by its context, and may answer one sent before this node restarted: number this
      // incarnation's reads where no earlier one's are (from 1 each time, the answer to an old read confirmed a new one).
      node.#reads.nextContext = (((deps.rand.int(2 ** 31) ^ clock.now()) >>> 0) % 2 ** 31) * 2 ** 21 + 1;
      await transport.start();
      node.#loop.start();
      node.#loop.kick();
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
    const ctx = this.#ctx;
    ctx.checkUp();
    const checked = validateCommand(cmd, this.limits);
    ctx.keyGuard?.checkCommand(checked);
    if (ctx.raw.role !== Role.Leader) return this.#clients.forward({ cmd: checked });
    return this.#clients.proposeHere({ cmd: checked });
  }

  /**
   * Propose on this node, which must be the leader: a forwarded command, with
   * its session, lands here. It is checked like any client's: nothing enters
   * the log that the state machine could not apply.
   */
  async proposeLocal(env: Envelope): Promise<KvResult> {
    this.#ctx.checkUp();
    return this.#clients.proposeHere(validateEnvelope(env, this.limits));
  }

  async read(key: string, level: ReadLevel = 'linearizable'): Promise<string | undefined> {
    await this.#reads.barrier(level, [key]);
    return this.#ctx.kv.get(key);
  }

  /**
   * Wait until a read at `level` may be served from this node's state:
   * linearizable = ReadIndex (also on followers: the leader confirms the index);
   * leader = this node must be the leader; stale = at once.
   * `keys` are the keys about to be read: in a sharded cluster, a key of
   * another shard is refused here. Resolves to the state to read (the fronts' read).
   */
  readBarrier(level: ReadLevel, keys?: readonly string[]): Promise<KvState> {
    return this.#reads.barrier(level, keys);
  }

  /** The local state (replaced whole by a snapshot install), for reads that already passed their barrier. */
  get kv(): KvState {
    return this.#ctx.kv;
  }

  join(id: string, addrs: MemberAddrs): Promise<{ alreadyMember: boolean }> {
    return this.#membership.join(id, addrs);
  }

  remove(id: string): Promise<void> {
    return this.#membership.remove(id);
  }

  transferLeadership(to?: string): Promise<string> {
    return this.#membership.transferLeadership(to);
  }

  status(): NodeStatus {
    const ctx = this.#ctx;
    const st = ctx.raw.status();
    const leader = leaderAddrs(ctx);
    return {
      id: this.id,
      role: st.role,
      term: st.term,
      leader: st.leader,
      leaderHttp: leader?.http ?? '',
      commit: st.commit,
      applied: ctx.applied,
      firstIndex: st.firstIndex,
      lastIndex: st.lastIndex,
      lastTerm: st.lastTerm,
      snapshotIndex: st.snapshotIndex,
      snapshotTerm: st.snapshotTerm,
      confIndex: st.confIndex,
      voters: st.confState.voters,
      learners: st.confState.learners,
      members: Object.fromEntries([...ctx.kv.members].map(([id, known]) => [id, parseMemberAddrs(known)])),
      lastContactMs: st.role === Role.Leader ? 0 : ctx.clock.now() - ctx.lastContact,
      keys: ctx.kv.keyspace.size,
      // A failed node stands still the way a paused one does, but it was not paused.
      paused: ctx.paused && !ctx.fatal,
      ...(ctx.fatal ? { failed: ctx.fatal.message } : {}),
      progress: st.progress,
      addrs: ctx.opts.addrs,
      ...(ctx.keyGuard ? { shard: ctx.keyGuard.shard } : {}),
      // What the peer port refused: a climbing count is a stranger, a bug or a byzantine member.
      peerInput: { ...ctx.transport.inboundStats(), impossibleDropped: st.droppedImpossible, stepFailures: this.#loop.stepFailures },
      links: ctx.transport.linkStats?.() ?? {},
      ...(this.requests ? { traffic: this.requests.traffic() } : {}),
    };
  }

  /** GET /health's answer (health.ts), with this node's configured bound on the apply lag. */
  health(): Health {
    return healthOf(this.status(), this.#ctx.opts.healthMaxApplyLag ?? 1000);
  }

  /** This node's metrics in Prometheus's text format (node-metrics.ts; the registry is made at the first scrape). */
  async metricsText(): Promise<{ contentType: string; text: string }> {
    this.#registry ??= nodeRegistry({
      tallies: this.tallies,
      requests: this.requests,
      status: () => this.status(),
      linkStats: () => this.#ctx.transport.linkStats?.() ?? {},
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
    for (const [k, v] of this.#ctx.kv.data) n += k.length + v.length;
    this.#dataBytesCache = { at: now, bytes: n * 2 };
    return n * 2;
  }

  /** Stop processing messages and timers, keeping every socket (a long GC pause). */
  pause(): void {
    this.#ctx.paused = true;
  }

  resume(): void {
    const ctx = this.#ctx;
    ctx.paused = false;
    ctx.lastContact = ctx.clock.now();
    this.#loop.kick();
  }

  get stopped(): boolean {
    return this.#ctx.stopped;
  }

  async stop(): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.stopped) return;
    ctx.stopped = true;
    this.#loop.close(shuttingDown());
    await ctx.transport.close();
    await ctx.store.close();
  }

  /**
   * Addresses learned out of band (a joining node asks a member for them), so
   * it can answer the leader before the log or a snapshot tells it who is who.
   */
  learnPeers(members: Record<string, MemberAddrs | undefined>): void {
    this.#membership.learnPeers(members);
  }

  /** HTTP address of a member, for redirect hints. */
  httpOf(id: string): string | undefined {
    return httpOf(this.#ctx, id);
  }
}

function hashId(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}
