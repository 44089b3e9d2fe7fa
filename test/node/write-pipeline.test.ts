// The write pipeline's ordering rules, against a host whose disk writes the
// test completes by hand: nothing that must wait for the disk leaves before
// its write (and every earlier one) is durable, readies finish in the order
// they were taken whatever order their writes complete in, and a failed
// write finishes nothing after it.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryKind, MessageType, type Entry, type Message, type Ready } from '../../src/raft/index.js';
import { WritePipeline, type AppliedEntry, type PipelineHost } from '../../src/node/write-pipeline.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const msg = (type: MessageType, to: string, index: number): Message => ({ type, from: 'a', to, term: 1, index, logTerm: 1, commit: 0 });
const entry = (index: number): Entry => ({ index, term: 1, kind: EntryKind.Normal, data: new Uint8Array([index]) });

/** A ready with one message that may leave at once and one ack that must wait for the disk. */
function ready(n: number, opts: { write?: boolean; committed?: number[] } = {}): Ready {
  return {
    entries: opts.write === false ? [] : [entry(n)],
    snapshotKeepsLog: false,
    messages: [msg(MessageType.App, 'b', n)],
    persistedMessages: [msg(MessageType.AppResp, 'c', n)],
    committed: (opts.committed ?? []).map(entry),
    readStates: [],
    droppedReads: [],
  };
}

/** A host that records what it was asked to do, and holds each write until the test settles it. */
class Recorder implements PipelineHost<string> {
  readonly sent: string[] = [];
  readonly applied: number[] = [];
  readonly finished: number[] = [];
  readonly failures: unknown[] = [];
  readonly writes = new Map<Ready, Deferred>();

  send(msgs: readonly Message[]): void {
    for (const m of msgs) this.sent.push(`${m.type === MessageType.App ? 'app' : 'ack'}${m.index}`);
  }
  write(rd: Ready): Promise<void> | undefined {
    if (rd.entries.length === 0) return undefined;
    const d = deferred();
    this.writes.set(rd, d);
    return d.promise;
  }
  durable(): void {}
  readonly answered: number[] = [];
  apply(entries: readonly Entry[]): AppliedEntry<string>[] {
    for (const e of entries) this.applied.push(e.index);
    return entries.map((entry) => ({ entry, result: 'ok' }));
  }
  answer(applied: readonly AppliedEntry<string>[]): void {
    // Every answer is for an entry already applied.
    for (const a of applied) {
      assert.ok(this.applied.includes(a.entry.index), `entry ${a.entry.index} answered before it was applied`);
      this.answered.push(a.entry.index);
    }
  }
  finish(rd: Ready): void {
    this.finished.push(rd.messages[0]!.index);
  }
  fail(e: unknown): void {
    this.failures.push(e);
  }
}

/** Let every pending promise reaction run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('write pipeline', () => {
  it('sends a durable-only message only after its write completes', async () => {
    const host = new Recorder();
    const p = new WritePipeline(host);
    const rd = ready(1, { committed: [1] });
    p.submit(rd);
    await settle();
    assert.deepEqual(host.sent, ['app1'], 'the append to a follower leaves at once, the ack waits');
    assert.deepEqual(host.applied, [], 'nothing is applied before the write is durable');
    host.writes.get(rd)!.resolve();
    await settle();
    assert.deepEqual(host.sent, ['app1', 'ack1']);
    assert.deepEqual(host.applied, [1]);
    assert.deepEqual(host.answered, [1]);
    assert.deepEqual(host.finished, [1]);
    assert.equal(p.depth, 0);
  });

  it('keeps several writes in flight and finishes them in order, whatever order the disk completes them in', async () => {
    const host = new Recorder();
    const p = new WritePipeline(host);
    const rds = [ready(1), ready(2), ready(3)];
    for (const rd of rds) p.submit(rd);
    assert.equal(p.depth, 3);
    assert.equal(host.writes.size, 3, 'every write started without waiting for the one before');
    assert.deepEqual(host.sent, ['app1', 'app2', 'app3']);
    host.writes.get(rds[2]!)!.resolve();
    host.writes.get(rds[1]!)!.resolve();
    await settle();
    assert.deepEqual(host.finished, [], 'the later writes wait for the first');
    assert.ok(!host.sent.includes('ack2') && !host.sent.includes('ack3'));
    host.writes.get(rds[0]!)!.resolve();
    await settle();
    assert.deepEqual(host.finished, [1, 2, 3]);
    assert.deepEqual(host.sent.slice(3), ['ack1', 'ack2', 'ack3']);
  });

  it('holds a ready without a write of its own behind the writes before it', async () => {
    const host = new Recorder();
    const p = new WritePipeline(host);
    const first = ready(1);
    // An ack for entries the first write holds: it has nothing to write, yet must wait for that write.
    p.submit(first);
    p.submit(ready(2, { write: false, committed: [1] }));
    await settle();
    assert.deepEqual(host.sent, ['app1', 'app2']);
    assert.deepEqual(host.applied, []);
    host.writes.get(first)!.resolve();
    await settle();
    assert.deepEqual(host.sent, ['app1', 'app2', 'ack1', 'ack2']);
    assert.deepEqual(host.applied, [1]);
    assert.deepEqual(host.finished, [1, 2]);
  });

  it('a failed write stops every ack and apply after it, and the node is told once', async () => {
    const host = new Recorder();
    const p = new WritePipeline(host);
    const rds = [ready(1, { committed: [1] }), ready(2, { committed: [2] })];
    for (const rd of rds) p.submit(rd);
    host.writes.get(rds[1]!)!.resolve();
    host.writes.get(rds[0]!)!.reject(new Error('disk full'));
    await settle();
    assert.equal(host.failures.length, 1);
    assert.match(String(host.failures[0]), /disk full/);
    assert.deepEqual(host.sent, ['app1', 'app2'], 'no ack left, not even for the write that succeeded after the failed one');
    assert.deepEqual(host.applied, []);
    assert.deepEqual(host.finished, []);
    assert.ok(p.failed);
    p.submit(ready(3));
    assert.deepEqual(host.sent, ['app1', 'app2'], 'a failed pipeline takes nothing more');
  });

  it('finishes nothing once closed, even when a write completes later', async () => {
    const host = new Recorder();
    const p = new WritePipeline(host);
    const rd = ready(1, { committed: [1] });
    p.submit(rd);
    p.close();
    host.writes.get(rd)!.resolve();
    await settle();
    assert.deepEqual(host.sent, ['app1']);
    assert.deepEqual(host.applied, []);
    assert.deepEqual(host.failures, []);
  });
});
