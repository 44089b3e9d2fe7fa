// The runtime around one simulated RawNode: an in-memory "disk" that survives
// crashes, asynchronous persistence (the write of a ready completes some time
// after ready(); a crash before that loses it), the key-value state machine,
// snapshots captured every few applied entries, and the waiting client requests.

import {
  EntryKind,
  MessageType,
  RaftError,
  RawNode,
  Role,
  SeededRand,
  decodeConfChange,
  fillSnapshotChunk,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  type ProposalRef,
  type RaftConfig,
  type Ready,
  type SnapshotMeta,
} from '../../src/raft/index.js';
import type { EventQueue } from './event-queue.js';
import type { Invariants, LogVersion } from './invariants.js';
import { KvStateMachine, decodeCommand, encodeCommand, type Command, type WriteResult } from './state-machine.js';
import { SimDisk } from './sim-disk.js';
import { fmtEntry, fmtTime } from './trace.js';

export type WriteOutcome = { kind: 'applied'; result: WriteResult | undefined } | { kind: 'failed' } | { kind: 'unknown' };
export type ReadOutcome = { kind: 'value'; value: string | null } | { kind: 'failed' };

interface WriteWaiter {
  term: number;
  cmd: Command;
  done: (o: WriteOutcome) => void;
}

interface ReadWaiter {
  key: string;
  /** The highest commit index anywhere when the read began. */
  floor: number;
  index?: number;
  done: (o: ReadOutcome) => void;
}

/** The world a node lives in. */
export interface NodeHost {
  readonly queue: EventQueue;
  readonly invariants: Invariants;
  send(m: Message): void;
  /** How long the next disk write takes, in time units. */
  persistDelay(): number;
  trace(text: string): void;
  coreConfig(id: NodeId, founder: boolean, rand: SeededRand): RaftConfig;
  /** Capture a snapshot every this many applied entries. */
  readonly snapshotEvery: number;
  readonly compactionTrailing: number;
  /** Time units between two ticks of this node (clocks drift a little). */
  tickInterval(rand: SeededRand): number;
  onConfApplied(node: SimNode, cc: ConfChange, index: number): void;
  /** `node`, a leader, advanced its commit index. */
  onLeaderCommit(node: SimNode): void;
  readonly stats: { snapshotsCaptured: number; snapshotsInstalled: number; persists: number };
}

/** Thrown to a client whose request reaches a node that is down (or frozen). */
export class NodeDownError extends Error {
  constructor(id: NodeId) {
    super(`${id} is down`);
  }
}

export class SimNode {
  readonly id: NodeId;
  readonly founder: boolean;
  readonly disk: SimDisk;
  readonly #host: NodeHost;
  readonly #rand: SeededRand;
  #raw: RawNode | undefined;
  #sm = new KvStateMachine();
  /** Bumped at every start and crash: events of an older life are ignored. */
  #life = 0;
  #pending: Ready | undefined;
  #snapIndex = 0;
  /** Bytes of the recent snapshots this node holds, by index, for sending chunks. */
  #snapBytes = new Map<number, Uint8Array>();
  #seen = { role: Role.Follower, term: 0, lead: '', commit: 0 };
  #writes = new Map<number, WriteWaiter[]>();
  #reads = new Map<number, ReadWaiter>();
  #pausedUntil = 0;
  /** A ready's disk write is under way (a crash now loses it). */
  #pendingWrite = false;
  /** Removed from the cluster: never restarts. */
  stopped = false;

  constructor(host: NodeHost, id: NodeId, founder: boolean, rand: SeededRand) {
    this.#host = host;
    this.id = id;
    this.founder = founder;
    this.#rand = rand;
    this.disk = new SimDisk(id);
  }

  get alive(): boolean {
    return this.#raw !== undefined;
  }

  /** The running core (undefined while down). */
  get raw(): RawNode | undefined {
    return this.#raw;
  }

  get applied(): number {
    return this.#sm.applied;
  }

  /** Start fresh, or restart from what the disk holds. */
  start(): void {
    if (this.alive || this.stopped) return;
    const d = this.disk;
    const persisted = d.persistedState();
    this.#life++;
    this.#pausedUntil = 0;
    this.#raw = new RawNode(this.#host.coreConfig(this.id, this.founder, this.#rand.fork()), persisted);
    this.#pending = undefined;
    this.#snapBytes.clear();
    if (d.snapshot) {
      this.#sm = KvStateMachine.restore(d.snapshot.bytes, d.snapshot.meta.index);
      this.#snapIndex = d.snapshot.meta.index;
      this.#snapBytes.set(this.#snapIndex, d.snapshot.bytes);
      this.#host.invariants.onRestore(this.id, this.#snapIndex, this.#sm.digest());
    } else {
      this.#sm = new KvStateMachine();
      this.#snapIndex = 0;
    }
    const r = this.#raw.raft;
    this.#seen = { role: r.role, term: r.term, lead: r.lead, commit: r.log.committed };
    this.#host.invariants.observeTerm(r.term);
    this.#host.trace(`${this.id} ${persisted ? 'restarts' : 'starts'}: ${d.describe()}`);
    this.#scheduleTick(this.#life);
    this.#drive();
  }

  /** Lose everything not yet persisted. */
  crash(why = 'crashes'): void {
    if (!this.alive) return;
    this.#life++;
    this.#raw = undefined;
    this.#pending = undefined;
    this.#host.trace(`${this.id} ${why}${this.#pendingWrite ? ' (a disk write is lost)' : ''}`);
    this.#pendingWrite = false;
    const writes = [...this.#writes.values()].flat();
    const reads = [...this.#reads.values()];
    this.#writes.clear();
    this.#reads.clear();
    for (const w of writes) w.done({ kind: 'unknown' });
    for (const r of reads) r.done({ kind: 'failed' });
  }

  /** Removed from the cluster: shut down for good. */
  stop(): void {
    this.crash('stops (removed from the cluster)');
    this.stopped = true;
  }

  // ---- inputs ----

  receive(m: Message): void {
    const raw = this.#raw;
    if (!raw) return;
    if (this.#deferWhilePaused(() => this.receive(m))) return;
    raw.step(m);
    this.#afterInput();
  }

  /**
   * Freeze the process (a long GC pause, a stopped VM) until `until`: its
   * clock stops, and messages and finished disk writes wait for it.
   */
  pause(until: number): void {
    until = Math.ceil(until);
    if (!this.alive || until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#host.trace(`${this.id} pauses until ${fmtTime(until).trim()}`);
  }

  get paused(): boolean {
    return this.#host.queue.now < this.#pausedUntil;
  }

  #deferWhilePaused(fn: () => void): boolean {
    if (!this.paused) return false;
    const life = this.#life;
    this.#host.queue.at(this.#pausedUntil, () => {
      if (life === this.#life) fn();
    });
    return true;
  }

  /** For the nemesis and the membership manager: run `fn` on the core, then do its work. */
  withCore<T>(fn: (raw: RawNode) => T): T {
    const raw = this.#raw;
    if (!raw || this.paused) throw new NodeDownError(this.id);
    try {
      return fn(raw);
    } finally {
      this.#afterInput();
    }
  }

  /** Propose a command; throws RaftError or NodeDownError when it was not proposed. */
  propose(cmd: Command): ProposalRef {
    return this.withCore((raw) => raw.propose(encodeCommand(cmd)));
  }

  /** Tell `done` what became of the proposal `ref` of `cmd`. */
  waitWrite(ref: ProposalRef, cmd: Command, done: (o: WriteOutcome) => void): void {
    const list = this.#writes.get(ref.index);
    const w = { term: ref.term, cmd, done };
    if (list) list.push(w);
    else this.#writes.set(ref.index, [w]);
  }

  /** A linearizable read of `key`; throws when the read cannot even be started. */
  read(context: number, key: string, done: (o: ReadOutcome) => void): void {
    this.withCore((raw) => {
      raw.readIndex(context);
      this.#reads.set(context, { key, floor: this.#host.invariants.maxCommit, done });
    });
  }

  #scheduleTick(life: number): void {
    this.#host.queue.after(this.#host.tickInterval(this.#rand), () => {
      if (life !== this.#life) return;
      if (!this.paused) this.#raw!.tick();
      this.#afterInput();
      this.#scheduleTick(life);
    });
  }

  #afterInput(): void {
    if (!this.#raw || this.paused) return;
    this.#observe();
    this.#drive();
  }

  /** Report what changed in the core since the last input to the checkers (and the trace). */
  #observe(): void {
    const r = this.#raw!.raft;
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
    const log = this.#raw?.raft.log;
    if (log) {
      const holds = index <= (log.snapshot?.index ?? 0) || index < log.firstIndex() || log.term(index) === term;
      versions.push({ where: 'memory', lastIndex: log.lastIndex(), lastTerm: log.lastTerm(), holds });
    }
    versions.push(this.disk.version(index, term));
    return versions;
  }

  // ---- the Ready loop ----

  #drive(): void {
    for (;;) {
      const raw = this.#raw;
      if (!raw || this.#pending || !raw.hasReady()) return;
      const rd = raw.ready();
      this.#pending = rd;
      for (const m of rd.messages) this.#send(m);
      for (const ctx of rd.droppedReads) this.#failRead(ctx);
      const needsDisk = rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshotChunk !== undefined || rd.snapshot !== undefined;
      if (!needsDisk) {
        this.#persisted(rd);
        continue;
      }
      const life = this.#life;
      this.#pendingWrite = true;
      const finish = (): void => {
        if (life !== this.#life || this.#deferWhilePaused(finish)) return;
        this.#pendingWrite = false;
        this.#persisted(rd);
        this.#afterInput();
      };
      this.#host.queue.after(this.#host.persistDelay(), finish);
      return;
    }
  }

  /** The disk write of `rd` completed: finish the ready (steps 2–6 of the Ready contract). */
  #persisted(rd: Ready): void {
    const raw = this.#raw!;
    this.#write(rd);
    for (const m of rd.persistedMessages) this.#send(m);
    this.#apply(rd.committed);
    for (const rs of rd.readStates) {
      const w = this.#reads.get(rs.context);
      if (!w) continue;
      this.#host.invariants.onReadConfirmed(this.id, rs.context, rs.index, w.floor);
      w.index = rs.index;
    }
    this.#answerReads();
    raw.advance(rd);
    this.#pending = undefined;
    this.#maybeCapture();
  }

  #write(rd: Ready): void {
    const d = this.disk;
    const notes: string[] = [];
    if (rd.snapshotChunk) notes.push(d.storeChunk(rd.snapshotChunk));
    if (rd.snapshot) this.#install(rd.snapshot, rd.snapshotKeepsLog, notes);
    if (rd.entries.length > 0) notes.push(d.writeEntries(rd.entries));
    if (rd.hardState) notes.push(d.writeHardState(rd.hardState));
    if (notes.length > 0) {
      this.#host.stats.persists++;
      this.#host.trace(`${this.id} persisted ${notes.join(', ')}`);
    }
  }

  #install(meta: SnapshotMeta, keepLog: boolean, notes: string[]): void {
    const bytes = this.disk.installSnapshot(meta, keepLog);
    this.#sm = KvStateMachine.restore(bytes, meta.index);
    this.#snapIndex = meta.index;
    this.#snapBytes.set(meta.index, bytes);
    this.#host.stats.snapshotsInstalled++;
    this.#host.invariants.onRestore(this.id, meta.index, this.#sm.digest());
    notes.push(`snapshot ${meta.index}/t${meta.term} installed (${keepLog ? 'log kept' : 'log dropped'})`);
    // Writes waiting at an index the snapshot covers: its session table says what became of them.
    for (const [index, list] of this.#writes) {
      if (index > meta.index) continue;
      this.#writes.delete(index);
      for (const w of list) w.done(this.#outcomeFromSessions(w.cmd));
    }
  }

  #outcomeFromSessions(cmd: Command): WriteOutcome {
    if (cmd.kind === 'probe') return { kind: 'unknown' };
    const s = this.#sm.sessions.get(cmd.client);
    if (s && s.op === cmd.op) return { kind: 'applied', result: s.result };
    // One op in flight per client: an older last op means ours was not applied at its index, and it could be nowhere else.
    if (!s || s.op < cmd.op) return { kind: 'failed' };
    return { kind: 'unknown' };
  }

  #apply(entries: Entry[]): void {
    if (entries.length === 0) return;
    const inv = this.#host.invariants;
    for (const e of entries) {
      if (e.index !== this.#sm.applied + 1) inv.onApplyGap(this.id, e.index, this.#sm.applied);
      let result: WriteResult | undefined;
      let cmd: Command | undefined;
      if (e.kind === EntryKind.Normal) {
        cmd = decodeCommand(e.data);
        result = this.#sm.apply(e.index, cmd);
      } else {
        this.#sm.skip(e.index);
        if (e.kind === EntryKind.ConfChange) this.#host.onConfApplied(this, decodeConfChange(e.data), e.index);
      }
      inv.onApply(this.id, e, this.#sm.digest());
      const waiting = this.#writes.get(e.index);
      if (waiting) {
        this.#writes.delete(e.index);
        for (const w of waiting) w.done(w.term === e.term ? { kind: 'applied', result } : { kind: 'failed' });
      }
    }
    const first = entries[0]!;
    const last = entries.at(-1)!;
    this.#host.trace(`${this.id} applied ${entries.length === 1 ? fmtEntry(first) : `${first.index}..${fmtEntry(last)}`}`);
  }

  #answerReads(): void {
    if (this.#reads.size === 0) return;
    for (const [ctx, w] of this.#reads) {
      if (w.index === undefined || w.index > this.#sm.applied) continue;
      this.#reads.delete(ctx);
      w.done({ kind: 'value', value: this.#sm.get(w.key) });
    }
  }

  #failRead(ctx: number): void {
    const w = this.#reads.get(ctx);
    if (!w) return;
    this.#reads.delete(ctx);
    w.done({ kind: 'failed' });
  }

  #maybeCapture(): void {
    const applied = this.#sm.applied;
    if (applied - this.#snapIndex < this.#host.snapshotEvery) return;
    const raw = this.#raw!;
    const bytes = this.#sm.serialize();
    raw.snapshotCaptured(applied, bytes.byteLength);
    const meta = raw.raft.log.snapshot;
    if (!meta || meta.index !== applied) throw new Error(`${this.id}: captured a snapshot at ${applied} but the core's snapshot is at ${meta?.index}`);
    this.disk.storeCaptured(meta, bytes, applied - this.#host.compactionTrailing + 1);
    this.#snapIndex = applied;
    this.#snapBytes.set(applied, bytes);
    for (const i of this.#snapBytes.keys()) if (this.#snapBytes.size > 3 && i !== applied) this.#snapBytes.delete(i);
    this.#host.stats.snapshotsCaptured++;
    this.#host.trace(`${this.id} captured snapshot ${applied} (${bytes.byteLength} bytes), log now ${raw.raft.log.firstIndex()}..${raw.raft.log.lastIndex()}`);
  }

  #send(m: Message): void {
    if (m.type === MessageType.Snap && m.data === undefined) {
      const bytes = this.#snapBytes.get(m.snapshot!.index);
      if (!bytes) {
        this.#host.trace(`${this.id} has no bytes for snapshot ${m.snapshot!.index}: chunk not sent`);
        return;
      }
      fillSnapshotChunk(m, bytes);
    }
    this.#host.send(m);
  }
}

export function isNotLeader(e: unknown): e is RaftError {
  return e instanceof RaftError && e.code === 'RAFTKV_ERR_NOT_LEADER';
}
