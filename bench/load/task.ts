// What the main thread asks of one load-generator thread, and its answer.

import type { KeySpace, RequestSpec } from './requests.js';

/** A cluster behind TLS and tokens: the CA its certificates chain to, and the token every request carries (HTTP Bearer, RESP AUTH). */
export interface LoadSecurity {
  ca: string;
  token: string;
}

export interface LoadTask {
  /** Connections and pre-built requests are kept across tasks with the same key (one workload). */
  cacheKey: string;
  proto: 'http' | 'resp';
  host: string;
  port: number;
  spec: RequestSpec;
  space: KeySpace;
  /** Connections this thread drives, each a closed loop. */
  conns: number;
  /** Requests written at once per connection before waiting for all their answers (RESP pipelining); 1 for HTTP. */
  pipeline: number;
  /** Stop after sending this many requests (Infinity: only the duration bounds the task). */
  quota: number;
  /** Stop sending after this long. */
  durationMs: number;
  /** `sequential` sends key seqStart, seqStart+seqStep, ... once each (to fill a key space). */
  order: 'random' | 'sequential';
  seqStart: number;
  seqStep: number;
  /** A request unanswered this long fails and its connection is replaced. */
  requestTimeoutMs: number;
  /** TLS and the token, for a secure cluster (absent: plaintext, no token). */
  security?: LoadSecurity;
}

export interface LoadTaskResult {
  ok: number;
  errors: number;
  /** A few error messages, for the report. */
  errorSamples: string[];
  /** Latencies of successful requests, microseconds (HdrHistogram, compressed base64). */
  histogram: string;
  elapsedMs: number;
}
