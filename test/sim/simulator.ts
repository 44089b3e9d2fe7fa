// The simulated world: one clock (a discrete-event queue), the network, the
// nodes, the clients, the nemesis. Everything random is drawn from one seed,
// so a seed replays a run exactly.
//
// A run has two phases. The fault phase (`ticks` ticks) has the nemesis
// loose. Then the world heals every partition, calms the network, restarts
// every crashed node, and requires that within `livenessTicks` a leader is
// elected and a new write commits; a few more ticks let clients finish.

import { ConfChangeType, IMPOSSIBLE_MESSAGE_DROPPED, InvariantError, MessageType, Role, SeededRand, type ConfChange, type Message, type NodeId, type RaftConfig } from '../../src/raft/index.js';
import { Clients, type ClientStats } from './clients.js';
import { EventQueue, TICK } from './event-queue.js';
import { Invariants } from './invariants.js';
import type { Operation } from '../../src/check/linearizability.js';
import { Membership, type MembershipStats } from './membership.js';
import { DEFAULT_FAULTS, FAULT_MIXES, Nemesis, type FaultProfile, type NemesisStats } from './nemesis.js';
import { CALM, Network, type NetStats } from './network.js';
import { SimNode, type NodeHost } from './sim-node.js';
import type { ProbeCommand } from './state-machine.js';
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
  /** After healing: ticks allowed to elect a leader and commit a write. */
  livenessTicks?: number;
  /** Events kept in the readable trace. */
  traceSize?: number;
  /** Bound on the linearizability check (ms); a timeout is not a violation. */
  checkTimeoutMs?: number;
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

type Phase = 'faults' | 'liveness' | 'done';

export class Simulator implements NodeHost {
  readonly queue = new EventQueue();
  readonly invariants: Invariants;
  readonly net: Network;
  readonly stats = { snapshotsCaptured: 0, snapshotsInstalled: 0, persists: 0 };
  readonly snapshotEvery: number;
  readonly compactionTrailing: number;
  readonly #opts: Required<Omit<SimOptions, 'faults' | 'core' | 'mix'>>;
  readonly #faults: FaultProfile;
  readonly #mix: string;
  readonly #trace: Trace;
  readonly #rand: SeededRand;
  readonly #diskRand: SeededRand;
  readonly #nodeRand: SeededRand;
  readonly #core: Omit<RaftConfig, 'id' | 'rand'>;
  readonly #founders: NodeId[];
  readonly #nodes = new Map<NodeId, SimNode>();
  readonly #clients: Clients;
  readonly #membership: Membership;
  readonly #nemesis: Nemesis;
  readonly #confSeen = new Set<number>();
  #phase: Phase = 'faults';
  #events = 0;
  #livenessFrom = 0;
  #probeSeq = 0;
  #probe: { id: number; since: number } | undefined;
  #probeDoneAt: number | undefined;

  constructor(opts: SimOptions) {
    this.#opts = { livenessTicks: 150, traceSize: 60, checkTimeoutMs: 10_000, ...opts };
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
      snapshotChunkBytes: 64,
      compactionTrailing: cfg.int(11),
      ...opts.core,
    };
    this.compactionTrailing = this.#core.compactionTrailing!;
    this.snapshotEvery = 10 + cfg.int(21);
    this.#founders = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
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
      },
      root.fork(),
      { clients: 3 + cfg.int(3), keys, opTimeoutTicks: 40 },
    );
  }

  // ---- NodeHost ----

  send(m: Message): void {
    // A vote counts once it is out: a candidate's requests carry its vote for itself.
    if (m.type === MessageType.VoteResp && !m.reject) this.invariants.onVote(m.from, m.term, m.to);
    else if (m.type === MessageType.Vote) this.invariants.onVote(m.from, m.term, m.from);
    this.net.send(m);
  }

  persistDelay(): number {
    const f = this.#faults;
    const r = this.#diskRand;
    const [lo, hi] = r.chance(f.slowDiskChance) ? f.slowDiskTicks : f.persistTicks;
    return (lo + r.next() * (hi - lo)) * TICK;
  }

  trace(text: string): void {
    this.#trace.add(this.queue.now, text);
  }

  coreConfig(id: NodeId, founder: boolean, rand: SeededRand): RaftConfig {
    return { ...this.#core, id, rand, bootstrap: founder ? this.#founders : undefined, logger: (event, fields) => this.#coreEvent(event, fields) };
  }

  /**
   * The simulated network forges nothing, so a message the core drops as
   * impossible (two leaders in a term, entries that contradict the committed
   * log...) means a broken rule somewhere: the run fails, as it did when the
   * core threw on them.
   */
  #coreEvent(event: string, fields: Record<string, unknown>): void {
    if (event !== IMPOSSIBLE_MESSAGE_DROPPED) return;
    this.invariants.violation(`core dropped an impossible message: ${String(fields.reason)} (at ${String(fields.id)}, term ${String(fields.term)}, ${String(fields.type)} from ${String(fields.from)})`);
  }

  tickInterval(rand: SeededRand): number {
    return TICK - 5 + rand.int(11);
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

  onLeaderCommit(node: SimNode): void {
    const r = node.raw!.raft;
    const index = r.log.committed;
    const term = r.log.term(index);
    if (term === undefined) return;
    const voters = r.conf.voters.map((id) => ({ id, versions: this.#nodes.get(id)?.logVersions(index, term) ?? [] }));
    this.invariants.onCommit(node.id, r.term, index, term, voters);
  }

  // ---- the world ----

  /** Nodes not removed from the cluster, up or down. */
  nodes(): SimNode[] {
    return [...this.#nodes.values()].filter((n) => !n.stopped);
  }

  /** The live node that leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.#nodes.values()) {
      const r = n.raw?.raft;
      if (r && r.role === Role.Leader && (!best || r.term > best.raw!.raft.term)) best = n;
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
      const r = n.raw?.raft;
      if (r) this.invariants.checkLog(n.id, r.log);
    }
  }

  #startLiveness(): void {
    this.#phase = 'liveness';
    this.#livenessFrom = this.queue.now;
    this.net.heal();
    this.net.weather = CALM;
    this.trace('heal: partitions healed, network calm, crashed nodes restart');
    for (const n of this.nodes()) n.start();
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
    if (!leader) return;
    const cmd: ProbeCommand = { kind: 'probe', probe: ++this.#probeSeq };
    let ref;
    try {
      ref = leader.propose(cmd);
    } catch {
      return;
    }
    const probe = (this.#probe = { id: cmd.probe, since: now });
    this.trace(`liveness: probe ${cmd.probe} proposed at ${leader.id} as ${ref.index}/t${ref.term}`);
    leader.waitWrite(ref, cmd, (o) => {
      if (this.#probe !== probe) return;
      this.#probe = undefined;
      if (o.kind !== 'applied') return;
      this.#probeDoneAt = this.queue.now;
      this.trace(`liveness: probe ${cmd.probe} committed, ${((this.queue.now - this.#livenessFrom) / TICK).toFixed(1)} ticks after healing`);
    });
  }

  #describeNodes(): string {
    return [...this.#nodes.values()]
      .map((n) => {
        if (n.stopped) return `${n.id}: removed`;
        const r = n.raw?.raft;
        if (!r) return `${n.id}: down`;
        const c = r.conf;
        return `${n.id}: ${r.role} term=${r.term} leader=${r.lead || '-'} commit=${r.log.committed} applied=${n.applied} last=${r.log.lastIndex()}/t${r.log.lastTerm()} voters=[${c.voters.join(',')}]${c.learners.length ? ` learners=[${c.learners.join(',')}]` : ''}`;
      })
      .join('; ');
  }

  run(): SimResult {
    const started = performance.now();
    const c = this.#core;
    const config = `faults=${this.#mix} preVote=${c.preVote} checkQuorum=${c.checkQuorum} maxMsgEntries=${c.maxMsgEntries} maxInflightMsgs=${c.maxInflightMsgs} maxApplyBytes=${c.maxApplyBytes} compactionTrailing=${c.compactionTrailing} snapshotEvery=${this.snapshotEvery}`;
    this.trace(`start: ${this.#opts.nodes} nodes, ${config}`);
    const limit = (this.#opts.ticks + this.#opts.livenessTicks + DRAIN_TICKS + 10) * TICK;
    try {
      for (const id of this.#founders) this.#addNode(id, true);
      this.#clients.start();
      this.queue.at(0, () => this.#worldTick());
      while (this.#phase !== 'done' && this.invariants.ok) {
        if (!this.queue.runNext(limit)) break;
        if (++this.#events > MAX_EVENTS) {
          this.invariants.violation(`runaway: more than ${MAX_EVENTS} events`);
          break;
        }
      }
    } catch (e) {
      this.#exception(e);
    }
    const phase = this.#phase;
    this.#phase = 'done';
    if (this.invariants.ok) this.#checkLogs();
    const history = this.#clients.history((i) => this.invariants.appliedTerm(i));
    let check = { timedOut: false, ms: 0 };
    if (this.invariants.ok) check = this.invariants.checkHistory(history, this.#opts.checkTimeoutMs);
    if (phase !== 'done' && this.invariants.ok) this.invariants.violation(`the run ended in phase ${phase}`);
    for (const v of this.invariants.violations) this.trace(`VIOLATION ${v.split('\n')[0]}`);
    let maxCommit = 0;
    for (const n of this.#nodes.values()) maxCommit = Math.max(maxCommit, n.raw?.raft.log.committed ?? 0);
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

  #exception(e: unknown): void {
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
