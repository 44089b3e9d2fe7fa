/**
 * What a leader knows of one follower's log, and how it sends to it:
 * - probe: send one App at a time until the follower's match is found;
 * - replicate: stream Apps optimistically, bounded by the in-flight window;
 * - snapshot: the follower needs a snapshot; send its chunks, nothing else.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The App messages in flight to one follower, by last index and bytes, oldest first. */
export class Inflights {
  #last: number[] = [];
  #bytes: number[] = [];
  #head = 0;
  #totalBytes = 0;
  readonly maxCount: number;
  readonly maxBytes: number;

  constructor(maxCount: number, maxBytes: number) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  get count(): number {
    return this.#last.length - this.#head;
  }

  get bytes(): number {
    return this.#totalBytes;
  }

  full(): boolean {
    return this.count >= this.maxCount || this.#totalBytes >= this.maxBytes;
  }

  add(lastIndex: number, bytes: number): void {
    this.#last.push(lastIndex);
    this.#bytes.push(bytes);
    this.#totalBytes += bytes;
  }

  /** The follower acknowledged everything up to `index`. */
  freeLE(index: number): void {
    while (this.#head < this.#last.length && this.#last[this.#head]! <= index) {
      this.#totalBytes -= this.#bytes[this.#head]!;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#last.length) {
      this.#last = this.#last.slice(this.#head);
      this.#bytes = this.#bytes.slice(this.#head);
      this.#head = 0;
    }
  }

  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.#last[this.#head]!);
  }

  reset(): void {
    this.#last = [];
    this.#bytes = [];
    this.#head = 0;
    this.#totalBytes = 0;
  }
}

export class Progress {
  /** Highest index known to match the leader's log. */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an App is out, wait for its answer (or a heartbeat answer) before the next. */
  probeSent = false;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  readonly inflights: Inflights;
  /** In snapshot state: the snapshot being sent and the next byte to send. */
  snapshotIndex = 0;
  snapshotOffset = 0;
  /** A chunk is out; wait for its answer (or a heartbeat answer) before resending. */
  snapshotChunkOut = false;
  /** Heartbeat answers seen while a chunk is out. */
  snapshotStalls = 0;
  isLearner: boolean;

  constructor(next: number, maxInflight: number, maxInflightBytes: number, isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight, maxInflightBytes);
    this.isLearner = isLearner;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // Resume after the snapshot the follower now has.
      this.next = Math.max(this.match + 1, this.snapshotIndex + 1);
    } else {
      this.next = this.match + 1;
    }
    this.#reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.#reset('replicate');
  }

  becomeSnapshot(index: number): void {
    this.#reset('snapshot');
    this.snapshotIndex = index;
    this.snapshotOffset = 0;
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.snapshotIndex = 0;
    this.snapshotOffset = 0;
    this.snapshotChunkOut = false;
    this.inflights.reset();
  }

  /** An accepted append up to `index`. Returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Record an App sent with entries ending at `last`. */
  sentEntries(last: number, count: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = last + 1;
        this.inflights.add(last, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /**
   * A rejected append of the App at `rejected`: step `next` back to
   * `matchHint + 1`. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      // Stale unless it rejects the entry right after our match.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In probe state only the answer to the App we sent, at next - 1, counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** Paused: nothing more may be sent until an answer arrives. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
