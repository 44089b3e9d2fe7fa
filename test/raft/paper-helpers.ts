// A tiny harness for the Raft paper tests: build nodes (fresh founders or
// restored from a given persisted state), hand-build messages, take and
// acknowledge ready()s, and a synchronous in-memory network for the tests
// that need two real nodes talking. Everything drives the core only through
// RawNode (tick / step / ready / advance).

import {
  ConfChangeType,
  EntryKind,
  MessageType,
  RawNode,
  Role,
  SeededRand,
  encodeConfChange,
  fillSnapshotChunk,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type PersistedState,
  type RaftConfig,
  type Ready,
  type ReadState,
  type SnapshotMeta,
} from '../../src/raft/index.js';

export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

export type Opts = Partial<Omit<RaftConfig, 'id' | 'rand'>> & { seed?: number };

/**
 * The paper's plain algorithm unless a test opts in: no PreVote, no
 * CheckQuorum (and so no leader lease), election timeouts in [10, 20).
 */
export const PAPER: Opts = { electionTicks: [10, 20], heartbeatTicks: 1, preVote: false, checkQuorum: false };

let seedCounter = 1;

export function config(id: string, opts: Opts = {}): RaftConfig {
  const { seed, ...rest } = opts;
  return { id, rand: new SeededRand(seed ?? seedCounter++), ...PAPER, ...rest };
}

/** A founding member of a brand-new cluster of `peers`. */
export function founder(id: string, peers: string[], opts: Opts = {}): RawNode {
  return new RawNode(config(id, { bootstrap: peers, ...opts }));
}

/** The founding log every founder writes: one AddVoter per id, sorted, at term 1. */
export function foundingLog(peers: string[]): Entry[] {
  return [...peers].sort().map((node, i) => confEntry(i + 1, 1, { type: ConfChangeType.AddVoter, node }));
}

export function confEntry(index: number, term: number, cc: ConfChange): Entry {
  return { index, term, kind: EntryKind.ConfChange, data: encodeConfChange(cc) };
}

export function entry(index: number, term: number, data = `e${index}t${term}`): Entry {
  return { index, term, kind: EntryKind.Normal, data: bytes(data) };
}

/** Normal entries at consecutive indexes starting at `from`, one per term given. */
export function entriesWithTerms(from: number, terms: number[]): Entry[] {
  return terms.map((t, i) => entry(from + i, t));
}

/** `count` normal entries of one term starting at `from`. */
export function run(from: number, count: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) out.push(entry(from + i, term));
  return out;
}

export interface Disk {
  /** Voters of the founding log (indexes 1..n, term 1, committed and applied). */
  peers: string[];
  /** Entries after the founding log, contiguous from n + 1. */
  log?: Entry[];
  term: number;
  vote?: string;
  /** Defaults to the end of the founding log. */
  commit?: number;
  /** Defaults to the end of the founding log. */
  applied?: number;
  snapshot?: SnapshotMeta;
  /** Replaces founding log + log entirely (for snapshot-based disks). */
  entries?: Entry[];
}

export function persisted(d: Disk): PersistedState {
  const n = d.peers.length;
  const entries = d.entries ?? [...foundingLog(d.peers), ...(d.log ?? [])];
  const hardState: HardState = { term: d.term, vote: d.vote ?? '', commit: d.commit ?? n };
  return { hardState, entries, applied: d.applied ?? n, ...(d.snapshot ? { snapshot: d.snapshot } : {}) };
}

/** A node restarted from the given disk. */
export function restored(id: string, d: Disk, opts: Opts = {}): RawNode {
  return new RawNode(config(id, opts), persisted(d));
}

export function msg(type: MessageType, from: string, to: string, term: number, extra: Partial<Message> = {}): Message {
  return { type, from, to, term, index: 0, logTerm: 0, commit: 0, ...extra };
}

/** Every outgoing message of a ready, both kinds. */
export function out(rd: Ready): Message[] {
  return [...rd.messages, ...rd.persistedMessages];
}

/** Take one ready and acknowledge it as done (persisted, sent, applied). */
export function drain(n: RawNode): Ready {
  const rd = n.ready();
  n.advance(rd);
  return rd;
}

export interface Drained {
  readies: Ready[];
  messages: Message[];
  persistedMessages: Message[];
  all: Message[];
  entries: Entry[];
  committed: Entry[];
  readStates: ReadState[];
  droppedReads: number[];
  hardStates: HardState[];
}

/** Take readies until there is nothing left, acknowledging each. */
export function drainAll(n: RawNode, max = 100): Drained {
  const d = emptyDrained();
  for (let i = 0; i < max && n.hasReady(); i++) {
    const rd = drain(n);
    d.readies.push(rd);
    d.messages.push(...rd.messages);
    d.persistedMessages.push(...rd.persistedMessages);
    d.all.push(...rd.messages, ...rd.persistedMessages);
    d.entries.push(...rd.entries);
    d.committed.push(...rd.committed);
    d.readStates.push(...rd.readStates);
    d.droppedReads.push(...rd.droppedReads);
    if (rd.hardState) d.hardStates.push(rd.hardState);
  }
  return d;
}

export function ofType(msgs: Message[], type: MessageType, to?: string): Message[] {
  return msgs.filter((m) => m.type === type && (to === undefined || m.to === to));
}

/** The terms of a node's log from index 1 (or its first index) to its last. */
export function logTerms(n: RawNode): number[] {
  const s = n.status();
  const terms: number[] = [];
  for (let i = s.firstIndex; i <= s.lastIndex; i++) terms.push(n.raft.log.term(i)!);
  return terms;
}

/** The reply a follower that accepted `app` would send. */
export function accept(app: Message): Message {
  return msg(MessageType.AppResp, app.to, app.from, app.term, { index: app.index + (app.entries?.length ?? 0) });
}

/**
 * Make `n` leader: campaign and grant it every vote (and pre-vote) it asks
 * for, then persist its first ready. Returns what the new leader sent.
 */
export function elect(n: RawNode, grantFrom?: string[]): Drained {
  n.campaign();
  for (let round = 0; round < 3 && n.status().role !== Role.Leader; round++) {
    const rd = drain(n);
    for (const m of out(rd)) {
      if (grantFrom && !grantFrom.includes(m.to)) continue;
      if (m.type === MessageType.Vote) n.step(msg(MessageType.VoteResp, m.to, m.from, m.term));
      if (m.type === MessageType.PreVote) n.step(msg(MessageType.PreVoteResp, m.to, m.from, m.term));
    }
  }
  if (n.status().role !== Role.Leader) throw new Error(`elect: ${n.id} did not win`);
  return drainAll(n);
}

/**
 * Make `n` leader and have every follower accept its no-op, so the no-op
 * commits and every follower is in replicate state. Returns the leader's term.
 */
export function electAndCommit(n: RawNode, ackFrom?: string[]): number {
  const d = elect(n);
  for (const m of ofType(d.all, MessageType.App)) if (!ackFrom || ackFrom.includes(m.to)) n.step(accept(m));
  drainAll(n);
  return n.status().term;
}

function emptyDrained(): Drained {
  return { readies: [], messages: [], persistedMessages: [], all: [], entries: [], committed: [], readStates: [], droppedReads: [], hardStates: [] };
}

function merge(into: Drained, d: Drained): void {
  into.readies.push(...d.readies);
  into.messages.push(...d.messages);
  into.persistedMessages.push(...d.persistedMessages);
  into.all.push(...d.all);
  into.entries.push(...d.entries);
  into.committed.push(...d.committed);
  into.readStates.push(...d.readStates);
  into.droppedReads.push(...d.droppedReads);
  into.hardStates.push(...d.hardStates);
}

/**
 * Have `peers` accept every App the leader sends them (starting with
 * `pending`, messages already taken from it) until it sends no more.
 * Returns everything drained from the leader meanwhile.
 */
export function replicate(leader: RawNode, peers: string[], pending: Message[] = [], max = 50): Drained {
  const total = emptyDrained();
  let apps = pending.filter((m) => m.type === MessageType.App && peers.includes(m.to));
  for (let i = 0; i < max; i++) {
    for (const m of apps) leader.step(accept(m));
    const d = drainAll(leader);
    merge(total, d);
    apps = ofType(d.all, MessageType.App).filter((m) => peers.includes(m.to) && (m.entries?.length ?? 0) > 0);
    if (apps.length === 0) return total;
  }
  throw new Error('replicate: the leader kept sending');
}

/**
 * A synchronous network of RawNodes. One `round()` takes every node's ready
 * (persisting it at once) and then delivers every message sent, so a
 * request and its answer take two rounds.
 */
export class Net {
  readonly nodes = new Map<string, RawNode>();
  /** Messages to or from these ids are lost. */
  readonly isolated = new Set<string>();
  /** The bytes of the snapshot each node captured, to fill its Snap chunks. */
  readonly snapshots = new Map<string, Uint8Array>();
  /** Sees every message before delivery; return false to drop it. */
  intercept: ((m: Message) => boolean) | undefined;
  readonly delivered: Message[] = [];
  /** Every ready each node handed out, in order. */
  readonly readies = new Map<string, Ready[]>();

  constructor(nodes: RawNode[]) {
    for (const n of nodes) this.nodes.set(n.id, n);
  }

  get(id: string): RawNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** Returns the messages delivered in this round. */
  round(): Message[] {
    const sent: Message[] = [];
    for (const n of this.nodes.values()) {
      for (let i = 0; i < 100 && n.hasReady(); i++) {
        const rd = n.ready();
        if (!this.readies.has(n.id)) this.readies.set(n.id, []);
        this.readies.get(n.id)!.push(rd);
        sent.push(...rd.messages, ...rd.persistedMessages);
        n.advance(rd);
      }
    }
    const delivered: Message[] = [];
    for (const m of sent) {
      if (this.isolated.has(m.from) || this.isolated.has(m.to)) continue;
      const to = this.nodes.get(m.to);
      if (!to) continue;
      if (m.type === MessageType.Snap && m.data === undefined) {
        const snap = this.snapshots.get(m.from);
        if (!snap) throw new Error(`${m.from} sends a snapshot the test did not give bytes for`);
        fillSnapshotChunk(m, snap);
      }
      if (this.intercept && !this.intercept(m)) continue;
      delivered.push(m);
      this.delivered.push(m);
      to.step(m);
    }
    return delivered;
  }

  /** Run rounds until nothing is sent. Returns the number of rounds that delivered something. */
  settle(maxRounds = 100): number {
    let rounds = 0;
    for (let i = 0; i < maxRounds; i++) {
      const pending = [...this.nodes.values()].some((n) => n.hasReady());
      if (!pending) return rounds;
      if (this.round().length > 0) rounds++;
    }
    throw new Error(`network did not settle in ${maxRounds} rounds`);
  }
}

export { ConfChangeType, EntryKind, MessageType, Role };
