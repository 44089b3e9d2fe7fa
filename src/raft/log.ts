import { InvariantError, invariant } from './errors.js';
import type { Entry, SnapshotMeta } from './types.js';

/**
 * The in-memory Raft log: entries after `prevIndex` (the last compacted or
 * snapshotted index, whose term is `prevTerm`), plus the bookkeeping of what
 * is durable, committed and applied.
 *
 * Invariants:
 *   prevIndex <= applied <= committed, applied <= applying <= committed
 *   prevIndex <= stable <= persisting <= lastIndex
 *   snapshot.index >= prevIndex when a snapshot exists (trailing entries may be kept behind it)
 */
export class RaftLog {
  #entries: Entry[] = [];
  #prevIndex = 0;
  /** Undefined when it is no longer known (a trailing window restored from disk). */
  #prevTerm: number | undefined = 0;
  /** Entries up to here are durable on this node. */
  stable = 0;
  /**
   * Entries up to here were handed to the runtime to write (several writes
   * may be in flight at once); those after it are not yet on their way.
   */
  persisting = 0;
  committed = 0;
  /** Handed to the runtime to apply, not yet acknowledged by advance(). */
  applying = 0;
  applied = 0;
  /** The latest snapshot: captured here, or installed from the leader. */
  snapshot: SnapshotMeta | undefined;

  constructor(snapshot: SnapshotMeta | undefined, entries: Entry[], applied: number) {
    this.snapshot = snapshot;
    this.#prevIndex = snapshot?.index ?? 0;
    this.#prevTerm = snapshot?.term ?? 0;
    if (entries.length > 0) {
      // Stored entries may start before the snapshot: the trailing window kept at compaction.
      const first = entries[0]!.index;
      invariant(first <= this.#prevIndex + 1, () => `stored log starts at ${first}, after a gap from ${this.#prevIndex}`);
      for (let i = 1; i < entries.length; i++) {
        invariant(entries[i]!.index === entries[i - 1]!.index + 1, () => `stored log has a gap after ${entries[i - 1]!.index}`);
      }
      if (snapshot) {
        const at = entries.find((e) => e.index === snapshot.index);
        invariant(at === undefined || at.term === snapshot.term, () => `stored entry ${snapshot.index} has term ${at?.term}, the snapshot says ${snapshot.term}`);
      }
      if (first - 1 < this.#prevIndex) this.#prevTerm = undefined; // compacted before we knew it
      this.#prevIndex = first - 1;
      this.#entries = entries.slice();
    }
    this.stable = this.lastIndex();
    this.persisting = this.stable;
    this.applied = Math.max(applied, snapshot?.index ?? 0);
    this.applying = this.applied;
    this.committed = this.applied;
    invariant(this.applied <= this.lastIndex() || this.applied === (snapshot?.index ?? 0), () => `applied ${applied} is beyond the stored log`);
  }

  firstIndex(): number {
    return this.#prevIndex + 1;
  }

  lastIndex(): number {
    return this.#prevIndex + this.#entries.length;
  }

  lastTerm(): number {
    return this.#entries.length > 0 ? this.#entries[this.#entries.length - 1]!.term : (this.#prevTerm ?? 0);
  }

  /** The term of the entry at `index`, or undefined when it is compacted or beyond the log. */
  term(index: number): number | undefined {
    if (index === this.#prevIndex) return this.#prevTerm ?? this.#snapshotTermAt(index);
    if (index < this.#prevIndex || index > this.lastIndex()) return undefined;
    return this.#entries[index - this.#prevIndex - 1]!.term;
  }

  #snapshotTermAt(index: number): number | undefined {
    return this.snapshot && this.snapshot.index === index ? this.snapshot.term : undefined;
  }

  entry(index: number): Entry | undefined {
    if (index <= this.#prevIndex || index > this.lastIndex()) return undefined;
    return this.#entries[index - this.#prevIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /**
   * The largest index at or below `index` whose term is at most `term`
   * (the start of the log when none is): the point where a log that has
   * `term` at `index` can agree with ours, for fast backtracking.
   */
  findConflictByTerm(index: number, term: number): number {
    if (index <= this.#prevIndex) return index;
    for (let i = Math.min(index, this.lastIndex()); i > this.#prevIndex; i--) {
      if (this.#entries[i - this.#prevIndex - 1]!.term <= term) return i;
    }
    return this.#prevIndex;
  }

  /** Entries in [lo, hi), at most `maxBytes` of data (always at least one). Undefined when lo is compacted. */
  slice(lo: number, hi: number, maxBytes = Infinity, maxCount = Infinity): Entry[] | undefined {
    if (lo <= this.#prevIndex) return undefined;
    hi = Math.min(hi, this.lastIndex() + 1, lo + maxCount);
    if (lo >= hi) return [];
    const start = lo - this.#prevIndex - 1;
    const end = hi - this.#prevIndex - 1;
    if (maxBytes === Infinity) return this.#entries.slice(start, end);
    let bytes = 0;
    let i = start;
    for (; i < end; i++) {
      bytes += this.#entries[i]!.data.byteLength;
      if (bytes > maxBytes && i > start) break;
    }
    return this.#entries.slice(start, i);
  }

  /** Entries not yet handed out for persistence (the caller marks them handed out). */
  unstableEntries(): Entry[] {
    return this.#entries.slice(this.persisting - this.#prevIndex);
  }

  /** Append entries at the end (the leader's own proposals). */
  append(entries: Entry[]): void {
    for (const e of entries) {
      invariant(e.index === this.lastIndex() + 1, () => `append of index ${e.index} after ${this.lastIndex()}`);
      this.#entries.push(e);
    }
  }

  /**
   * A follower receiving entries after (index, logTerm): skip those it has,
   * truncate at the first conflict, append the rest. Returns the last new index,
   * or undefined when (index, logTerm) does not match our log.
   */
  maybeAppend(index: number, logTerm: number, committed: number, entries: Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + entries.length;
    let i = 0;
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.index <= this.#prevIndex) continue; // already covered by our snapshot
      const t = this.term(e.index);
      if (t === e.term) continue;
      if (t !== undefined) {
        // §5.3: a conflicting entry and all that follow it are deleted. Raft.step
        // drops a message whose entries contradict the committed log before it
        // gets here, so this throw can only mean a bug in the core itself.
        if (e.index <= this.committed) throw new InvariantError(`entry ${e.index} conflicts with committed log (committed ${this.committed})`);
        this.#truncateFrom(e.index);
      }
      break;
    }
    for (; i < entries.length; i++) {
      if (entries[i]!.index > this.#prevIndex) this.#entries.push(entries[i]!);
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  #truncateFrom(index: number): void {
    this.#entries.length = index - this.#prevIndex - 1;
    // A write in flight may still hold the dropped entries: it lands before the
    // replacement (writes complete in order), and stableTo ignores it (term check).
    if (this.persisting >= index) this.persisting = index - 1;
    if (this.stable >= index) this.stable = index - 1;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      invariant(index <= this.lastIndex(), () => `commit ${index} is beyond the last index ${this.lastIndex()}`);
      this.committed = index;
    }
  }

  /**
   * After the runtime persisted entries up to (index, term). When the entry
   * there changed meanwhile (truncated, or covered by a snapshot), the write
   * that replaced it reports its own completion: nothing is marked durable
   * that the write did not hold.
   */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.term(index) === term) this.stable = index;
  }

  /** Committed entries that may be handed out to apply: durable here, or persisted in the same ready. */
  nextCommitted(upTo: number, maxBytes: number): Entry[] {
    const hi = Math.min(this.committed, upTo);
    if (hi <= this.applying) return [];
    return this.slice(this.applying + 1, hi + 1, maxBytes) ?? [];
  }

  /** Forget entries up to `index` (a snapshot covers them). */
  compactTo(index: number): void {
    if (index <= this.#prevIndex) return;
    invariant(index <= this.applied, () => `compaction to ${index} beyond applied ${this.applied}`);
    const term = this.term(index)!;
    this.#entries = this.#entries.slice(index - this.#prevIndex);
    this.#prevIndex = index;
    this.#prevTerm = term;
  }

  /** Install a snapshot received from the leader (§7). */
  restore(meta: SnapshotMeta, keepLog: boolean): void {
    if (keepLog) {
      // The entry at meta.index matches: keep what follows it.
      this.#entries = this.#entries.slice(meta.index - this.#prevIndex);
    } else {
      this.#entries = [];
    }
    this.#prevIndex = meta.index;
    this.#prevTerm = meta.term;
    this.snapshot = meta;
    this.committed = Math.max(this.committed, meta.index);
    this.applied = Math.max(this.applied, meta.index);
    this.applying = Math.max(this.applying, meta.index);
    this.stable = keepLog ? Math.max(this.stable, meta.index) : meta.index;
    this.persisting = keepLog ? Math.max(this.persisting, meta.index) : meta.index;
  }
}
