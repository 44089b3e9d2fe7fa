// Simulated clients of the production node's API, and the history they
// record. Each client runs one operation at a time (put / get / delete /
// compare-and-set on a few keys, every written value unique) against the node
// it believes leads, or a random one; NOT_LEADER hints redirect it.
//
// Writes go through node.proposeLocal with a real client session (Envelope
// c/s/a, the way forwarded writes travel): when an attempt's fate is unknown
// (a timeout, a crash) the client retries the same sequence number on the
// leader, and the state machine applies it at most once and answers the retry
// with the first result (kv-state.ts, Raft thesis §6.3). Reads are
// node.read(key, 'linearizable'), on followers too (ReadIndex).
//
// Only operations that may have taken effect enter the history: a write
// refused before anything was proposed, or whose log slot went to another
// entry, is left out, and so is a read without an answer. A write that never
// got a definite answer is recorded as unknown, and the client goes on under
// a fresh client id (the checker needs each client's operations to be
// sequential).

import type { NodeId, SeededRand } from '../../src/raft/index.js';
import type { Envelope, KvCommand, KvResult } from '../../src/node/kv-state.js';
import { TICK, type EventQueue } from './event-queue.js';
import type { KvInput, KvOutput, Operation } from '../../src/check/linearizability.js';
import type { ReadOutcome, SimNode, WriteOutcome } from './sim-node.js';

export interface ClientHost {
  readonly queue: EventQueue;
  /** Nodes a client may talk to (members or not, up or down). */
  nodes(): SimNode[];
  node(id: NodeId): SimNode | undefined;
  trace(text: string): void;
  /** Whether clients should start new operations. */
  running(): boolean;
  /** Whether any node applied command `seq` of session `client`. */
  appliedAnywhere(client: string, seq: number): boolean;
  /** A write answered with something no correct node says (a harness or node bug). */
  violation(text: string): void;
}

export interface ClientOptions {
  clients: number;
  keys: string[];
  /** Ticks after which an attempt without an answer counts as unknown. */
  opTimeoutTicks: number;
}

export interface ClientStats {
  ok: number;
  unknown: number;
  /** Unknown writes left out of the history because no node ever applied them. */
  unknownNeverApplied: number;
  /** Proposed, but provably not applied: its slot went to another entry, or the core would not take it (a transfer, too much uncommitted). */
  failed: number;
  /** Not even proposed: the node was down or frozen, or knew it was not the leader. */
  refused: number;
  /** Writes sent again with the same session sequence after an unknown answer. */
  retries: number;
  /** Of those, the ones answered at last. */
  retriesAnswered: number;
  reads: number;
  readsFailed: number;
}

/** Attempts per write: the first and up to two retries. */
const MAX_ATTEMPTS = 3;

interface Recorded {
  op: Operation;
  /** A definite failure: not part of the history. */
  excluded: boolean;
  /** The session command, to ask whether it was applied anywhere. */
  session?: { client: string; seq: number };
}

export class Clients {
  readonly stats: ClientStats = { ok: 0, unknown: 0, unknownNeverApplied: 0, failed: 0, refused: 0, retries: 0, retriesAnswered: 0, reads: 0, readsFailed: 0 };
  readonly #host: ClientHost;
  readonly #rand: SeededRand;
  readonly #opts: ClientOptions;
  readonly #records: Recorded[] = [];
  #nextClientId = 1;
  #nextValue = 1;
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
   * The history so far; ops still running are unknown. An unknown write that
   * no node ever applied is left out: it took no effect in this run, which is
   * the same as taking effect after everything else. That keeps the
   * checker's search small: unknown writes are what makes it expensive.
   */
  history(): Operation[] {
    const out: Operation[] = [];
    for (const r of this.#records) {
      if (r.excluded) continue;
      if ('unknown' in r.op.output && r.session && !this.#host.appliedAnywhere(r.session.client, r.session.seq)) {
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

  record(op: Operation, session?: { client: string; seq: number }): Recorded {
    const r: Recorded = { op, excluded: false, session };
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

type WriteInput = Exclude<KvInput, { op: 'get' }>;

/** One write of a client, over its attempts. */
interface Write {
  input: WriteInput;
  env: Envelope;
  what: string;
  rec: Recorded | undefined;
  attempts: number;
  /** Some attempt ended without a definite answer: it may have been applied. */
  uncertain: boolean;
  done: boolean;
}

class Client {
  readonly #all: Clients;
  readonly #slot: number;
  #clientId: number;
  #seq = 0;
  #leader: NodeId = '';

  constructor(all: Clients, slot: number) {
    this.#all = all;
    this.#slot = slot;
    this.#clientId = all.newClientId();
  }

  next(delayTicks = this.#all.rand.next() * 2): void {
    this.#all.host.queue.after(delayTicks * TICK, () => {
      if (!this.#all.host.running()) return;
      const input = this.#all.nextInput();
      if (input.op === 'get') this.#read(input, 0);
      else this.#startWrite(input);
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

  #soon(fn: () => void): void {
    this.#all.host.queue.after(TICK * (0.1 + this.#all.rand.next() * 0.4), fn);
  }

  #read(input: Extract<KvInput, { op: 'get' }>, tries: number): void {
    const all = this.#all;
    const host = all.host;
    const node = this.#pickNode();
    if (!node) return this.next(2);
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
        this.next();
        return;
      }
      // A read that was never answered constrains nothing: leave it out.
      all.stats.readsFailed++;
      if (o.leader && tries < 2 && host.running()) {
        this.#leader = o.leader;
        this.#soon(() => this.#read(input, tries + 1));
        return;
      }
      if (o.why === 'RAFTKV_ERR_NO_LEADER') return this.#backOff();
      this.next();
    };
    if (!node.read(input.key, done)) {
      all.stats.refused++;
      return this.#backOff();
    }
    host.queue.after(all.opts.opTimeoutTicks * TICK, () => done({ kind: 'failed', why: 'no answer', leader: '' }));
  }

  #startWrite(input: WriteInput): void {
    const seq = ++this.#seq;
    const client = `c${this.#clientId}`;
    // One command outstanding at a time: everything below it is acknowledged.
    const env: Envelope = { c: client, s: seq, a: seq, cmd: withTypedWrites(toCommand(input), input, seq) };
    const w: Write = { input, env, what: `c${this.#slot} (client ${this.#clientId}) ${describe(input)}`, rec: undefined, attempts: 0, uncertain: false, done: false };
    this.#attempt(w);
  }

  #attempt(w: Write): void {
    const all = this.#all;
    const host = all.host;
    if (!host.running()) return;
    const node = this.#pickNode();
    if (!node) return this.#refused(w);
    const attempt = ++w.attempts;
    let settled = false;
    const answered = (o: WriteOutcome): void => {
      if (settled) return;
      settled = true;
      this.#answered(w, node.id, o);
    };
    if (!node.write(w.env, answered)) {
      w.attempts--;
      return this.#refused(w);
    }
    if (attempt > 1) all.stats.retries++;
    w.rec ??= all.record({ clientId: this.#clientId, input: w.input, output: { unknown: true }, call: host.queue.now, return: Infinity }, { client: w.env.c!, seq: w.env.s! });
    host.trace(`${w.what} sent to ${node.id}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
    host.queue.after(all.opts.opTimeoutTicks * TICK, () => answered({ kind: 'unknown', why: 'no answer in time' }));
  }

  /** No leader to be found: wait a little longer before the next operation. */
  #backOff(): void {
    this.#leader = '';
    this.next(1 + this.#all.rand.next() * 3);
  }

  /** The node was down or frozen: nothing was sent. */
  #refused(w: Write): void {
    const all = this.#all;
    all.stats.refused++;
    this.#leader = '';
    if (w.rec === undefined) return this.next(1 + all.rand.next() * 3);
    // An earlier attempt is in doubt: keep trying the same command for a while.
    if (w.attempts < MAX_ATTEMPTS) return this.#all.host.queue.after(TICK * (1 + all.rand.next() * 3), () => this.#attempt(w));
    this.#finishUnknown(w, 'no node to retry on');
  }

  #answered(w: Write, at: NodeId, o: WriteOutcome): void {
    if (w.done) return;
    const all = this.#all;
    const host = all.host;
    switch (o.kind) {
      case 'applied':
        this.#applied(w, at, o.result);
        return;
      case 'failed':
        host.trace(`${w.what} at ${at} -> not applied (${o.why})`);
        if (o.leader) this.#leader = o.leader;
        break;
      case 'unknown':
        host.trace(`${w.what} at ${at} -> unknown (${o.why})`);
        w.uncertain = true;
        this.#leader = '';
        break;
    }
    if (w.attempts < MAX_ATTEMPTS && host.running() && (w.uncertain || (o.kind === 'failed' && o.leader))) {
      this.#soon(() => this.#attempt(w));
      return;
    }
    if (w.uncertain) return this.#finishUnknown(w, o.why);
    w.done = true;
    w.rec!.excluded = true;
    if (o.why === 'RAFTKV_ERR_NOT_LEADER' || o.why === 'RAFTKV_ERR_NO_LEADER') {
      all.stats.refused++;
      return this.#backOff();
    }
    all.stats.failed++;
    this.next();
  }

  #applied(w: Write, at: NodeId, result: KvResult): void {
    const all = this.#all;
    const host = all.host;
    w.done = true;
    if (!result.ok) {
      host.violation(`${w.what} at ${at}: the state machine answered ${JSON.stringify(result)}`);
      return this.#finishUnknown(w, 'refused by the state machine');
    }
    this.#leader = at;
    const output = outputOf(w.input, result);
    const rec = w.rec!;
    rec.op.return = host.queue.now;
    rec.op.output = output;
    all.stats.ok++;
    if (w.attempts > 1) all.stats.retriesAnswered++;
    const input = w.input;
    if (input.op === 'delete') all.saw(input.key, null);
    else if (input.op === 'put' || ('swapped' in output && output.swapped)) all.saw(input.key, input.value);
    host.trace(`${w.what} at ${at} -> ok${'swapped' in output ? (output.swapped ? ' swapped' : ' not swapped') : ''}`);
    this.next();
  }

  #finishUnknown(w: Write, why: string): void {
    const all = this.#all;
    w.done = true;
    all.stats.unknown++;
    all.host.trace(`${w.what} stays unknown (${why})`);
    // Its op may still take effect: later ops of this client would overlap it.
    this.#clientId = all.newClientId();
    this.#seq = 0;
    this.#leader = '';
    this.next();
  }
}

function toCommand(input: WriteInput): KvCommand {
  switch (input.op) {
    case 'put':
      return { op: 'set', kv: [[input.key, input.value]] };
    case 'delete':
      return { op: 'del', keys: [input.key] };
    case 'cas':
      return { op: 'cas', key: input.key, expect: input.expect, value: input.value };
    case 'putex':
      return { op: 'set', kv: [[input.key, input.value]], ttl: { in: input.ttlMs } };
    case 'txn':
      return {
        op: 'txn',
        compare: [input.expect === null ? { key: input.key, target: 'exists', result: 'equal', exists: false } : { key: input.key, target: 'value', result: 'equal', value: input.expect }],
        success: [{ op: 'set', kv: [[input.key, input.value]] }],
        failure: [{ op: 'get', key: input.key }],
      };
  }
}

/**
 * Some puts carry, in the same entry, writes of the data types to keys beside
 * the checked one (a list, a hash, a set, a sorted set, with a deadline on the
 * list): the checker ignores them, the state digest (sim-node.ts) compares
 * them on every replica, through restarts, snapshots and expiry. Chosen by
 * the sequence number, not the seeded random numbers, so every seed draws
 * the same operations as before.
 */
function withTypedWrites(cmd: KvCommand, input: WriteInput, seq: number): KvCommand {
  if (input.op !== 'put' || seq % 2 !== 0) return cmd;
  const k = input.key;
  const typed = (name: string, ...args: string[]): KvCommand => ({ op: 'typed', name, args });
  const extra: KvCommand[] =
    seq % 6 === 0
      ? [typed('rpush', `${k}:list`, input.value), { op: 'expire', key: `${k}:list`, ttl: { in: 200 } }]
      : seq % 6 === 2
        ? [typed('hset', `${k}:hash`, `f${seq % 5}`, input.value), typed('sadd', `${k}:set`, input.value), typed('zadd', `${k}:zset`, String(seq), input.value)]
        : [typed('lpop', `${k}:list`), typed('srem', `${k}:set`, input.value), typed('zremrangebyrank', `${k}:zset`, '0', '-4')];
  return { op: 'batch', cmds: [cmd, ...extra] };
}

/** The checker's output for a write the state machine answered (KvState's cas answers the value it found when it did not swap). */
function outputOf(input: WriteInput, result: KvResult): KvOutput {
  if (input.op === 'txn') {
    if (!('succeeded' in result)) throw new Error(`a txn answered without succeeded: ${JSON.stringify(result)}`);
    const seen = result.results[0];
    return result.succeeded ? { ok: true, swapped: true } : { ok: true, swapped: false, value: seen && 'value' in seen ? seen.value : null };
  }
  if (input.op !== 'cas') return { ok: true };
  if (!('swapped' in result)) throw new Error(`a cas answered without swapped: ${JSON.stringify(result)}`);
  return result.swapped ? { ok: true, swapped: true } : { ok: true, swapped: false, value: result.value };
}

function describe(input: KvInput): string {
  switch (input.op) {
    case 'put':
      return `put ${input.key}=${input.value}`;
    case 'delete':
      return `delete ${input.key}`;
    case 'cas':
      return `cas ${input.key} ${input.expect ?? 'absent'}->${input.value}`;
    case 'putex':
      return `put ${input.key}=${input.value} ttl ${input.ttlMs}`;
    case 'txn':
      return `txn ${input.key} ${input.expect ?? 'absent'}->${input.value}`;
    case 'get':
      return `get ${input.key}`;
  }
}
