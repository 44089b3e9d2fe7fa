// The simulated world: one clock (a discrete-event queue), the network, the
// nodes (each the production RaftNode over a simulated disk, network and
// clock: sim-node.ts), the clients, the nemesis. Everything random is drawn
// from one seed, so a seed replays a run exactly.
//
// A run has two phases. The fault phase (`ticks` ticks) has the nemesis
// loose. Then the world heals every partition, calms the network, restarts
// every crashed node, and requires that within `livenessTicks` a leader is
// elected and a new write commits; a few more ticks let clients finish.

import { ConfChangeType, InvariantError, MessageType, Role, SeededRand, type ConfChange, type Message, type NodeId, type RaftConfig } from '../../src/raft/index.js';
import type { MemberAddrs } from '../../src/node/types.js';
import { Clients, type ClientStats } from './clients.js';
import { EventQueue, QUIET_TURNS, TICK } from './event-queue.js';
import { Invariants } from './invariants.js';
import type { Operation } from '../../src/check/linearizability.js';
import { Membership, type MembershipStats } from './membership.js';
import { DEFAULT_FAULTS, FAULT_MIXES, Nemesis, type FaultProfile, type NemesisStats } from './nemesis.js';
import { CALM, Network, type NetStats } from './network.js';
import { SimNode, simAddrs, type NodeHost, type SharedOptions } from './sim-node.js';
import { Trace, fmtTime } from './trace.js';

export interface SimOptions {
  seed: number;
  nodes: 3 | 5;
  /** Length of the fault phase, in ticks. */
  ticks: number;
  faults?: Partial<FaultProfile>;
  /** The fault mix (a key of FAULT_MIXES); drawn from the seed when not given. */
  mix?: string;
  /** Core settings forced over the ones drawn from the seed. */
  core?: Partial<Omit<RaftConfig, 'id' | 'rand' | 'bootstrap'>>;
  /** Applied entries between snapshots, forced over the one drawn from the seed. */
  snapshotEvery?: number;
  /**
   * After healing: ticks allowed to elect a leader and commit a write (300).
   * Recovery is a matter of luck per election round, and some rounds are
   * unlucky for long: without PreVote, after a leader removed itself before
   * the others learned its removal was committed, the rest need every other
   * old voter, while the ones that cannot win keep raising the term (seed
   * 1324 of 3 nodes took 176 ticks; 150 was the bound before).
   */
  livenessTicks?: number;
  /** Events kept in the readable trace. */
  traceSize?: number;
  /** Bound on the linearizability check (ms); a timeout is not a violation. */
  checkTimeoutMs?: number;
  /** Quiet microtask turns that end an event (EventQueue); only tests that this is enough change it. */
  quietTurns?: number;
}

export interface SimStats {
  ticks: number;
  events: number;
  maxTerm: number;
  leaderTerms: number;
  maxCommit: number;
  persists: number;
  snapshotsCaptured: number;
  snapshotsInstalled: number;
  /** Nodes that failed on an injected disk fault (and were restarted). */
  diskFailures: number;
  livenessTicks: number | undefined;
  historyOps: number;
  checkMs: number;
  checkTimedOut: boolean;
  wallMs: number;
  net: NetStats;
  clients: ClientStats;
  nemesis: NemesisStats;
  membership: MembershipStats;
  config: string;
}

export interface SimResult {
  seed: number;
  nodes: number;
  violations: string[];
  /** The last events, readable, oldest first. */
  trace: string[];
  /** A hash of every event of the run: equal for two runs of one seed. */
  fingerprint: string;
  history: Operation[];
  stats: SimStats;
}

const DRAIN_TICKS = 20;
const MAX_EVENTS = 20_000_000;
/** Ticks a request may wait at a node before it times out there (the clients give up a little later). */
const REQUEST_TIMEOUT_TICKS = 40;

type Phase = 'faults' | 'liveness' | 'done';

export class Simulator implements NodeHost {
  readonly queue: EventQueue;
  readonly invariants: Invariants;
  readonly net: Network;
  readonly stats = { snapshotsCaptured: 0, snapshotsInstalled: 0, persists: 0, diskFailures: 0 };
  readonly options: SharedOptions;
  readonly founders: Record<NodeId, MemberAddrs>;
  readonly #opts: Required<Omit<SimOptions, 'faults' | 'core' | 'mix' | 'snapshotEvery'>>;
  readonly #faults: FaultProfile;
  readonly #mix: string;
  readonly #trace: Trace;
  readonly #rand: SeededRand;
  readonly #diskRand: SeededRand;
  readonly #nodeRand: SeededRand;
  readonly #core: Omit<RaftConfig, 'id' | 'rand'>;
  readonly #snapshotEvery: number;
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #clients: Clients;
  readonly #membership: Membership;
  readonly #nemesis: Nemesis;
  readonly #confSeen = new Set<number>();
  /** Session commands ("client/seq") some node applied. */
  readonly #appliedCommands = new Set<string>();
  #phase: Phase = 'faults';
  #events = 0;
  #livenessFrom = 0;
  #probeSeq = 0;
  #probe: { id: number; since: number } | undefined;
  #probeDoneAt: number | undefined;

  constructor(opts: SimOptions) {
    this.#opts = { livenessTicks: 300, traceSize: 60, checkTimeoutMs: 10_000, quietTurns: QUIET_TURNS, ...opts };
    this.queue = new EventQueue(this.#opts.quietTurns);
    this.queue.progress = () => this.#outstanding();
    const root = new SeededRand(opts.seed);
    const cfg = root.fork();
    const mix = cfg.pick(Object.keys(FAULT_MIXES));
    this.#mix = opts.mix ?? mix;
    if (!(this.#mix in FAULT_MIXES)) throw new Error(`unknown fault mix "${this.#mix}"`);
    this.#faults = { ...DEFAULT_FAULTS, ...FAULT_MIXES[this.#mix], ...opts.faults };
    this.#rand = root.fork();
    this.#diskRand = root.fork();
    this.#nodeRand = root.fork();
    this.#trace = new Trace(this.#opts.traceSize);
    this.invariants = new Invariants(() => fmtTime(this.queue.now).trim());
    this.net = new Network(this.queue, root.fork(), (m) => this.#deliver(m), (t) => this.trace(t));
    // The core's knobs vary by seed, small enough that batching limits, compaction and chunked snapshots all happen.
    this.#core = {
      electionTicks: [10, 20],
      heartbeatTicks: 1,
      preVote: cfg.chance(0.85),
      checkQuorum: cfg.chance(0.85),
      maxMsgEntries: cfg.pick([1, 2, 4, 64]),
      maxInflightMsgs: cfg.pick([1, 2, 8, 64]),
      maxApplyBytes: cfg.pick([64, 512, 1 << 20]),
      // Real snapshots (kv rows with member addresses, session results) are bigger than the old toy ones.
      snapshotChunkBytes: cfg.pick([64, 256, 256]),
      compactionTrailing: cfg.int(11),
      ...opts.core,
    };
    // Drawn even when forced, so the draws after it stay those of the seed.
    const snapshotEvery = 10 + cfg.int(21);
    this.#snapshotEvery = opts.snapshotEvery ?? snapshotEvery;
    const c = this.#core;
    this.options = {
      clusterToken: 'raftkv-simulated-cluster',
      tickMs: TICK,
      heartbeatTicks: c.heartbeatTicks!,
      electionTicks: c.electionTicks!,
      snapshotEvery: this.#snapshotEvery,
      compactionTrailing: c.compactionTrailing!,
      requestTimeoutMs: REQUEST_TIMEOUT_TICKS * TICK,
      // The node sends snapshot chunks of its limit's size.
      limits: { snapshotChunkBytes: c.snapshotChunkBytes! },
      core: { preVote: c.preVote, checkQuorum: c.checkQuorum, maxMsgEntries: c.maxMsgEntries, maxInflightMsgs: c.maxInflightMsgs, maxApplyBytes: c.maxApplyBytes },
    };
    const founders = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
    this.founders = Object.fromEntries(founders.map((id) => [id, simAddrs(id)]));
    this.#membership = new Membership(
      {
        queue: this.queue,
        leader: () => this.leader(),
        addNode: (id) => this.#addNode(id, false),
        trace: (t) => this.trace(t),
      },
      root.fork(),
      opts.nodes,
      opts.nodes === 3 ? 4 : 5,
    );
    this.#nemesis = new Nemesis(
      {
        queue: this.queue,
        net: this.net,
        nodes: () => this.nodes(),
        leader: () => this.leader(),
        trace: (t) => this.trace(t),
        faultPhase: () => this.#phase === 'faults',
      },
      root.fork(),
      this.#faults,
      this.#membership,
    );
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5'].slice(0, 3 + cfg.int(3));
    this.#clients = new Clients(
      {
        queue: this.queue,
        nodes: () => this.nodes(),
        node: (id) => this.#nodes.get(id),
        trace: (t) => this.trace(t),
        running: () => this.#phase !== 'done',
        appliedAnywhere: (client, seq) => this.#appliedCommands.has(`${client}/${seq}`),
        violation: (t) => this.invariants.violation(t),
      },
      root.fork(),
      { clients: 3 + cfg.int(3), keys, opTimeoutTicks: REQUEST_TIMEOUT_TICKS + 10 },
    );
  }

  // ---- NodeHost ----

  send(m: Message): void {
    // A vote counts once it is out: a candidate's requests carry its vote for itself.
    if (m.type === MessageType.VoteResp && !m.reject) this.invariants.onVote(m.from, m.term, m.to);
    else if (m.type === MessageType.Vote) this.invariants.onVote(m.from, m.term, m.from);
    this.net.send(m);
  }

  diskDelay(sync: boolean): number {
    const f = this.#faults;
    const r = this.#diskRand;
    const [lo, hi] = r.chance(f.slowDiskChance) ? f.slowDiskTicks : f.persistTicks;
    // Without an fsync a write costs a small part of one (the slow disk still shows).
    return (lo + r.next() * (hi - lo)) * TICK * (sync ? 1 : 0.1);
  }

  trace(text: string): void {
    this.#trace.add(this.queue.now, text);
  }

  onConfApplied(_node: SimNode, cc: ConfChange, index: number): void {
    if (this.#confSeen.has(index)) return;
    this.#confSeen.add(index);
    // Founding entries (AddVoter, written by the core at bootstrap) are not changes the run made.
    if (cc.type !== ConfChangeType.AddVoter) this.#membership.applied(cc);
    this.trace(`membership: ${cc.type} ${cc.node} committed at ${index}`);
    if (cc.type === ConfChangeType.Remove) {
      const removed = this.#nodes.get(cc.node);
      if (removed && !removed.stopped) this.queue.after(this.#rand.next() * 3 * TICK, () => removed.stop());
    }
  }

  onClientApplied(client: string, seq: number): void {
    this.#appliedCommands.add(`${client}/${seq}`);
  }

  onLeaderCommit(node: SimNode): void {
    const r = node.core!.raft;
    const index = r.log.committed;
    const term = r.log.term(index);
    if (term === undefined) return;
    const voters = r.conf.voters.map((id) => ({ id, versions: this.#nodes.get(id)?.logVersions(index, term) ?? [] }));
    this.invariants.onCommit(node.id, r.term, index, term, voters);
  }

  onFailed(node: SimNode): void {
    // A fault injected before the heal can strike after it: that node must come back too.
    if (this.#phase === 'faults') this.#nemesis.restartLater(node);
    else this.queue.after((1 + this.#rand.next() * 3) * TICK, () => node.start());
  }

  // ---- the world ----

  /** Nodes not removed from the cluster, up or down. */
  nodes(): SimNode[] {
    return [...this.#nodes.values()].filter((n) => !n.stopped);
  }

  /** The live node that leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.#nodes.values()) {
      const core = n.core;
      if (core && core.role === Role.Leader && core.raft.term > bestTerm) {
        best = n;
        bestTerm = core.raft.term;
      }
    }
    return best;
  }

  #addNode(id: NodeId, founder: boolean): SimNode {
    const node = new SimNode(this, id, founder, this.#nodeRand.fork());
    this.#nodes.set(id, node);
    node.start();
    return node;
  }

  #deliver(m: Message): void {
    this.#nodes.get(m.to)?.receive(m);
  }

  #worldTick(): void {
    const tick = Math.round(this.queue.now / TICK);
    if (this.#phase === 'faults') {
      this.#nemesis.step();
      if (tick >= this.#opts.ticks) this.#startLiveness();
    } else if (this.#phase === 'liveness') {
      this.#livenessStep();
    }
    if (tick % 5 === 0) this.#checkLogs();
    if (this.#phase !== 'done') this.queue.after(TICK, () => this.#worldTick());
  }

  #checkLogs(): void {
    for (const n of this.#nodes.values()) {
      const core = n.core;
      if (core) this.invariants.checkLog(n.id, core.raft.log);
    }
  }

  /** Readies the cores have handed out and not seen finished, over all nodes up. */
  #outstanding(): number {
    let n = 0;
    for (const node of this.#nodes.values()) n += node.core?.outstanding ?? 0;
    return n;
  }

  #observe(): void {
    for (const n of this.#nodes.values()) n.observe();
  }

  #startLiveness(): void {
    this.#phase = 'liveness';
    this.#livenessFrom = this.queue.now;
    this.net.heal();
    this.net.weather = CALM;
    this.trace('heal: partitions healed, network calm, disks sound, crashed nodes restart');
    for (const n of this.nodes()) {
      n.disk.clearFaults();
      n.start();
    }
  }

  #livenessStep(): void {
    const now = this.queue.now;
    if (this.#probeDoneAt !== undefined) {
      if (now - this.#probeDoneAt >= DRAIN_TICKS * TICK) this.#phase = 'done';
      return;
    }
    if (now - this.#livenessFrom > this.#opts.livenessTicks * TICK) {
      this.invariants.violation(`liveness: no write committed within ${this.#opts.livenessTicks} ticks after healing; ${this.#describeNodes()}`);
      this.#phase = 'done';
      return;
    }
    if (this.#probe && now - this.#probe.since < 30 * TICK) return;
    const leader = this.leader();
    const node = leader?.node;
    if (!leader || !node || leader.paused) return;
    const id = ++this.#probeSeq;
    const probe = (this.#probe = { id, since: now });
    this.trace(`liveness: probe ${id} proposed at ${leader.id}`);
    node.proposeLocal({ cmd: { op: 'set', kv: [['probe', `p${id}`]] } }).then(
      () => {
        this.queue.activity++;
        if (this.#probe !== probe) return;
        this.#probe = undefined;
        this.#probeDoneAt = this.queue.now;
        this.trace(`liveness: probe ${id} committed, ${((this.queue.now - this.#livenessFrom) / TICK).toFixed(1)} ticks after healing`);
      },
      (e: unknown) => {
        this.queue.activity++;
        if (this.#probe === probe) this.#probe = undefined;
        this.trace(`liveness: probe ${id} failed: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  #describeNodes(): string {
    return [...this.#nodes.values()]
      .map((n) => {
        if (n.stopped) return `${n.id}: removed`;
        const r = n.core?.raft;
        if (!r) return `${n.id}: ${n.running ? 'starting' : 'down'} (disk: ${n.disk.describe()})`;
        const c = r.conf;
        return `${n.id}: ${r.role} term=${r.term} leader=${r.lead || '-'} commit=${r.log.committed} applied=${n.applied} last=${r.log.lastIndex()}/t${r.log.lastTerm()} voters=[${c.voters.join(',')}]${c.learners.length ? ` learners=[${c.learners.join(',')}]` : ''}${n.paused ? ' paused' : ''}`;
      })
      .join('; ');
  }

  async run(): Promise<SimResult> {
    const started = performance.now();
    const c = this.#core;
    const config = `faults=${this.#mix} preVote=${c.preVote} checkQuorum=${c.checkQuorum} maxMsgEntries=${c.maxMsgEntries} maxInflightMsgs=${c.maxInflightMsgs} maxApplyBytes=${c.maxApplyBytes} compactionTrailing=${c.compactionTrailing} snapshotEvery=${this.#snapshotEvery} snapshotChunkBytes=${c.snapshotChunkBytes}`;
    this.trace(`start: ${this.#opts.nodes} nodes, ${config}`);
    const limit = (this.#opts.ticks + this.#opts.livenessTicks + DRAIN_TICKS + 10) * TICK;
    try {
      for (const id of Object.keys(this.founders)) this.#addNode(id, true);
      this.#clients.start();
      this.queue.at(0, () => this.#worldTick());
      await this.queue.settle();
      while (this.#phase !== 'done' && this.invariants.ok) {
        const before = this.queue.activity;
        if (!this.queue.runNext(limit)) break;
        if (++this.#events > MAX_EVENTS) {
          this.invariants.violation(`runaway: more than ${MAX_EVENTS} events`);
          break;
        }
        // An event that reached no node (a message cut by a partition, a cleared timer) left nothing to run.
        if (this.queue.activity === before) continue;
        await this.queue.settle();
        this.#observe();
      }
    } catch (e) {
      this.exception(e);
    }
    const phase = this.#phase;
    this.#phase = 'done';
    if (this.invariants.ok) this.#checkLogs();
    const history = this.#clients.history();
    let check = { timedOut: false, ms: 0 };
    if (this.invariants.ok) check = this.invariants.checkHistory(history, this.#opts.checkTimeoutMs);
    if (phase !== 'done' && this.invariants.ok) this.invariants.violation(`the run ended in phase ${phase}`);
    for (const v of this.invariants.violations) this.trace(`VIOLATION ${v.split('\n')[0]}`);
    let maxCommit = 0;
    for (const n of this.#nodes.values()) maxCommit = Math.max(maxCommit, n.core?.raft.log.committed ?? 0);
    return {
      seed: this.#opts.seed,
      nodes: this.#opts.nodes,
      violations: this.invariants.violations,
      trace: this.#trace.lines(),
      fingerprint: this.#trace.fingerprint(),
      history,
      stats: {
        ticks: Math.round(this.queue.now / TICK),
        events: this.#events,
        maxTerm: Math.max(0, ...[...this.#nodes.values()].map((n) => n.disk.hardState.term)),
        leaderTerms: this.invariants.leaderTerms,
        maxCommit,
        persists: this.stats.persists,
        snapshotsCaptured: this.stats.snapshotsCaptured,
        snapshotsInstalled: this.stats.snapshotsInstalled,
        diskFailures: this.stats.diskFailures,
        livenessTicks: this.#probeDoneAt === undefined ? undefined : Math.round((this.#probeDoneAt - this.#livenessFrom) / TICK),
        historyOps: history.length,
        checkMs: Math.round(check.ms),
        checkTimedOut: check.timedOut,
        wallMs: Math.round(performance.now() - started),
        net: this.net.stats,
        clients: this.#clients.stats,
        nemesis: this.#nemesis.stats,
        membership: this.#membership.stats,
        config,
      },
    };
  }

  /** The simulator itself threw (in an event, or in a callback of the node's promises): the run fails with it. */
  exception(e: unknown): void {
    if (e instanceof InvariantError) {
      this.invariants.violation(`core invariant: ${e.message}\n${stackHead(e)}`);
    } else {
      this.invariants.violation(`exception: ${e instanceof Error ? `${e.message}\n${stackHead(e)}` : String(e)}`);
    }
  }
}

function stackHead(e: Error): string {
  return (e.stack ?? '').split('\n').slice(1, 7).join('\n');
}
