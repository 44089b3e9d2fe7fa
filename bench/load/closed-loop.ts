// One task of a load-generator thread: every connection is a closed loop
// (send, wait for the answer, send the next) until the task's quota of
// requests is sent or its time is up. Latencies of successful requests go
// into an HdrHistogram in microseconds.

import { performance } from 'node:perf_hooks';
import { newLatencyHistogram, type Histogram } from '../histogram.js';
import type { LoadConnection } from './connection.js';
import type { LoadTask } from './task.js';

const RECONNECT_DELAY_MS = 20;
const MAX_ERROR_SAMPLES = 5;

export interface LoopOutcome {
  ok: number;
  errors: number;
  errorSamples: string[];
  histogram: Histogram;
  elapsedMs: number;
}

interface Slot {
  conn: LoadConnection;
  /** Replies still awaited for the last write. */
  awaiting: number;
  /** Requests in the last write. */
  batch: number;
  /** Of those, how many were answered with an error so far. */
  failed: number;
  sentAt: number;
  state: 'active' | 'reconnecting' | 'done';
  reconnectTimer: NodeJS.Timeout | undefined;
}

export function runClosedLoop(task: LoadTask, conns: LoadConnection[], requests: Buffer[]): Promise<LoopOutcome> {
  const histogram = newLatencyHistogram();
  const errorSamples: string[] = [];
  const started = performance.now();
  const deadline = started + task.durationMs;
  let remaining = task.quota;
  let seq = task.seqStart;
  let ok = 0;
  let errors = 0;
  let stopping = false;
  let rand = (Math.floor(Math.random() * 0x7fffffff) | 1) >>> 0;
  const keys = requests.length;

  const pickKey = (): number => {
    if (task.order === 'sequential') {
      const k = seq % keys;
      seq += task.seqStep;
      return k;
    }
    // xorshift32: cheap and good enough to spread keys.
    rand ^= rand << 13;
    rand >>>= 0;
    rand ^= rand >>> 17;
    rand ^= rand << 5;
    rand >>>= 0;
    return rand % keys;
  };
  const noteError = (e: string): void => {
    if (errorSamples.length < MAX_ERROR_SAMPLES && !errorSamples.includes(e)) errorSamples.push(e);
  };

  return new Promise((resolve) => {
    const slots: Slot[] = conns.map((conn) => ({ conn, awaiting: 0, batch: 0, failed: 0, sentAt: 0, state: 'active' as Slot['state'], reconnectTimer: undefined }));
    let finished = false;
    const watchdog = setInterval(() => {
      const now = performance.now();
      for (const s of slots) {
        if (s.awaiting > 0 && now - s.sentAt > task.requestTimeoutMs) s.conn.destroy(`no answer within ${task.requestTimeoutMs} ms`);
      }
      if (now > deadline) stopping = true;
      maybeFinish();
    }, Math.min(100, Math.max(10, task.requestTimeoutMs / 4)));

    const maybeFinish = (): void => {
      if (finished || !slots.every((s) => s.state === 'done')) return;
      finished = true;
      clearInterval(watchdog);
      for (const s of slots) clearTimeout(s.reconnectTimer);
      resolve({ ok, errors, errorSamples, histogram, elapsedMs: performance.now() - started });
    };

    const send = (s: Slot): void => {
      if (stopping || remaining <= 0 || performance.now() >= deadline) {
        stopping = true;
        s.state = 'done';
        maybeFinish();
        return;
      }
      if (!s.conn.open) return reconnect(s);
      const n = Math.min(task.pipeline, remaining);
      remaining -= n;
      s.state = 'active';
      s.awaiting = n;
      s.batch = n;
      s.failed = 0;
      s.sentAt = performance.now();
      if (n === 1) {
        s.conn.write(requests[pickKey()]!);
      } else {
        const batch: Buffer[] = [];
        for (let i = 0; i < n; i++) batch.push(requests[pickKey()]!);
        s.conn.write(Buffer.concat(batch));
      }
    };

    const reconnect = (s: Slot): void => {
      if (stopping || performance.now() >= deadline) {
        s.state = 'done';
        return maybeFinish();
      }
      s.state = 'reconnecting';
      s.reconnectTimer = setTimeout(() => {
        s.reconnectTimer = undefined;
        s.conn.connect(Math.max(100, deadline - performance.now())).then(
          () => send(s),
          (e: unknown) => {
            errors++;
            noteError((e as Error).message);
            reconnect(s);
          },
        );
      }, RECONNECT_DELAY_MS);
    };

    for (const s of slots) {
      s.conn.listener = {
        reply: (error) => {
          if (s.awaiting === 0) return; // a late answer after a timeout
          if (error !== undefined) {
            s.failed++;
            noteError(error);
          }
          if (--s.awaiting > 0) return;
          const good = s.batch - s.failed;
          errors += s.failed;
          ok += good;
          if (good > 0) histogram.recordValueWithCount(Math.max(1, Math.round((performance.now() - s.sentAt) * 1000)), good);
          send(s);
        },
        failure: (error) => {
          if (s.awaiting > 0) {
            // Replies already in count; the missing ones are errors.
            ok += s.batch - s.awaiting - s.failed;
            errors += s.awaiting + s.failed;
            noteError(error);
            s.awaiting = 0;
          }
          reconnect(s);
        },
      };
    }

    for (const s of slots) {
      if (s.conn.open) send(s);
      else reconnect(s);
    }
  });
}
