// The safety properties of Raft (Figure 3 of the paper), checked on every run
// as the simulator goes, plus linearizability of the client history at the end.
//
// - Election safety: at most one leader per term.
// - One vote per term: no node grants its vote to two candidates in one term,
//   crashes included (§5.2; election safety rests on it). Votes are seen on
//   the wire: granted VoteResps, and Vote requests (a candidate's own vote).
// - Log matching: if two logs hold an entry with the same index and term, the
//   logs are identical up to it. Checked incrementally: every (index, term)
//   ever seen in a log remembers its data and the term of the entry before it;
//   any log showing the same (index, term) with other data or another
//   predecessor term breaks the property (by induction this covers whole prefixes).
// - Leader completeness: an entry applied anywhere was committed at a term no
//   higher than the highest term in existence then (`maxTerm`); every leader of
//   a later term must hold it (or have compacted it into its snapshot).
// - Commit safety (leader completeness, checked at the moment of commit): when
//   a leader advances its commit index to j, no voter whose log lacks entry j
//   may be able to win an election, i.e. be at least as up to date (§5.4.1)
//   as a majority of voters. Every node is judged by each log it may come
//   back with: the one in memory and, should it crash, the one on its disk.
//   This catches an unsafe commit before an unlucky election exploits it.
// - Read safety: a ReadIndex read is confirmed at an index no lower than
//   any commit index some node had when the read began (§6.4: else it may
//   miss a write that completed before it).
// - State machine safety: no two nodes apply different entries at one index,
//   every node applies indices in order, and equal indices give equal states
//   (which also checks snapshots and restarts: a state restored from a
//   snapshot, or read back from the disk, must equal the state the appliers
//   had at that index).

import type { Entry, NodeId } from '../../src/raft/index.js';
import { checkKvHistory, type Operation } from '../../src/check/linearizability.js';
import { fmtEntry } from './trace.js';

/** The read-only view of a node's log the checkers need (RaftLog has it). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number | undefined;
  entry(index: number): Entry | undefined;
}

/** One log a node may hold: in memory now, or on disk after a crash. */
export interface LogVersion {
  where: 'memory' | 'disk';
  lastIndex: number;
  lastTerm: number;
  /** Holds the entry being committed (or a snapshot covering it). */
  holds: boolean;
}

export interface VoterLogs {
  id: NodeId;
  versions: LogVersion[];
}

interface AppliedRecord {
  term: number;
  text: string;
  entry: Entry;
  node: NodeId;
  /** The highest term any node had when the entry was first seen applied. */
  maxTerm: number;
}

interface Link {
  text: string;
  entry: Entry;
  prevTerm: number | undefined;
  node: NodeId;
}

export class Invariants {
  readonly violations: string[] = [];
  readonly #leaders = new Map<number, NodeId>();
  /** "voter@term" -> the candidate it voted for. */
  readonly #votes = new Map<string, NodeId>();
  #maxTerm = 0;
  /** The highest commit index any node ever had. */
  #maxCommit = 0;
  readonly #applied = new Map<number, AppliedRecord>();
  readonly #stateAt = new Map<number, string>();
  readonly #links = new Map<number, Map<number, Link>>();
  readonly #texts = new WeakMap<Uint8Array, string>();
  readonly #describeTime: () => string;

  constructor(describeTime: () => string = () => '') {
    this.#describeTime = describeTime;
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  get leaderTerms(): number {
    return this.#leaders.size;
  }

  violation(what: string): void {
    const at = this.#describeTime();
    this.violations.push(at ? `${what} (at tick ${at})` : what);
  }

  get maxCommit(): number {
    return this.#maxCommit;
  }

  observeCommit(index: number): void {
    if (index > this.#maxCommit) this.#maxCommit = index;
  }

  /** `node` got read `context` confirmed at `index`; when the read began, `floor` was committed somewhere. */
  onReadConfirmed(node: NodeId, context: number, index: number, floor: number): void {
    if (index < floor) this.violation(`read safety: ${node} confirmed read ${context} at index ${index}, but index ${floor} was committed before the read began`);
  }

  /** Called whenever a node's term is seen. */
  observeTerm(term: number): void {
    if (term > this.#maxTerm) this.#maxTerm = term;
  }

  /** `voter` granted its vote in `term` to `candidate` (itself when it campaigns). */
  onVote(voter: NodeId, term: number, candidate: NodeId): void {
    const key = `${voter}@${term}`;
    const before = this.#votes.get(key);
    if (before === undefined) this.#votes.set(key, candidate);
    else if (before !== candidate) this.violation(`one vote per term: ${voter} voted for ${before} and for ${candidate} in term ${term}`);
  }

  /** `node` just became leader of `term` with `log`. */
  onLeader(node: NodeId, term: number, log: LogView): void {
    this.observeTerm(term);
    const other = this.#leaders.get(term);
    if (other !== undefined && other !== node) {
      this.violation(`election safety: two leaders in term ${term}: ${other} and ${node}`);
      return;
    }
    this.#leaders.set(term, node);
    const first = log.firstIndex();
    for (const [index, rec] of this.#applied) {
      if (rec.maxTerm >= term || index < first) continue;
      const e = log.entry(index);
      if (e === undefined) {
        this.violation(
          `leader completeness: ${node} became leader of term ${term} without entry ${index}/t${rec.term} (applied by ${rec.node} when the highest term was ${rec.maxTerm}); its log ends at ${log.lastIndex()}`,
        );
        return;
      }
      if (e.term !== rec.term || this.#text(e) !== rec.text) {
        this.violation(
          `leader completeness: ${node} became leader of term ${term} with entry ${fmtEntry(e)} but ${rec.node} applied ${fmtEntry(rec.entry)}`,
        );
        return;
      }
    }
  }

  /** The term of the entry applied at `index` anywhere, if any node applied one. */
  appliedTerm(index: number): number | undefined {
    return this.#applied.get(index)?.term;
  }

  /** `leader` of `term` just committed up to `index` (whose entry has `indexTerm`); `voters` are its configuration's logs. */
  onCommit(leader: NodeId, term: number, index: number, indexTerm: number, voters: VoterLogs[]): void {
    const majority = Math.floor(voters.length / 2) + 1;
    for (const x of voters) {
      for (const vx of x.versions) {
        if (vx.holds) continue;
        const electors = voters.filter(
          (v) => v === x || v.versions.some((vv) => vx.lastTerm > vv.lastTerm || (vx.lastTerm === vv.lastTerm && vx.lastIndex >= vv.lastIndex)),
        );
        if (electors.length >= majority) {
          this.violation(
            `commit safety: ${leader} (term ${term}) committed ${index}/t${indexTerm}, but ${x.id} lacks it and with its ${vx.where} log (last ${vx.lastIndex}/t${vx.lastTerm}) could be elected by [${electors.map((v) => v.id).join(',')}] (${describeVoters(voters)})`,
          );
          return;
        }
      }
    }
  }

  /** `node` applied `e`; `digest` is its state after it. */
  onApply(node: NodeId, e: Entry, digest: string): void {
    const text = this.#text(e);
    const rec = this.#applied.get(e.index);
    if (rec === undefined) {
      this.#applied.set(e.index, { term: e.term, text, entry: e, node, maxTerm: this.#maxTerm });
    } else if (rec.term !== e.term || rec.text !== text) {
      this.violation(`state machine safety: ${node} applied ${fmtEntry(e)} but ${rec.node} applied ${fmtEntry(rec.entry)}`);
      return;
    }
    this.#checkState(node, e.index, digest, 'after applying');
  }

  /** `node` applied an index out of order. */
  onApplyGap(node: NodeId, index: number, applied: number): void {
    this.violation(`state machine safety: ${node} applied index ${index} right after ${applied}`);
  }

  /** `node` restored its state machine from a snapshot at `index`. */
  onRestore(node: NodeId, index: number, digest: string): void {
    this.#checkState(node, index, digest, 'restored from a snapshot at');
  }

  #checkState(node: NodeId, index: number, digest: string, how: string): void {
    const seen = this.#stateAt.get(index);
    if (seen === undefined) this.#stateAt.set(index, digest);
    else if (seen !== digest) this.violation(`state machine safety: ${node} ${how} index ${index} holds {${digest}}, others had {${seen}}`);
  }

  /** Log matching over the whole in-memory log of `node`. */
  checkLog(node: NodeId, log: LogView): void {
    const last = log.lastIndex();
    for (let i = log.firstIndex(); i <= last; i++) {
      const e = log.entry(i)!;
      const prevTerm = log.term(i - 1);
      let byTerm = this.#links.get(i);
      if (!byTerm) this.#links.set(i, (byTerm = new Map()));
      const link = byTerm.get(e.term);
      const text = this.#text(e);
      if (!link) {
        byTerm.set(e.term, { text, entry: e, prevTerm, node });
        continue;
      }
      if (link.text !== text) {
        this.violation(`log matching: entry ${i}/t${e.term} is ${fmtEntry(e)} on ${node} but ${fmtEntry(link.entry)} on ${link.node}`);
        return;
      }
      if (prevTerm !== undefined && link.prevTerm !== undefined && prevTerm !== link.prevTerm) {
        this.violation(`log matching: entry ${i}/t${e.term} follows an entry of term ${prevTerm} on ${node} but of term ${link.prevTerm} on ${link.node}`);
        return;
      }
      if (link.prevTerm === undefined) link.prevTerm = prevTerm;
    }
  }

  /** Linearizability of the client history; returns how the check went. */
  checkHistory(history: readonly Operation[], timeoutMs: number): { timedOut: boolean; ms: number } {
    const started = performance.now();
    let r;
    try {
      r = checkKvHistory(history, { timeoutMs });
    } catch (e) {
      this.violations.push(`linearizability checker failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return { timedOut: false, ms: performance.now() - started };
    }
    const ms = performance.now() - started;
    if (!r.ok) this.violations.push(`linearizability: the history of key ${r.badKey} is not linearizable\n${r.explanation ?? ''}`);
    return { timedOut: r.timedOut, ms };
  }

  /** The entry's kind and bytes, losslessly as a string (one char per byte): to compare, not to show. */
  #text(e: Entry): string {
    let t = this.#texts.get(e.data);
    if (t === undefined) {
      t = `${e.kind}:${Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength).toString('latin1')}`;
      this.#texts.set(e.data, t);
    }
    return t;
  }
}

function describeVoters(voters: VoterLogs[]): string {
  return voters.map((v) => `${v.id}: ${v.versions.map((x) => `${x.where} ${x.lastIndex}/t${x.lastTerm}${x.holds ? '' : ' lacking'}`).join(', ')}`).join('; ');
}
