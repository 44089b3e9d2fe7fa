import { resolveConfig, type RaftConfig, type ResolvedConfig } from './config.js';
import { applyConfChange, decodeConfChange, emptyConfState, encodeConfChange, validateConfChange } from './confchange.js';
import { busy, invariant, notLeader, proposalDropped, RaftError } from './errors.js';
import { RaftLog } from './log.js';
import { Progress } from './progress.js';
import { committedIndex, majority, voteResult } from './quorum.js';
import { ReadIndexQueue } from './readindex.js';
import { crc32 } from './snapshot.js';
import {
  ConfChangeType,
  EntryKind,
  MessageType,
  NONE,
  Role,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type PersistedState,
  type ReadState,
  type SnapshotChunk,
  type SnapshotMeta,
} from './types.js';

export interface ProposalRef {
  index: number;
  term: number;
}

type CampaignKind = 'pre-election' | 'election' | 'transfer';

/** A snapshot being received from the leader, chunk by chunk. */
interface IncomingSnapshot {
  meta: SnapshotMeta;
  /** Next byte expected. */
  offset: number;
}

const EMPTY = new Uint8Array(0);

/**
 * The event a node logs when it drops a message that no correct peer can
 * send (see Raft.step). Outside a hostile network it means a safety bug, so
 * the simulator fails any run that logs it.
 */
export const IMPOSSIBLE_MESSAGE_DROPPED = 'impossible message dropped';

/**
 * The Raft protocol for one node: a deterministic state machine driven by
 * tick(), step() and the proposal calls, whose effects (messages, entries to
 * persist, entries to apply) are collected for RawNode.ready().
 *
 * The rule methods (canGrantVote, canCommitAt, readIndexAllowed, hardState)
 * are prototype methods on purpose: the simulator's mutation tests replace
 * them to prove its checkers catch a broken rule.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: ResolvedConfig;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  /** The configuration of the applied log. */
  conf: ConfState;
  /** Configurations by the index that made them, for snapshot metadata; the first one is at or before the log start. */
  #confHistory: { index: number; conf: ConfState }[];
  readonly progress = new Map<NodeId, Progress>();
  readonly #votes = new Map<NodeId, boolean>();
  electionElapsed = 0;
  #heartbeatElapsed = 0;
  #randomizedElectionTimeout = 0;
  leadTransferee: NodeId = NONE;
  /** A leader may propose a new conf change only once this index is applied. */
  #pendingConfIndex = 0;
  #uncommittedBytes = 0;
  readonly #reads = new ReadIndexQueue();
  /** ReadIndex requests that wait for the first commit of this leader's term. */
  #readsAwaitingCommit: { context: number; from: NodeId }[] = [];
  /** Reads this follower forwarded to the leader. */
  readonly #forwardedReads = new Set<number>();
  #incoming: IncomingSnapshot | undefined;

  // Output, drained by RawNode.
  msgs: Message[] = [];
  readStates: ReadState[] = [];
  droppedReads: number[] = [];
  snapshotChunk: SnapshotChunk | undefined;
  /** An installed snapshot the runtime has not been told about yet. */
  pendingInstall: { meta: SnapshotMeta; keepLog: boolean } | undefined;
  /** Messages dropped because no correct peer could have sent them (for status). */
  droppedImpossible = 0;

  #step: (m: Message) => void;
  #tick: () => void;

  constructor(config: RaftConfig, persisted?: PersistedState) {
    this.cfg = resolveConfig(config);
    this.id = this.cfg.id;
    const fresh = !persisted || (persisted.hardState.term === 0 && persisted.entries.length === 0 && !persisted.snapshot);
    if (fresh) {
      this.log = new RaftLog(undefined, [], 0);
      this.conf = emptyConfState();
      this.#confHistory = [{ index: 0, conf: this.conf }];
      this.#bootstrap(this.cfg.bootstrap ?? []);
    } else {
      const p = persisted!;
      this.log = new RaftLog(p.snapshot, p.entries, p.applied);
      this.term = p.hardState.term;
      this.vote = p.hardState.vote;
      this.conf = p.snapshot?.confState ?? emptyConfState();
      const base = p.snapshot?.index ?? 0;
      this.#confHistory = [{ index: base, conf: this.conf }];
      // The applied part of the log already shaped the configuration.
      for (const e of p.entries) {
        if (e.index > base && e.index <= this.log.applied && e.kind === EntryKind.ConfChange) this.#applyConf(e);
      }
      invariant(p.hardState.commit <= this.log.lastIndex() || p.hardState.commit <= base, () => `stored commit ${p.hardState.commit} beyond the stored log ${this.log.lastIndex()}`);
      this.log.commitTo(Math.min(p.hardState.commit, this.log.lastIndex()));
    }
    this.#step = this.#stepFollower;
    this.#tick = this.#tickElection;
    this.#resetRandomizedElectionTimeout();
  }

  /** A founding node writes the founding configuration itself, identically everywhere. */
  #bootstrap(voters: NodeId[]): void {
    if (voters.length === 0) return;
    const entries: Entry[] = [...new Set(voters)].sort().map((node, i) => ({
      index: i + 1,
      term: 1,
      kind: EntryKind.ConfChange,
      data: encodeConfChange({ type: ConfChangeType.AddVoter, node, context: this.cfg.bootstrapContext?.[node] }),
    }));
    this.log.append(entries);
    this.term = 1;
    this.log.commitTo(entries.length);
    // Known to every founder already, so the first election need not wait for the apply.
    for (const e of entries) this.#applyConf(e);
  }

  // ---- rules (prototype methods, see the class comment) ----

  /** §5.2: one vote per term, first come first served (a pre-vote promises nothing). */
  canGrantVote(m: Message): boolean {
    return this.vote === m.from || (this.vote === NONE && this.lead === NONE) || (m.type === MessageType.PreVote && m.term > this.term);
  }

  /** §5.4.2: a leader commits by counting replicas only entries of its own term. */
  canCommitAt(index: number): boolean {
    return this.log.term(index) === this.term;
  }

  /** §6.4: a leader knows the commit index only once it committed an entry of its term. */
  readIndexAllowed(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // ---- inputs ----

  tick(): void {
    this.#tick();
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    // Checked before anything changes (not even the term): a forged or
    // corrupted message must leave no trace, and must not stop the node.
    const impossible = this.#impossible(m);
    if (impossible !== undefined) {
      this.#dropImpossible(m, impossible);
      return;
    }
    if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        // A node that heard from a leader within the minimum election timeout
        // ignores campaigns, so a node coming back from a partition cannot
        // depose a healthy leader (thesis §4.2.3, §9.6).
        const inLease = this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks[0];
        if (!m.force && inLease && (this.cfg.checkQuorum || m.type === MessageType.PreVote)) {
          if (m.type === MessageType.PreVote) this.#send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
          return;
        }
      }
      if (m.type === MessageType.PreVote || (m.type === MessageType.PreVoteResp && !m.reject)) {
        // A pre-vote never changes terms; a granted pre-vote carries the future term.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader (cut off, or with a lower term than a node that
        // campaigned alone) learns our term from this and steps down.
        this.#send({ type: MessageType.AppResp, to: m.from, term: this.term });
      } else if (m.type === MessageType.PreVote) {
        this.#send({ type: MessageType.PreVoteResp, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      this.#handleVoteRequest(m);
      return;
    }
    this.#step(m);
  }

  /**
   * Why no correct peer could have sent `m`, or undefined. Only what can be
   * told from the message and our own log: a leader of term T appends only
   * entries of terms <= T, contiguously after the entry it names, and (§5.4,
   * Leader Completeness) holds every entry we committed, so its entries
   * never conflict with them. A stale message (lower term) may carry entries
   * a later leader overwrote, so only messages at our term or above are
   * compared with the committed log.
   */
  #impossible(m: Message): string | undefined {
    if (m.type === MessageType.Snap) return m.snapshot === undefined ? 'snapshot chunk without snapshot metadata' : undefined;
    if (m.type !== MessageType.App) return undefined;
    const entries = m.entries;
    if (entries === undefined || entries.length === 0) return undefined;
    let term = m.logTerm;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index !== m.index + 1 + i) return 'entries are not contiguous after the previous index';
      if (e.term < term || e.term > m.term) return 'entry terms go backwards or beyond the leader term';
      term = e.term;
    }
    if (m.term < this.term) return undefined;
    const committed = this.log.committed;
    for (let i = 0; i < entries.length && entries[i]!.index <= committed; i++) {
      const e = entries[i]!;
      const mine = this.log.term(e.index);
      if (mine !== undefined && mine !== e.term) return `entry ${e.index}/t${e.term} conflicts with committed entry ${e.index}/t${mine}`;
    }
    return undefined;
  }

  #dropImpossible(m: Message, reason: string): void {
    this.droppedImpossible++;
    this.cfg.logger?.(IMPOSSIBLE_MESSAGE_DROPPED, { id: this.id, term: this.term, role: this.role, from: m.from, type: m.type, msgTerm: m.term, reason });
  }

  #handleVoteRequest(m: Message): void {
    const respType = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp;
    if (this.canGrantVote(m) && this.log.isUpToDate(m.index, m.logTerm)) {
      this.cfg.logger?.('vote granted', { id: this.id, term: this.term, to: m.from, kind: m.type, candidateTerm: m.term });
      this.#send({ type: respType, to: m.from, term: m.term });
      if (m.type === MessageType.Vote) {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.#send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  campaign(kind: CampaignKind = this.cfg.preVote ? 'pre-election' : 'election'): void {
    if (!this.promotable() || this.role === Role.Leader) return;
    if (this.#hasUnappliedConfChanges()) {
      // Our configuration is about to change: counting votes with the old one
      // could elect a second leader in the same term.
      this.cfg.logger?.('campaign deferred: committed membership changes are not applied yet', { id: this.id, term: this.term, applied: this.log.applied, commit: this.log.committed });
      return;
    }
    let voteType: MessageType;
    let term: number;
    if (kind === 'pre-election') {
      this.#becomePreCandidate();
      voteType = MessageType.PreVote;
      term = this.term + 1;
    } else {
      this.#becomeCandidate();
      voteType = MessageType.Vote;
      term = this.term;
    }
    this.cfg.logger?.('campaign', { id: this.id, term, kind, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm() });
    if (this.#poll(this.id, true) === 'won') {
      // A single voter: nothing to ask anyone.
      if (kind === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    for (const id of this.conf.voters) {
      if (id === this.id) continue;
      this.#send({
        type: voteType,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        force: kind === 'transfer' ? true : undefined,
      });
    }
  }

  #hasUnappliedConfChanges(): boolean {
    // Changes up to the last one in force are applied (bootstrap ones at construction).
    const from = Math.max(this.log.applied, this.#confHistory[this.#confHistory.length - 1]!.index) + 1;
    if (from > this.log.committed) return false;
    for (const e of this.log.slice(from, this.log.committed + 1) ?? []) if (e.kind === EntryKind.ConfChange) return true;
    return false;
  }

  #poll(from: NodeId, granted: boolean): 'won' | 'lost' | 'pending' {
    if (!this.#votes.has(from)) this.#votes.set(from, granted);
    return voteResult(this.conf.voters, this.#votes);
  }

  promotable(): boolean {
    return this.conf.voters.includes(this.id) && this.pendingInstall === undefined;
  }

  /** Append client commands. Throws a RaftError when this node cannot take them. */
  propose(data: Uint8Array[], kind: EntryKind = EntryKind.Normal): ProposalRef {
    if (this.role !== Role.Leader) throw notLeader(this.lead);
    if (this.leadTransferee !== NONE) throw proposalDropped(`leadership is being transferred to ${this.leadTransferee}`);
    let bytes = 0;
    for (const d of data) bytes += d.byteLength;
    if (this.#uncommittedBytes > 0 && this.#uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      throw busy(`${this.#uncommittedBytes} bytes are waiting to commit (limit ${this.cfg.maxUncommittedBytes})`);
    }
    const first = this.log.lastIndex() + 1;
    const entries: Entry[] = data.map((d, i) => ({ index: first + i, term: this.term, kind, data: d }));
    this.log.append(entries);
    this.#uncommittedBytes += bytes;
    this.#bcastAppend();
    return { index: this.log.lastIndex(), term: this.term };
  }

  proposeConfChange(cc: ConfChange): ProposalRef {
    if (this.role !== Role.Leader) throw notLeader(this.lead);
    if (this.#pendingConfIndex > this.log.applied) {
      throw new RaftError('RAFTKV_ERR_CONF_CHANGE', `a membership change is still pending (index ${this.#pendingConfIndex}, applied ${this.log.applied})`);
    }
    const why = validateConfChange(this.conf, cc);
    if (why) throw new RaftError('RAFTKV_ERR_CONF_CHANGE', why);
    const ref = this.propose([encodeConfChange(cc)], EntryKind.ConfChange);
    this.#pendingConfIndex = ref.index;
    return ref;
  }

  readIndex(context: number): void {
    if (this.role !== Role.Leader) {
      if (this.lead === NONE) throw notLeader(NONE);
      this.#forwardedReads.add(context);
      this.#send({ type: MessageType.ReadIndex, to: this.lead, term: this.term, context });
      return;
    }
    this.#leaderReadIndex(context, NONE);
  }

  #leaderReadIndex(context: number, from: NodeId): void {
    if (!this.readIndexAllowed()) {
      this.#readsAwaitingCommit.push({ context, from });
      return;
    }
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id) {
      this.#answerRead(context, from, this.log.committed);
      return;
    }
    this.#reads.add(context, from, this.log.committed);
  }

  #answerRead(context: number, from: NodeId, index: number): void {
    if (from === NONE || from === this.id) this.readStates.push({ context, index });
    else this.#send({ type: MessageType.ReadIndexResp, to: from, term: this.term, context, index });
  }

  /** Send the heartbeat round of the reads collected since the last ready(). */
  flushReadRound(): void {
    const round = this.#reads.takeOpenRound();
    if (round !== 0) this.#bcastHeartbeat(round);
  }

  transferLeadership(to: NodeId): void {
    if (this.role !== Role.Leader) throw notLeader(this.lead);
    if (to === this.id) return;
    if (!this.conf.voters.includes(to)) throw new RaftError('RAFTKV_ERR_TRANSFER', `${to} is not a voter`);
    if (this.leadTransferee === to) return;
    this.#abortLeaderTransfer();
    this.cfg.logger?.('transfer leadership', { id: this.id, term: this.term, to });
    this.leadTransferee = to;
    this.electionElapsed = 0; // the transfer must finish within one election timeout
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.#send({ type: MessageType.TimeoutNow, to, term: this.term });
    else this.#sendAppend(to);
  }

  #abortLeaderTransfer(): void {
    if (this.leadTransferee !== NONE) this.cfg.logger?.('transfer aborted', { id: this.id, term: this.term, to: this.leadTransferee });
    this.leadTransferee = NONE;
  }

  /** The runtime captured its state machine at `index` (<= applied); `size` bytes. */
  snapshotCaptured(index: number, size: number): void {
    const log = this.log;
    if (index <= (log.snapshot?.index ?? 0)) return;
    invariant(index <= log.applied, () => `snapshot at ${index} beyond applied ${log.applied}`);
    const term = log.term(index);
    invariant(term !== undefined, () => `snapshot at ${index}: its term is no longer in the log`);
    const conf = this.confStateAt(index);
    log.snapshot = { index, term, confState: conf, size };
    const compactTo = index - this.cfg.compactionTrailing;
    if (compactTo >= log.firstIndex()) log.compactTo(compactTo);
    // Keep only the configuration in force at the snapshot and those after it.
    this.#confHistory = [{ index, conf }, ...this.#confHistory.filter((h) => h.index > index)];
    this.cfg.logger?.('snapshot captured', { id: this.id, term: this.term, index, size, firstIndex: log.firstIndex() });
  }

  // ---- roles ----

  #reset(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.#heartbeatElapsed = 0;
    this.#resetRandomizedElectionTimeout();
    this.#abortLeaderTransfer();
    this.#votes.clear();
    this.#pendingConfIndex = 0;
    this.#uncommittedBytes = 0;
    for (const r of this.#reads.clear()) if (r.from === NONE) this.droppedReads.push(r.context);
    for (const r of this.#readsAwaitingCommit) if (r.from === NONE) this.droppedReads.push(r.context);
    this.#readsAwaitingCommit = [];
    this.#dropForwardedReads();
    this.#resetProgress();
  }

  #dropForwardedReads(): void {
    for (const c of this.#forwardedReads) this.droppedReads.push(c);
    this.#forwardedReads.clear();
  }

  #resetProgress(): void {
    this.progress.clear();
    const next = this.log.lastIndex() + 1;
    for (const id of this.conf.voters) this.progress.set(id, this.#newProgress(id, next, false));
    for (const id of this.conf.learners) this.progress.set(id, this.#newProgress(id, next, true));
  }

  #newProgress(id: NodeId, next: number, learner: boolean): Progress {
    const pr = new Progress(next, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes, learner);
    if (id === this.id) pr.match = this.log.stable;
    return pr;
  }

  becomeFollower(term: number, lead: NodeId): void {
    const was = this.role;
    const oldLead = this.lead;
    this.#reset(term);
    this.role = Role.Follower;
    this.lead = lead;
    this.#step = this.#stepFollower;
    this.#tick = this.#tickElection;
    if (was !== Role.Follower || oldLead !== lead) this.cfg.logger?.('became follower', { id: this.id, term, leader: lead, was });
  }

  #becomePreCandidate(): void {
    invariant(this.role !== Role.Leader, () => 'a leader cannot become a pre-candidate');
    // The term and vote stay: a pre-election must not disturb anyone.
    this.#votes.clear();
    this.#dropForwardedReads();
    this.role = Role.PreCandidate;
    this.lead = NONE;
    this.#step = this.#stepCandidate;
    this.#tick = this.#tickElection;
  }

  #becomeCandidate(): void {
    invariant(this.role !== Role.Leader, () => 'a leader cannot become a candidate');
    this.#reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
    this.#step = this.#stepCandidate;
    this.#tick = this.#tickElection;
  }

  becomeLeader(): void {
    invariant(this.role !== Role.Follower, () => 'a follower cannot become leader without an election');
    this.#reset(this.term);
    this.role = Role.Leader;
    this.lead = this.id;
    this.#step = this.#stepLeader;
    this.#tick = this.#tickHeartbeat;
    this.progress.get(this.id)?.becomeReplicate();
    // Entries of earlier terms commit only with one of ours (§5.4.2), and no
    // membership change may be proposed before that one applies.
    this.#pendingConfIndex = this.log.lastIndex();
    this.log.append([{ index: this.log.lastIndex() + 1, term: this.term, kind: EntryKind.Noop, data: EMPTY }]);
    this.cfg.logger?.('became leader', { id: this.id, term: this.term, lastIndex: this.log.lastIndex() });
    this.#bcastAppend();
  }

  /**
   * The transport lost its connection to `peer`. When that is our leader,
   * its lease is dropped and we campaign after a short random delay instead
   * of a full election timeout: a killed leader is replaced in about a tenth
   * of the time. Safe when the leader is in fact alive: this is only timing,
   * and pre-vote makes a peer that still hears from the leader refuse.
   */
  leaderLost(peer: NodeId): void {
    if (this.role !== Role.Follower || this.lead !== peer || peer === NONE) return;
    const lease = this.cfg.electionTicks[0];
    // Spread over half an election timeout so two followers rarely campaign in the same tick.
    const spread = Math.max(2, Math.floor(lease / 2));
    this.electionElapsed = Math.max(this.electionElapsed, lease);
    this.#randomizedElectionTimeout = this.electionElapsed + 1 + this.cfg.rand.int(spread);
    this.cfg.logger?.('leader connection lost: campaigning early', { id: this.id, term: this.term, leader: peer, inTicks: this.#randomizedElectionTimeout - this.electionElapsed });
  }

  // ---- ticks ----

  #tickElection = (): void => {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.#randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign();
    }
  };

  #tickHeartbeat = (): void => {
    this.#heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks[0]) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum && !this.#quorumActive()) {
        this.cfg.logger?.('stepped down: no quorum heard from', { id: this.id, term: this.term });
        this.becomeFollower(this.term, NONE);
        return;
      }
      this.#abortLeaderTransfer();
    }
    if (this.#heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#bcastHeartbeat(0);
    }
  };

  #quorumActive(): boolean {
    let active = 0;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id);
      if (!pr) continue;
      if (id === this.id || pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= majority(this.conf.voters.length);
  }

  #resetRandomizedElectionTimeout(): void {
    const [min, max] = this.cfg.electionTicks;
    this.#randomizedElectionTimeout = min + this.cfg.rand.int(max - min);
  }

  // ---- per-role message handling ----

  #stepLeader = (m: Message): void => {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case MessageType.AppResp:
        // Our log only grew during our term, and every answer of this term is to an App of ours.
        if (!m.reject && m.index > this.log.lastIndex()) return this.#dropImpossible(m, `acknowledges index ${m.index} beyond the leader's last index ${this.log.lastIndex()}`);
        if (pr) this.#handleAppendResponse(m, pr);
        return;
      case MessageType.HeartbeatResp:
        if (pr) this.#handleHeartbeatResponse(m, pr);
        return;
      case MessageType.SnapResp:
        if (pr) this.#handleSnapshotResponse(m, pr);
        return;
      case MessageType.ReadIndex:
        if (pr) this.#leaderReadIndex(m.context ?? 0, m.from);
        return;
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // §5.2 elects one leader per term: this sender cannot be a correct peer.
        return this.#dropImpossible(m, `two leaders in term ${this.term}: ${this.id} and ${m.from}`);
      default:
        return;
    }
  };

  #stepCandidate = (m: Message): void => {
    const myVoteResp = this.role === Role.PreCandidate ? MessageType.PreVoteResp : MessageType.VoteResp;
    switch (m.type) {
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        // Someone won this term.
        this.becomeFollower(this.term, m.from);
        this.#stepFollower(m);
        return;
      case myVoteResp: {
        const result = this.#poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === Role.PreCandidate) this.campaign('election');
          else {
            this.becomeLeader();
          }
        } else if (result === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return;
    }
  };

  #stepFollower = (m: Message): void => {
    switch (m.type) {
      // Anything from the leader of this term keeps this follower from campaigning.
      case MessageType.App:
      case MessageType.Heartbeat:
      case MessageType.Snap:
        this.electionElapsed = 0;
        this.#setLeader(m.from);
        if (m.type === MessageType.App) this.#handleAppend(m);
        else if (m.type === MessageType.Snap) this.#handleSnapshotChunk(m);
        else {
          this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
          this.#send({ type: MessageType.HeartbeatResp, to: m.from, term: this.term, context: m.context });
        }
        return;
      case MessageType.TimeoutNow:
        this.cfg.logger?.('timeout-now: campaigning for a transfer', { id: this.id, term: this.term, from: m.from });
        this.campaign('transfer');
        return;
      case MessageType.ReadIndexResp:
        if (this.#forwardedReads.delete(m.context ?? 0)) this.readStates.push({ context: m.context ?? 0, index: m.index });
        return;
      default:
        return;
    }
  };

  #setLeader(lead: NodeId): void {
    if (this.lead !== lead) {
      this.#dropForwardedReads();
      this.lead = lead;
      this.cfg.logger?.('leader known', { id: this.id, term: this.term, leader: lead });
    }
  }

  // ---- replication: follower side ----

  #handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.#send({ type: MessageType.AppResp, to: m.from, term: this.term, index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries ?? []);
    if (lastNew !== undefined) {
      this.#send({ type: MessageType.AppResp, to: m.from, term: this.term, index: lastNew });
      return;
    }
    // Fast backtracking: tell the leader the last index at or below the
    // rejected one whose term is at most the leader's term there, so it can
    // skip a whole diverged term per round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.#send({
      type: MessageType.AppResp,
      to: m.from,
      term: this.term,
      index: m.index,
      reject: true,
      rejectHint: hint,
      logTerm: this.log.term(hint) ?? 0,
    });
  }

  #handleSnapshotChunk(m: Message): void {
    const meta = m.snapshot!;
    const respond = (offset: number, reject?: boolean): void =>
      this.#send({ type: MessageType.SnapResp, to: m.from, term: this.term, index: meta.index, offset, reject });
    if (meta.index <= this.log.committed) {
      // We already have everything the snapshot holds.
      this.#incoming = undefined;
      respond(meta.size);
      return;
    }
    let inc = this.#incoming;
    if (!inc || inc.meta.index !== meta.index || inc.meta.term !== meta.term) {
      if ((m.offset ?? 0) !== 0) {
        respond(0, true);
        return;
      }
      inc = this.#incoming = { meta, offset: 0 };
    }
    if (m.offset !== inc.offset || this.snapshotChunk !== undefined) {
      // A duplicate, a gap, or a chunk still waiting for the disk: say where we are.
      if (this.snapshotChunk === undefined) respond(inc.offset, true);
      return;
    }
    const data = m.data ?? EMPTY;
    if (crc32(data) !== m.checksum) {
      this.cfg.logger?.('snapshot chunk checksum mismatch', { id: this.id, term: this.term, index: meta.index, offset: m.offset });
      respond(inc.offset, true);
      return;
    }
    inc.offset += data.byteLength;
    const last = m.last === true;
    this.snapshotChunk = { meta, offset: m.offset!, data, last };
    if (!last) {
      respond(inc.offset);
      return;
    }
    this.#incoming = undefined;
    this.#installSnapshot(meta);
    respond(meta.size);
  }

  #installSnapshot(meta: SnapshotMeta): void {
    // §7: keep the log after the snapshot only if it holds the snapshot's last entry.
    const keepLog = this.log.matchTerm(meta.index, meta.term);
    this.log.restore(meta, keepLog);
    this.conf = meta.confState;
    this.#confHistory = [{ index: meta.index, conf: meta.confState }];
    this.pendingInstall = { meta, keepLog };
    this.cfg.logger?.('snapshot installed', { id: this.id, term: this.term, index: meta.index, snapshotTerm: meta.term, keepLog, size: meta.size });
  }

  // ---- replication: leader side ----

  #handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let probe = m.rejectHint ?? 0;
      if ((m.logTerm ?? 0) > 0) probe = this.log.findConflictByTerm(probe, m.logTerm);
      if (pr.maybeDecrTo(m.index, probe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    // An answer at our match to a probe also ends probing (after a snapshot, match is already there).
    if (pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === 'probe')) {
      if (pr.state === 'probe') pr.becomeReplicate();
      else if (pr.state === 'snapshot' && pr.match >= pr.snapshotIndex) pr.becomeProbe();
      else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
      if (this.#maybeCommit()) this.#bcastAppend();
      // A follower that was paused may have missed the latest commit index: tell it, even with no entries.
      else if (wasPaused) this.#sendAppend(m.from);
      while (this.#sendAppend(m.from, false));
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
        this.#send({ type: MessageType.TimeoutNow, to: m.from, term: this.term });
      }
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
  }

  #handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // Answers to Apps may have been lost: free a slot so replication cannot stall.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.state === 'snapshot') {
      // A chunk unanswered for two heartbeat rounds was lost: send it again.
      if (pr.snapshotChunkOut && ++pr.snapshotStalls >= 2) pr.snapshotChunkOut = false;
      this.#sendSnapshotChunk(m.from, pr);
    } else if (pr.match < this.log.lastIndex()) {
      this.#sendAppend(m.from);
    }
    if ((m.context ?? 0) > 0) {
      for (const r of this.#reads.ack(m.context!, m.from, this.id, this.conf.voters)) this.#answerRead(r.context, r.from, r.index);
    }
  }

  #handleSnapshotResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (pr.state !== 'snapshot' || m.index !== pr.snapshotIndex) return;
    pr.snapshotChunkOut = false;
    const size = this.log.snapshot?.index === m.index ? this.log.snapshot.size : Infinity;
    if (!m.reject && (m.offset ?? 0) >= size) {
      this.cfg.logger?.('snapshot delivered', { id: this.id, term: this.term, to: m.from, index: m.index });
      pr.match = Math.max(pr.match, m.index);
      pr.becomeProbe();
      this.#sendAppend(m.from);
      return;
    }
    pr.snapshotOffset = m.offset ?? 0;
    this.#sendSnapshotChunk(m.from, pr);
  }

  /** Send the entries `to` is missing. Returns whether a message was sent. */
  #sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || to === this.id || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxMsgBytes, this.cfg.maxMsgEntries);
    if (prevTerm === undefined || entries === undefined) {
      this.#startSnapshot(to, pr);
      return false;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += e.data.byteLength;
    this.#send({ type: MessageType.App, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(prevIndex + entries.length, entries.length, bytes);
    return entries.length > 0;
  }

  #startSnapshot(to: NodeId, pr: Progress): void {
    const snap = this.log.snapshot;
    invariant(snap !== undefined, () => `${to} needs entries before ${this.log.firstIndex()} but there is no snapshot`);
    this.cfg.logger?.('sending snapshot', { id: this.id, term: this.term, to, index: snap.index, size: snap.size, next: pr.next });
    pr.becomeSnapshot(snap.index);
    this.#sendSnapshotChunk(to, pr);
  }

  #sendSnapshotChunk(to: NodeId, pr: Progress): void {
    if (pr.snapshotChunkOut) return;
    const snap = this.log.snapshot!;
    if (snap.index !== pr.snapshotIndex) pr.becomeSnapshot(snap.index); // a newer snapshot replaced it
    pr.snapshotChunkOut = true;
    pr.snapshotStalls = 0;
    this.#send({ type: MessageType.Snap, to, term: this.term, snapshot: snap, offset: pr.snapshotOffset, chunkSize: this.cfg.snapshotChunkBytes });
  }

  #bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.#sendAppend(id);
  }

  #bcastHeartbeat(round: number): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit past what we know it matches.
      const commit = Math.min(pr.match, this.log.committed);
      this.#send({ type: MessageType.Heartbeat, to: id, term: this.term, commit, context: round || undefined });
    }
  }

  #maybeCommit(): boolean {
    const index = committedIndex(this.conf.voters, (id) => this.progress.get(id)?.match ?? 0);
    if (index <= this.log.committed || !this.canCommitAt(index)) return false;
    const old = this.log.committed;
    this.log.commitTo(index);
    if (this.#uncommittedBytes > 0) {
      for (const e of this.log.slice(old + 1, index + 1) ?? []) this.#uncommittedBytes -= e.data.byteLength;
      if (this.#uncommittedBytes < 0) this.#uncommittedBytes = 0;
    }
    if (this.#readsAwaitingCommit.length > 0 && this.readIndexAllowed()) {
      const waiting = this.#readsAwaitingCommit;
      this.#readsAwaitingCommit = [];
      for (const r of waiting) this.#leaderReadIndex(r.context, r.from);
    }
    return true;
  }

  // ---- persistence and apply feedback (from RawNode.advance) ----

  /** Entries up to (index, term) are durable. */
  onStable(index: number, term: number): void {
    this.log.stableTo(index, term);
    if (this.role !== Role.Leader) return;
    const self = this.progress.get(this.id);
    if (self && self.maybeUpdate(this.log.stable) && this.#maybeCommit()) this.#bcastAppend();
  }

  /** The index of the entry that made `conf` (0 for the bootstrap configuration). */
  get confIndex(): number {
    return this.#confHistory[this.#confHistory.length - 1]!.index;
  }

  /** The runtime applied these committed entries. */
  onApplied(entries: Entry[]): void {
    if (entries.length === 0) return;
    const last = entries[entries.length - 1]!.index;
    const confIndex = this.#confHistory[this.#confHistory.length - 1]!.index;
    for (const e of entries) {
      if (e.kind === EntryKind.ConfChange && e.index > confIndex) this.#applyConf(e);
    }
    if (last > this.log.applied) this.log.applied = last;
  }

  #applyConf(e: Entry): void {
    const cc = decodeConfChange(e.data);
    const before = this.conf;
    this.conf = applyConfChange(this.conf, cc);
    this.#confHistory.push({ index: e.index, conf: this.conf });
    this.cfg.logger?.('membership changed', { id: this.id, term: this.term, index: e.index, change: cc.type, node: cc.node, voters: this.conf.voters, learners: this.conf.learners });
    if (this.role !== Role.Leader || this.conf === before) return;
    const isMember = (id: NodeId): boolean => this.conf.voters.includes(id) || this.conf.learners.includes(id);
    for (const id of [...this.progress.keys()]) if (!isMember(id)) this.progress.delete(id);
    const next = this.log.lastIndex() + 1;
    for (const id of this.conf.voters) {
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = false;
      else this.progress.set(id, this.#newProgress(id, next, false));
    }
    for (const id of this.conf.learners) if (!this.progress.has(id)) this.progress.set(id, this.#newProgress(id, next, true));
    if (!this.conf.voters.includes(this.id)) {
      // Our own removal committed: step down and let the others elect a leader.
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.conf.voters.includes(this.leadTransferee)) this.#abortLeaderTransfer();
    // A smaller quorum may commit more; new members need the log.
    this.#maybeCommit();
    this.#bcastAppend();
  }

  #send(m: Partial<Message> & Pick<Message, 'type' | 'to' | 'term'>): void {
    this.msgs.push({ from: this.id, index: 0, logTerm: 0, commit: 0, ...m });
  }

  /** Bytes proposed by this leader and not yet committed, for status. */
  uncommittedBytes(): number {
    return this.#uncommittedBytes;
  }

  confStateAt(index: number): ConfState {
    let conf = this.#confHistory[0]!.conf;
    for (const h of this.#confHistory) if (h.index <= index) conf = h.conf;
    return conf;
  }
}
