import type { RaftConfig } from './config.js';
import { invariant } from './errors.js';
import type { ProgressState } from './progress.js';
import { Raft, type ProposalRef } from './raft.js';
export { IMPOSSIBLE_MESSAGE_DROPPED } from './raft.js';
import {
  EntryKind,
  MessageType,
  Role,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type Ready,
  type SoftState,
} from './types.js';

export type { ProposalRef };

export interface PeerStatus {
  match: number;
  next: number;
  state: ProgressState;
  learner: boolean;
  recentActive: boolean;
  inflight: number;
}

export interface Status {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId;
  leader: NodeId;
  commit: number;
  applied: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  snapshotTerm: number;
  confState: ConfState;
  /** The index of the entry that made `confState`. */
  confIndex: number;
  transferee: NodeId;
  /** Per member, on the leader only. */
  progress: Record<NodeId, PeerStatus>;
  /** Messages dropped because no correct peer could have sent them (forged, corrupted, or a bug). */
  droppedImpossible: number;
}

/**
 * The runtime's handle on the consensus core (etcd's RawNode contract): feed
 * it ticks, messages and requests; take its work with ready(), do it in the
 * order documented on `Ready`, then call advance(). step() and tick() may be
 * called between ready() and advance().
 *
 * Storage writes may be pipelined (etcd's async storage writes): ready() may
 * be called again while earlier readies are still being written, each one
 * holding only what the earlier ones did not. The runtime then finishes them
 * strictly in order: a ready's persisted messages, committed entries and read
 * states are released only once its own write and every earlier one are
 * durable, and advance() is called for each, oldest first.
 */
export class RawNode {
  readonly #raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;
  /** Readies handed out and not yet advanced, oldest first. */
  #outstanding: Ready[] = [];

  constructor(cfg: RaftConfig, persisted?: PersistedState) {
    this.#raft = new Raft(cfg, persisted);
    this.#prevSoft = this.#softState();
    // A fresh founding node must persist its bootstrap term and commit.
    this.#prevHard = persisted?.hardState ?? { term: 0, vote: '', commit: 0 };
  }

  get id(): NodeId {
    return this.#raft.id;
  }

  /**
   * This node's role, read directly: the hot paths (every proposal and read)
   * need only this or the leader, not status(), which builds a progress map.
   */
  get role(): Role {
    return this.#raft.role;
  }

  /** The leader this node knows of in its term, or NONE (''). */
  get leader(): NodeId {
    return this.#raft.lead;
  }

  /** For tests and the simulator's mutants: the protocol object itself. */
  get raft(): Raft {
    return this.#raft;
  }

  tick(): void {
    this.#raft.tick();
  }

  step(m: Message): void {
    this.#raft.step(m);
  }

  campaign(): void {
    this.#raft.campaign();
  }

  /** Tell the node its connection to `peer` broke (the peer process died or closed it). */
  peerUnreachable(peer: NodeId): void {
    this.#raft.leaderLost(peer);
  }

  propose(data: Uint8Array): ProposalRef {
    return this.#raft.propose([data]);
  }

  /** Several commands as consecutive entries; the ref names the last one. */
  proposeBatch(data: Uint8Array[]): ProposalRef {
    invariant(data.length > 0, () => 'an empty proposal batch');
    return this.#raft.propose(data, EntryKind.Normal);
  }

  proposeConfChange(cc: ConfChange): ProposalRef {
    return this.#raft.proposeConfChange(cc);
  }

  readIndex(context: number): void {
    this.#raft.readIndex(context);
  }

  transferLeadership(to: NodeId): void {
    this.#raft.transferLeadership(to);
  }

  snapshotCaptured(index: number, size: number): void {
    this.#raft.snapshotCaptured(index, size);
  }

  /**
   * Which messages may leave before this ready's state is durable: a
   * leader's replication traffic (its own entries count toward commit only
   * after advance()). Votes and all responses wait for the disk.
   */
  sendsBeforePersist(m: Message): boolean {
    return m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap || m.type === MessageType.TimeoutNow;
  }

  hasReady(): boolean {
    const r = this.#raft;
    r.flushReadRound();
    return (
      r.msgs.length > 0 ||
      r.log.persisting < r.log.lastIndex() ||
      r.log.committed > r.log.applying ||
      r.readStates.length > 0 ||
      r.droppedReads.length > 0 ||
      r.snapshotChunk !== undefined ||
      r.pendingInstall !== undefined ||
      !sameHard(r.hardState(), this.#prevHard) ||
      !sameSoft(this.#softState(), this.#prevSoft)
    );
  }

  ready(): Ready {
    const r = this.#raft;
    r.flushReadRound();
    const entries = r.log.unstableEntries();
    r.log.persisting = r.log.lastIndex();
    const rd: Ready = {
      entries,
      snapshotKeepsLog: false,
      messages: [],
      persistedMessages: [],
      committed: [],
      readStates: r.readStates,
      droppedReads: r.droppedReads,
    };
    const soft = this.#softState();
    if (!sameSoft(soft, this.#prevSoft)) rd.softState = this.#prevSoft = soft;
    const hard = r.hardState();
    if (!sameHard(hard, this.#prevHard)) rd.hardState = this.#prevHard = hard;
    if (r.pendingInstall) {
      rd.snapshot = r.pendingInstall.meta;
      rd.snapshotKeepsLog = r.pendingInstall.keepLog;
      r.pendingInstall = undefined;
    }
    if (r.snapshotChunk) {
      rd.snapshotChunk = r.snapshotChunk;
      r.snapshotChunk = undefined;
    }
    for (const m of withoutRedundantCommitApps(r.msgs)) (this.sendsBeforePersist(m) ? rd.messages : rd.persistedMessages).push(m);
    // Committed entries in this ready are durable here once it is persisted
    // (with every earlier ready, which the runtime finishes first).
    rd.committed = r.log.nextCommitted(r.log.lastIndex(), r.cfg.maxApplyBytes);
    if (rd.committed.length > 0) r.log.applying = rd.committed[rd.committed.length - 1]!.index;
    r.msgs = [];
    r.readStates = [];
    r.droppedReads = [];
    this.#outstanding.push(rd);
    return rd;
  }

  /** Readies handed out and not yet advanced (the depth of the write pipeline). */
  get outstanding(): number {
    return this.#outstanding.length;
  }

  /** `rd`, the oldest outstanding ready, is durable and its committed entries are applied. */
  advance(rd: Ready): void {
    invariant(rd === this.#outstanding[0], () => 'advance() with a Ready that is not the oldest outstanding one');
    this.#outstanding.shift();
    const r = this.#raft;
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.onStable(last.index, last.term);
    }
    r.onApplied(rd.committed);
  }

  status(): Status {
    const r = this.#raft;
    const progress: Record<NodeId, PeerStatus> = {};
    if (r.role === Role.Leader) {
      for (const [id, pr] of r.progress) {
        progress[id] = { match: pr.match, next: pr.next, state: pr.state, learner: pr.isLearner, recentActive: pr.recentActive, inflight: pr.inflights.count };
      }
    }
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leader: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      firstIndex: r.log.firstIndex(),
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
      snapshotIndex: r.log.snapshot?.index ?? 0,
      snapshotTerm: r.log.snapshot?.term ?? 0,
      confState: r.conf,
      confIndex: r.confIndex,
      transferee: r.leadTransferee,
      progress,
      droppedImpossible: r.droppedImpossible,
    };
  }

  #softState(): SoftState {
    return { role: this.#raft.role, leader: this.#raft.lead };
  }
}

/**
 * A leader tells its followers a new commit index at once, with an append
 * that carries no entries; under load the same ready often holds a later
 * append to the same follower, with entries and at least that commit index.
 * The follower learns as much from the later one alone (messages to a peer
 * leave in order, so by then it holds everything before it), and answers it
 * alike: the empty one is dropped, which saves a frame each way per follower
 * and ready. Dropping a message is always safe in Raft; this drops only
 * those another message of the same ready makes redundant.
 */
function withoutRedundantCommitApps(msgs: Message[]): Message[] {
  let redundant = 0;
  // Per peer, the nearest later append of this ready that is kept (walking back from the end).
  const later = new Map<NodeId, Message>();
  const keep = new Array<boolean>(msgs.length).fill(true);
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!;
    if (m.type !== MessageType.App) continue;
    const next = later.get(m.to);
    if ((m.entries?.length ?? 0) === 0 && next !== undefined && next.term === m.term && next.index >= m.index && next.commit >= m.commit) {
      keep[i] = false;
      redundant++;
      continue;
    }
    later.set(m.to, m);
  }
  return redundant === 0 ? msgs : msgs.filter((_, i) => keep[i]);
}

function sameHard(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader;
}
