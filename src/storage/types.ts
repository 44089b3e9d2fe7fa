// The storage layer's public data types.

import type { Entry, HardState, PersistedState, SnapshotChunk, SnapshotMeta } from '../raft/types.js';

export type Durability = 'fsync' | 'os';

/** A row of the exactly-once table: the last applied seq per client, with its JSON result. */
export interface SessionRow {
  client: string;
  seq: number;
  result: string;
  /** Log index of the client's last command (sessions expire by index); defaults to the batch's applied index. */
  index?: number;
}

export interface LoadedState extends PersistedState {
  /** The whole KV state at `applied`. */
  kv: Map<string, string>;
  /** Each key's revision (keys without one are left out). */
  revs: Map<string, number>;
  sessions: Map<string, { seq: number; result: string; index: number }>;
}

export interface PersistRequest {
  entries: Entry[];
  hardState?: HardState;
  snapshotChunk?: SnapshotChunk;
  snapshot?: SnapshotMeta;
  snapshotKeepsLog?: boolean;
}

export interface CapturedSnapshot {
  /** The applied index the copy was taken at. */
  index: number;
  /** Term of the entry at `index`, when known (undefined for an empty state). */
  term?: number;
  size: number;
  path: string;
}

/** A stored log entry with its stored checksum, as `raftkv log` prints it. */
export interface LogRow extends Entry {
  checksum: number;
  /** Whether the checksum matches the data. */
  valid: boolean;
}

/**
 * How long a node holds apply batches to write them as one (etcd's backend
 * commits every 100 ms the same way): a row written many times in the window
 * is written once, and rows of one page share its write.
 */
export const DEFAULT_APPLY_DELAY_MS = 100;

export interface OpenOptions {
  durability?: Durability;
  /** Keep the database in memory (`--inmem`); snapshot files still go under `<dir>/snapshots`. */
  inMemory?: boolean;
  /**
   * How a persist or apply batch is sent (for bench/storage-cpu.ts): 'script'
   * (default) is one exec() of SQL with literal values per transaction; 'bound'
   * is BEGIN, prepared multi-row statements with bound parameters, COMMIT.
   */
  statements?: 'script' | 'bound';
  /**
   * Apply batches are held this long (ms) and written as one, as etcd's backend
   * batches its commits (batch-interval): a key written many times in the
   * window is written once, and rows of one page share its write. 0 (the
   * default) writes each batch as it comes. What is held is rebuilt from the
   * log after a crash, as an unsynced apply batch already is.
   */
  applyDelayMs?: number;
  /** Rows held at most before they are written whatever the delay (with applyDelayMs). */
  applyMaxRows?: number;
}
