// One simulated machine: the production RaftNode (src/node/raft-node.ts),
// created with RaftNode.create over a simulated disk, network and clock, and
// its disk, which outlives it. A crash abandons the node object: its timers,
// deferred work, messages and disk completions never reach it again (Life),
// and its disk loses every call not yet completed. A restart creates a new
// RaftNode over the same disk, as a process restart does.
//
// The simulator sees inside the node only through its observer (applied
// entries, restored snapshots, confirmed reads) and its read-only core, and
// talks to it only through its public API: proposeLocal, read, join, remove,
// transferLeadership.

import {
  EntryKind,
  IMPOSSIBLE_MESSAGE_DROPPED,
  Role,
  decodeConfChange,
  type ConfChange,
  type Message,
  type NodeId,
  type RawNode,
  type SeededRand,
} from '../../src/raft/index.js';
import type { NodeObserver } from '../../src/node/deps.js';
import { NodeError } from '../../src/common/errors.js';
import { decodeEnvelope, type Envelope, type KvResult, type KvState } from '../../src/node/kv-state.js';
import type { Logger } from '../../src/common/logger.js';
import { toTagged } from '../../src/node/types/json.js';
import type { TypedValue } from '../../src/node/types/values.js';
import { RaftNode, type NodeOptions } from '../../src/node/raft-node.js';
import type { MemberAddrs } from '../../src/node/types.js';
import type { EventQueue } from './event-queue.js';
import type { Invariants, LogVersion } from './invariants.js';
import { Life, SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { SimTransport } from './sim-transport.js';
import { fmtEntry, fmtTime } from './trace.js';

export type WriteOutcome =
  | { kind: 'applied'; result: KvResult }
  /** It never entered the log, or its log slot was applied holding another entry: it took no effect. */
  | { kind: 'failed'; why: string; leader: string }
  /** It may or may not take effect. */
  | { kind: 'unknown'; why: string };
export type ReadOutcome = { kind: 'value'; value: string | null } | { kind: 'failed'; why: string; leader: string };

/** The options every node of a run shares (the rest is per node). */
export type SharedOptions = Omit<NodeOptions, 'id' | 'addrs' | 'founders' | 'logger' | 'observer' | 'onFail'>;

/** The world a node lives in. */
export interface NodeHost {
  readonly queue: EventQueue;
  readonly invariants: Invariants;
  readonly options: SharedOptions;
  /** The founders and their addresses. */
  readonly founders: Record<NodeId, MemberAddrs>;
  send(m: Message): void;
  /** How long the next disk call takes, in time units: one that syncs (a log write) or not. */
  diskDelay(sync: boolean): number;
  trace(text: string): void;
  onConfApplied(node: SimNode, cc: ConfChange, index: number): void;
  /** Some node applied client `client`'s command `seq`. */
  onClientApplied(client: string, seq: number): void;
  /** `node` is a leader whose commit index just advanced. */
  onLeaderCommit(node: SimNode): void;
  /** `node` failed on an injected disk fault and was taken down: restart it later. */
  onFailed(node: SimNode): void;
  /** The simulator threw in a callback of the node's promises (the run fails with it). */
  exception(e: unknown): void;
  readonly stats: { snapshotsCaptured: number; snapshotsInstalled: number; persists: number; diskFailures: number };
}

/** Thrown to a caller whose request reaches a node that is down, still starting, or frozen. */
export class NodeDownError extends Error {
  constructor(id: NodeId) {
    super(`${id} is down`);
  }
}

/** The addresses a simulated node announces; never dialled (the network finds peers by id). */
export function simAddrs(id: NodeId): MemberAddrs {
  return { raft: `${id}:raft`, http: `${id}:http` };
}

interface InFlight {
  abandon(why: string): void;
}

type State = 'down' | 'starting' | 'up';

export class SimNode {
  readonly id: NodeId;
  readonly founder: boolean;
  readonly disk: SimDisk;
  readonly #host: NodeHost;
  readonly #rand: SeededRand;
  readonly #wallOffset: number;
  #state: State = 'down';
  #life: Life | undefined;
  #node: RaftNode | undefined;
  #transport: SimTransport | undefined;
  /** The core, and its protocol object, while up (read after every event and microtask turn). */
  #core: RawNode | undefined;
  #raft: RawNode['raft'] | undefined;
  #pausedUntil = 0;
  #seen = { role: Role.Follower, term: 0, lead: '', commit: 0 };
  /** The last index applied (or restored) by this life. */
  #applied = 0;
  /** Linearizable reads started in this life: read context -> the highest commit index anywhere when it began. */
  readonly #readFloors = new Map<number, number>();
  /** The floor of the read being started (observer.readStarted binds it to its context). */
  #startingFloor: number | undefined;
  readonly #inFlight = new Set<InFlight>();
  /** Removed from the cluster: never restarts. */
  stopped = false;

  constructor(host: NodeHost, id: NodeId, founder: boolean, rand: SeededRand) {
    this.#host = host;
    this.id = id;
    this.founder = founder;
    this.#rand = rand;
    // Machines' wall clocks disagree by up to a few ticks.
    this.#wallOffset = 1_700_000_000_000 + rand.int(1000);
    this.disk = new SimDisk(id, host);
  }

  /** Up and serving (created, not crashed). */
  get alive(): boolean {
    return this.#state === 'up';
  }

  /** Up, or being created (its disk is being read). */
  get running(): boolean {
    return this.#state !== 'down';
  }

  /** The production node while up. */
  get node(): RaftNode | undefined {
    return this.#node;
  }

  /** Its consensus core, read-only, while up. */
  get core(): RawNode | undefined {
    return this.#core;
  }

  get applied(): number {
    return this.#applied;
  }

  get paused(): boolean {
    return this.#host.queue.now < this.#pausedUntil;
  }

  /** Start fresh, or restart from what the disk holds: a new RaftNode (it reads the disk first). */
  start(): void {
    if (this.#state !== 'down' || this.stopped) return;
    const host = this.#host;
    const life = new Life(host.queue, () => this.#pausedUntil);
    this.#life = life;
    this.#state = 'starting';
    this.#pausedUntil = 0;
    this.#readFloors.clear();
    // What the node will load: nothing writes this disk between the crash and the load.
    this.#applied = this.disk.applied;
    const rand = this.#rand.fork();
    const clock = new SimClock(host.queue, life, rand.fork(), this.#wallOffset);
    const coreRand = rand.fork();
    const linkRand = rand.fork();
    const opts: NodeOptions = {
      ...host.options,
      id: this.id,
      addrs: simAddrs(this.id),
      founders: this.founder ? host.founders : undefined,
      logger: this.#logger(life),
      observer: this.#observer(life),
      onFail: (reason) => this.#failed(life, reason),
    };
    host.trace(`${this.id} ${this.disk.empty ? 'starts' : 'restarts'}: ${this.disk.describe()}`);
    host.queue.activity++;
    RaftNode.create(opts, {
      store: this.disk.open(life),
      clock,
      rand: coreRand,
      transport: (_peers, callbacks) => (this.#transport = new SimTransport(this.id, { send: (m) => host.send(m), touch: () => host.queue.activity++ }, life, callbacks, linkRand)),
    }).then(
      (node) => {
        if (life.dead) return;
        this.#node = node;
        this.#state = 'up';
        this.#core = node.core;
        const r = (this.#raft = node.core.raft);
        if (r.log.applied !== this.#applied) host.invariants.violation(`${this.id} loaded applied index ${r.log.applied}, its disk says ${this.#applied}`);
        this.#seen = { role: r.role, term: r.term, lead: r.lead, commit: r.log.committed };
        host.invariants.observeTerm(r.term);
        // The state read back from the disk must be the state every node had at that index.
        host.invariants.onRestore(this.id, this.#applied, digest(node.kv));
        host.trace(`${this.id} is up: term=${r.term} applied=${this.#applied} log=${r.log.firstIndex()}..${r.log.lastIndex()}`);
      },
      (e: unknown) => {
        if (!life.dead) host.invariants.violation(`${this.id} could not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      },
    );
  }

  /** The process dies: everything not on disk is lost, and every request in flight ends without an answer. */
  crash(why = 'crashes'): void {
    if (this.#state === 'down') return;
    this.#life!.dead = true;
    this.#life = undefined;
    this.#node = undefined;
    this.#core = undefined;
    this.#raft = undefined;
    this.#transport = undefined;
    this.#state = 'down';
    const lost = this.disk.crash();
    this.#host.trace(`${this.id} ${why}${lost > 0 ? ` (${lost} disk call${lost > 1 ? 's' : ''} lost)` : ''}`);
    const inFlight = [...this.#inFlight];
    this.#inFlight.clear();
    for (const op of inFlight) op.abandon('node crashed');
  }

  /** Removed from the cluster: shut down for good. */
  stop(): void {
    this.crash('stops (removed from the cluster)');
    this.stopped = true;
  }

  /**
   * Freeze the process (a long GC pause, a stopped VM) until `until`: its
   * timers, deferred work, incoming messages and disk completions wait for it.
   */
  pause(until: number): void {
    until = Math.ceil(until);
    if (!this.alive || until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#host.trace(`${this.id} pauses until ${fmtTime(until).trim()}`);
  }

  /** A message from the network. */
  receive(m: Message): void {
    this.#transport?.deliver(m);
  }

  /** This node's connection to `peer` broke (TcpTransport's onPeerDown). */
  peerDown(peer: NodeId): void {
    this.#transport?.peerDown(peer);
  }

  // ---- requests, through the node's own API ----

  /** Propose `env` here (the caller believes this node leads); `done` hears what became of it. False if the node is down or frozen (nothing sent). */
  write(env: Envelope, done: (o: WriteOutcome) => void): boolean {
    const node = this.#reachable();
    if (!node) return false;
    const settle = this.#track<WriteOutcome>(done, (why) => ({ kind: 'unknown', why }));
    node.proposeLocal(env).then(
      (result) => settle({ kind: 'applied', result }),
      (e: unknown) => settle(writeFailure(e)),
    );
    return true;
  }

  /** A linearizable read of `key` here (ReadIndex, on followers too). False if the node is down or frozen (nothing sent). */
  read(key: string, done: (o: ReadOutcome) => void): boolean {
    const node = this.#reachable();
    if (!node) return false;
    const settle = this.#track<ReadOutcome>(done, (why) => ({ kind: 'failed', why, leader: '' }));
    // What was committed anywhere when the read began; the node names the read (readStarted) inside read().
    this.#startingFloor = this.#host.invariants.maxCommit;
    const reading = node.read(key, 'linearizable');
    this.#startingFloor = undefined;
    reading.then(
      (value) => settle({ kind: 'value', value: value ?? null }),
      (e: unknown) => settle({ kind: 'failed', why: describeError(e), leader: e instanceof NodeError ? e.leader : '' }),
    );
    return true;
  }

  /** Call the node's API (join, remove, transfer); throws NodeDownError. A crash leaves the promise pending forever. */
  call<T>(fn: (node: RaftNode) => Promise<T>): Promise<T> {
    const node = this.#reachable();
    if (!node) throw new NodeDownError(this.id);
    return fn(node);
  }

  #reachable(): RaftNode | undefined {
    const node = this.#node;
    if (!node || this.paused) return undefined;
    // Into node code: the run loop must let its microtasks run (EventQueue.activity).
    this.#host.queue.activity++;
    return node;
  }

  /** `done` once: at the node's answer, or with `lost(why)` if the node crashes first. */
  #track<O>(done: (o: O) => void, lost: (why: string) => O): (o: O) => void {
    const q = this.#host.queue;
    let settled = false;
    // Called from promise callbacks and from inside the node (onFail): a throw must reach the run, not the node.
    const answer = (o: O): void => {
      try {
        done(o);
      } catch (e) {
        this.#host.exception(e);
      }
    };
    const op: InFlight = {
      abandon: (why) => {
        if (settled) return;
        settled = true;
        answer(lost(why));
      },
    };
    this.#inFlight.add(op);
    return (o) => {
      q.activity++;
      if (settled) return;
      settled = true;
      this.#inFlight.delete(op);
      answer(o);
    };
  }

  // ---- what the checkers see ----

  #observer(life: Life): NodeObserver {
    const host = this.#host;
    const inv = host.invariants;
    return {
      applied: (e, _result, kv) => {
        if (life.dead) return;
        host.queue.activity++;
        if (e.index !== this.#applied + 1) inv.onApplyGap(this.id, e.index, this.#applied);
        this.#applied = e.index;
        inv.onApply(this.id, e, digest(kv));
        if (e.kind === EntryKind.ConfChange) {
          host.onConfApplied(this, decodeConfChange(e.data), e.index);
        } else if (e.kind === EntryKind.Normal) {
          const env = decodeEnvelope(e.data);
          if (env.c !== undefined && env.s !== undefined) host.onClientApplied(env.c, env.s);
        }
        host.trace(`${this.id} applied ${fmtEntry(e)}`);
      },
      restored: (index, kv) => {
        if (life.dead) return;
        host.queue.activity++;
        this.#applied = index;
        host.stats.snapshotsInstalled++;
        inv.onRestore(this.id, index, digest(kv));
        host.trace(`${this.id} restored the snapshot at ${index}`);
      },
      readStarted: (context) => {
        if (life.dead) return;
        if (this.#startingFloor === undefined) inv.violation(`${this.id} started read ${context} outside a read of the simulator`);
        else if (this.#readFloors.has(context)) inv.violation(`${this.id} started read ${context} twice in one life`);
        else this.#readFloors.set(context, this.#startingFloor);
      },
      readConfirmed: (context, index) => {
        if (life.dead) return;
        host.queue.activity++;
        const floor = this.#readFloors.get(context);
        if (floor === undefined) inv.violation(`${this.id} confirmed read ${context}, which this life never started`);
        else inv.onReadConfirmed(this.id, context, index, floor);
      },
    };
  }

  #logger(life: Life): Logger {
    const host = this.#host;
    const inv = host.invariants;
    return {
      debug: () => {},
      info: (event) => {
        if (event === 'snapshot captured' && !life.dead) host.stats.snapshotsCaptured++;
      },
      warn: (event, fields) => {
        // The simulated network forges nothing, so a message the core drops as
        // impossible (two leaders in a term, entries that contradict the
        // committed log...) means a broken rule somewhere.
        if (event === IMPOSSIBLE_MESSAGE_DROPPED && !life.dead) {
          inv.violation(`core dropped an impossible message: ${String(fields?.reason)} (at ${this.id}, term ${String(fields?.term)}, ${String(fields?.type)} from ${String(fields?.from)})`);
        }
      },
      error: (event, fields) => {
        // A failed node is judged by onFail (an injected disk fault or not); any other error is a bug.
        if (event === 'node failed' || life.dead) return;
        inv.violation(`${this.id} logged an error: ${event} ${JSON.stringify(fields ?? {})}`);
      },
    };
  }

  #failed(life: Life, reason: string): void {
    if (life.dead) return;
    const injected = this.disk.broken;
    if (!injected) this.#host.invariants.violation(`${this.id} failed without an injected disk fault: ${reason}`);
    this.#host.stats.diskFailures++;
    this.crash(`fails (${reason}) and is taken down`);
    if (injected) this.#host.onFailed(this);
  }

  /** Report what changed in the core since the last event to the checkers (and the trace). */
  observe(): void {
    const r = this.#raft;
    if (!r) return;
    const seen = this.#seen;
    const inv = this.#host.invariants;
    const commit = r.log.committed;
    const prevCommit = seen.commit;
    if (commit !== prevCommit) inv.observeCommit(commit);
    if (r.role !== seen.role || r.term !== seen.term || r.lead !== seen.lead) {
      inv.observeTerm(r.term);
      this.#host.trace(`${this.id} is ${r.role} term=${r.term} leader=${r.lead || '-'} last=${r.log.lastIndex()}/t${r.log.lastTerm()} commit=${commit}`);
      if (r.role === Role.Leader && (seen.role !== Role.Leader || seen.term !== r.term)) inv.onLeader(this.id, r.term, r.log);
      this.#seen = { role: r.role, term: r.term, lead: r.lead, commit };
    } else {
      seen.commit = commit;
    }
    if (r.role === Role.Leader && commit > prevCommit) this.#host.onLeaderCommit(this);
  }

  /** The logs this node may hold when it next campaigns or votes: in memory (if up), and on disk. */
  logVersions(index: number, term: number): LogVersion[] {
    const versions: LogVersion[] = [];
    const log = this.core?.raft.log;
    if (log) {
      const holds = index <= (log.snapshot?.index ?? 0) || index < log.firstIndex() || log.term(index) === term;
      versions.push({ where: 'memory', lastIndex: log.lastIndex(), lastTerm: log.lastTerm(), holds });
    }
    versions.push(this.disk.version(index, term));
    return versions;
  }
}

/**
 * What a refused or failed proposal says about whether it can have taken
 * effect. Only answers that prove it never will are 'failed' (the history
 * then leaves it out); anything else is 'unknown', since a wrong 'failed'
 * would make the linearizability checker lie.
 */
export function writeFailure(e: unknown): WriteOutcome {
  if (e instanceof NodeError) {
    switch (e.code) {
      // flushProposals (client-requests.ts): the core refused the batch (not the leader, a
      // transfer under way, too much uncommitted), so nothing was appended.
      case 'RAFTKV_ERR_NOT_LEADER':
      case 'RAFTKV_ERR_NO_LEADER':
      case 'RAFTKV_ERR_BUSY':
      // That, or its slot (index, term) was applied holding an entry of
      // another term: an entry lives at one (index, term) only, so it was
      // applied nowhere, and no node will ever apply it.
      case 'RAFTKV_ERR_PROPOSAL_DROPPED':
        return { kind: 'failed', why: e.code, leader: e.leader };
      default:
        // TIMEOUT, SHUTTING_DOWN, NODE_FAILED, INTERNAL: it may be in the log.
        return { kind: 'unknown', why: e.code };
    }
  }
  return { kind: 'unknown', why: describeError(e) };
}

function describeError(e: unknown): string {
  if (e instanceof NodeError) return e.code;
  return e instanceof Error ? e.message : String(e);
}

/** The key-value contents as a string: equal digests at one index mean equal states. */
export function digest(kv: KvState): string {
  const keys = [...kv.data.keys()].sort();
  let s = '';
  // Revisions and deadlines too: every replica must agree on them as on the values.
  for (const k of keys) s += `${k}=${kv.data.get(k)}@${kv.revs.get(k) ?? 0}${kv.expiry.get(k) === undefined ? '' : `~${kv.expiry.get(k)}`};`;
  // The data types' values, with their revisions and deadlines (clients.ts writes some beside the checked keys).
  for (const k of [...kv.keyspace.values.keys()].sort()) {
    s += `${k}:${canonical(kv.keyspace.values.get(k)!)}@${kv.revs.get(k) ?? 0}${kv.expiry.get(k) === undefined ? '' : `~${kv.expiry.get(k)}`};`;
  }
  return s;
}

/** A typed value whatever order its maps were filled in (a replica that reloaded its rows fills them in another). */
function canonical(v: TypedValue): string {
  const t = toTagged(v);
  if (t.t !== 'list') (t.v as unknown[]).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  return JSON.stringify(t);
}
