// Simulated clients and the history they record. Each client runs one
// operation at a time (put / get / delete / compare-and-set on a few keys,
// every written value unique) against the node it believes leads, or a
// random one; NOT_LEADER hints redirect it. Only operations that may have
// taken effect enter the history: a request refused before anything was
// proposed is left out, and so is a write whose log slot went to another
// entry. A write with no answer in time, or whose node crashed, is recorded
// as unknown, and the client goes on under a fresh client id (the checker
// needs each client's operations to be sequential).

import { RaftError, type NodeId, type SeededRand } from '../../src/raft/index.js';
import { TICK, type EventQueue } from './event-queue.js';
import type { KvInput, Operation } from '../../src/check/linearizability.js';
import { NodeDownError, isNotLeader, type ReadOutcome, type SimNode, type WriteOutcome } from './sim-node.js';
import type { WriteCommand } from './state-machine.js';

export interface ClientHost {
  readonly queue: EventQueue;
  /** Nodes a client may talk to (members or not, up or down). */
  nodes(): SimNode[];
  node(id: NodeId): SimNode | undefined;
  trace(text: string): void;
  /** Whether clients should start new operations. */
  running(): boolean;
}

export interface ClientOptions {
  clients: number;
  keys: string[];
  /** Ticks after which an operation without an answer ends as unknown. */
  opTimeoutTicks: number;
}

export interface ClientStats {
  ok: number;
  unknown: number;
  /** Unknown writes left out of the history because their slot never held them anywhere. */
  unknownNeverApplied: number;
  /** Proposed, but the log slot went to another entry. */
  failed: number;
  refused: number;
  reads: number;
  readsFailed: number;
}

interface Recorded {
  op: Operation;
  /** A definite failure: not part of the history. */
  excluded: boolean;
  /** For a write: where it was proposed. */
  ref?: { index: number; term: number };
}

export class Clients {
  readonly stats: ClientStats = { ok: 0, unknown: 0, unknownNeverApplied: 0, failed: 0, refused: 0, reads: 0, readsFailed: 0 };
  readonly #host: ClientHost;
  readonly #rand: SeededRand;
  readonly #opts: ClientOptions;
  readonly #records: Recorded[] = [];
  #nextClientId = 1;
  #nextValue = 1;
  #nextRead = 1;
  /** The last value seen for each key (written or read), for compare-and-set guesses. */
  readonly #lastSeen = new Map<string, string | null>();
  readonly #written = new Map<string, string[]>();

  constructor(host: ClientHost, rand: SeededRand, opts: ClientOptions) {
    this.#host = host;
    this.#rand = rand;
    this.#opts = opts;
  }

  start(): void {
    for (let i = 0; i < this.#opts.clients; i++) new Client(this, i + 1).next();
  }

  /**
   * The history so far; ops still running are unknown. A write whose result
   * the client never learned is left out when its log slot (index, term)
   * was never applied anywhere: it took no effect in this run, which is the
   * same as taking effect after everything else. That keeps the checker's
   * search small: unknown writes are what makes it expensive.
   */
  history(appliedTerm: (index: number) => number | undefined = () => undefined): Operation[] {
    const out: Operation[] = [];
    for (const r of this.#records) {
      if (r.excluded) continue;
      if ('unknown' in r.op.output && r.ref && appliedTerm(r.ref.index) !== r.ref.term) {
        this.stats.unknownNeverApplied++;
        continue;
      }
      out.push(r.op);
    }
    return out;
  }

  get host(): ClientHost {
    return this.#host;
  }

  get rand(): SeededRand {
    return this.#rand;
  }

  get opts(): ClientOptions {
    return this.#opts;
  }

  newClientId(): number {
    return this.#nextClientId++;
  }

  newReadContext(): number {
    return this.#nextRead++;
  }

  record(op: Operation, ref?: { index: number; term: number }): Recorded {
    const r: Recorded = { op, excluded: false, ref };
    this.#records.push(r);
    return r;
  }

  saw(key: string, value: string | null): void {
    this.#lastSeen.set(key, value);
  }

  /** A random operation on a random key. */
  nextInput(): KvInput {
    const r = this.#rand;
    const key = r.pick(this.#opts.keys);
    const p = r.next();
    if (p < 0.4) return { op: 'get', key };
    if (p < 0.5) return { op: 'delete', key };
    const value = `v${this.#nextValue++}`;
    let list = this.#written.get(key);
    if (!list) this.#written.set(key, (list = []));
    list.push(value);
    if (p < 0.8) return { op: 'put', key, value };
    const q = r.next();
    const expect = q < 0.6 ? (this.#lastSeen.get(key) ?? null) : q < 0.8 || list.length < 2 ? null : r.pick(list.slice(-4, -1));
    return { op: 'cas', key, expect, value };
  }
}

class Client {
  readonly #all: Clients;
  readonly #slot: number;
  #clientId: number;
  #opSeq = 0;
  #leader: NodeId = '';

  constructor(all: Clients, slot: number) {
    this.#all = all;
    this.#slot = slot;
    this.#clientId = all.newClientId();
  }

  next(delayTicks = this.#all.rand.next() * 2): void {
    this.#all.host.queue.after(delayTicks * TICK, () => {
      if (this.#all.host.running()) this.#attempt(this.#all.nextInput(), 0);
    });
  }

  #pickNode(): SimNode | undefined {
    const host = this.#all.host;
    const r = this.#all.rand;
    if (this.#leader && r.chance(0.8)) {
      const n = host.node(this.#leader);
      if (n && !n.stopped) return n;
    }
    const nodes = host.nodes();
    return nodes.length > 0 ? r.pick(nodes) : undefined;
  }

  /** A request that was not even started: retry at the hinted leader, or back off. */
  #refused(input: KvInput, tries: number, e: unknown): void {
    this.#all.stats.refused++;
    if (isNotLeader(e) && e.leader && tries < 3) {
      this.#leader = e.leader;
      this.#all.host.queue.after(TICK * (0.1 + this.#all.rand.next() * 0.4), () => this.#attempt(input, tries + 1));
      return;
    }
    if (!(e instanceof RaftError) && !(e instanceof NodeDownError)) throw e;
    this.#leader = '';
    this.next(1 + this.#all.rand.next() * 3);
  }

  #attempt(input: KvInput, tries: number): void {
    if (!this.#all.host.running()) return;
    const node = this.#pickNode();
    if (!node) return this.next(2);
    if (input.op === 'get') this.#read(node, input, tries);
    else this.#write(node, input, tries);
  }

  #read(node: SimNode, input: Extract<KvInput, { op: 'get' }>, tries: number): void {
    const all = this.#all;
    const host = all.host;
    const ctx = all.newReadContext();
    const call = host.queue.now;
    let settled = false;
    const done = (o: ReadOutcome): void => {
      if (settled) return;
      settled = true;
      if (o.kind === 'value') {
        all.stats.reads++;
        all.record({ clientId: this.#clientId, input, output: { ok: true, value: o.value }, call, return: host.queue.now });
        all.saw(input.key, o.value);
        host.trace(`c${this.#slot} (client ${this.#clientId}) get ${input.key} at ${node.id} -> ${o.value ?? 'absent'}`);
      } else {
        // A read that was never answered constrains nothing: leave it out.
        all.stats.readsFailed++;
      }
      this.next();
    };
    try {
      node.read(ctx, input.key, done);
    } catch (e) {
      this.#refused(input, tries, e);
      return;
    }
    host.queue.after(all.opts.opTimeoutTicks * TICK, () => done({ kind: 'failed' }));
  }

  #write(node: SimNode, input: Exclude<KvInput, { op: 'get' }>, tries: number): void {
    const all = this.#all;
    const host = all.host;
    const cmd = toCommand(input, this.#clientId, ++this.#opSeq);
    let ref;
    try {
      ref = node.propose(cmd);
    } catch (e) {
      this.#refused(input, tries, e);
      return;
    }
    this.#leader = node.id;
    const rec = all.record({ clientId: this.#clientId, input, output: { unknown: true }, call: host.queue.now, return: Infinity }, ref);
    const what = `c${this.#slot} (client ${this.#clientId}) ${describe(input)} at ${node.id} as ${ref.index}/t${ref.term}`;
    host.trace(`${what} proposed`);
    let settled = false;
    const done = (o: WriteOutcome | { kind: 'timeout' }): void => {
      if (settled) return;
      settled = true;
      switch (o.kind) {
        case 'applied':
          all.stats.ok++;
          rec.op.return = host.queue.now;
          rec.op.output = input.op === 'cas' ? { ok: true, swapped: o.result?.swapped === true } : { ok: true };
          if (input.op === 'delete') all.saw(input.key, null);
          else if (input.op === 'put' || o.result?.swapped) all.saw(input.key, input.value);
          host.trace(`${what} -> ok${input.op === 'cas' ? (o.result?.swapped ? ' swapped' : ' not swapped') : ''}`);
          break;
        case 'failed':
          all.stats.failed++;
          rec.excluded = true;
          host.trace(`${what} -> lost its slot`);
          break;
        default:
          all.stats.unknown++;
          host.trace(`${what} -> unknown (${o.kind === 'timeout' ? 'timed out' : 'node crashed'})`);
          this.#clientId = all.newClientId();
          this.#opSeq = 0;
          this.#leader = '';
      }
      this.next();
    };
    node.waitWrite(ref, cmd, done);
    host.queue.after(all.opts.opTimeoutTicks * TICK, () => done({ kind: 'timeout' }));
  }
}

function toCommand(input: Exclude<KvInput, { op: 'get' }>, client: number, op: number): WriteCommand {
  switch (input.op) {
    case 'put':
      return { client, op, kind: 'put', key: input.key, value: input.value };
    case 'delete':
      return { client, op, kind: 'delete', key: input.key };
    case 'cas':
      return { client, op, kind: 'cas', key: input.key, expect: input.expect, value: input.value };
  }
}

function describe(input: KvInput): string {
  switch (input.op) {
    case 'put':
      return `put ${input.key}=${input.value}`;
    case 'delete':
      return `delete ${input.key}`;
    case 'cas':
      return `cas ${input.key} ${input.expect ?? 'absent'}->${input.value}`;
    case 'get':
      return `get ${input.key}`;
  }
}
