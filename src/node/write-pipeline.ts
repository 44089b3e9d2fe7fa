// The node's write pipeline (etcd's async storage writes, in our words): a
// ready's disk write starts as soon as the ready is taken, while earlier
// writes may still be in flight, so the leader's next batch goes out to the
// followers and to its disk without waiting for the previous fsync. What
// must not run ahead of the disk waits in one queue, finished strictly in
// the order the readies were taken:
//   - a ready's persisted messages (votes, append acks) leave only once its
//     own write and every earlier one are durable;
//   - its committed entries are applied, and their clients answered, then;
//   - a failed write finishes nothing after it: no ack ever leaves for
//     entries that are not on disk.
// The simulator's runtime mutants patch the methods of this class to break
// exactly one of these rules (test/sim/mutants.ts).

import type { Entry, Message, Ready } from '../raft/index.js';

/** An entry applied to the state machine, with what its client is to be told. */
export interface AppliedEntry<R> {
  entry: Entry;
  result: R;
}

/** What the pipeline drives: the node. R is what applying an entry returns to its client. */
export interface PipelineHost<R> {
  /** Hand messages to the transport. */
  send(msgs: readonly Message[]): void;
  /** Start the disk write of `rd`; undefined when it holds nothing to write. */
  write(rd: Ready): Promise<void> | undefined;
  /** `rd`'s write and every earlier one are durable: take note (a snapshot is installed here). */
  durable(rd: Ready): Promise<void> | void;
  /** Apply committed entries to the state machine. */
  apply(entries: readonly Entry[]): AppliedEntry<R>[];
  /** Answer the clients waiting on applied entries (and reads waiting for the state to reach them). */
  answer(applied: readonly AppliedEntry<R>[]): void;
  /** Everything of `rd` is done: answer its reads, advance the core. */
  finish(rd: Ready): void;
  /** A write failed: the node can no longer acknowledge anything. */
  fail(e: unknown): void;
}

interface Slot {
  rd: Ready;
  write: Promise<void> | undefined;
}

export class WritePipeline<R> {
  readonly #host: PipelineHost<R>;
  readonly #slots: Slot[] = [];
  #draining = false;
  #failed = false;
  #closed = false;

  constructor(host: PipelineHost<R>) {
    this.#host = host;
  }

  /** Readies taken and not finished: writes in flight, or waiting for an earlier one. */
  get depth(): number {
    return this.#slots.length;
  }

  get failed(): boolean {
    return this.#failed;
  }

  /** Take a ready: send what may leave now, start its write, queue the rest behind the disk. */
  submit(rd: Ready): void {
    if (this.#failed || this.#closed) return;
    this.#host.send(this.sendNow(rd));
    const write = this.#host.write(rd);
    // Seen by the drain loop in order; marked handled here so a failure behind
    // an earlier failed slot is not reported as unhandled.
    write?.catch(() => undefined);
    this.#slots.push({ rd, write });
    if (!this.#draining) void this.#drain();
  }

  /** Messages that may leave before `rd` is durable: the core sorted them (Ready.messages). */
  sendNow(rd: Ready): readonly Message[] {
    return rd.messages;
  }

  /** Messages that wait until `rd` and every earlier ready are durable. */
  sendWhenDurable(rd: Ready): readonly Message[] {
    return rd.persistedMessages;
  }

  /** Entries to apply once `rd` is durable: those the core says are committed. */
  toApply(rd: Ready): readonly Entry[] {
    return rd.committed;
  }

  /** Apply entries: their clients are answered only after (an answer promises the state holds them). */
  applyThenAnswer(entries: readonly Entry[]): void {
    this.answer(this.#host.apply(entries));
  }

  answer(applied: readonly AppliedEntry<R>[]): void {
    this.#host.answer(applied);
  }

  /** Stop finishing readies (the node stops): a write completing later does nothing. */
  close(): void {
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#slots.length > 0 && !this.#failed && !this.#closed) {
        const slot = this.#slots[0]!;
        if (slot.write) await slot.write;
        if (this.#closed) return;
        await this.#host.durable(slot.rd);
        if (this.#closed) return;
        this.#slots.shift();
        this.#host.send(this.sendWhenDurable(slot.rd));
        const entries = this.toApply(slot.rd);
        if (entries.length > 0) this.applyThenAnswer(entries);
        this.#host.finish(slot.rd);
      }
    } catch (e) {
      // A write that failed, or a bug finishing a ready: either way what
      // follows it cannot be trusted to be on disk.
      this.#failed = true;
      this.#slots.length = 0;
      this.#host.fail(e);
    } finally {
      this.#draining = false;
    }
  }
}
