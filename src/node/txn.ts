// Transactions in one log entry: etcd's Txn (compare, then the success or
// the failure branch), which Redis's MULTI/EXEC also becomes (WATCH is a
// revision compare per watched key, EXEC the success branch, an empty
// failure branch answering "aborted"). Atomic because one entry is applied
// whole before any read or other entry sees the state.

import type { KvCommand, KvResult } from './kv-state.js';

export type CompareTarget = 'value' | 'revision' | 'exists';
export type CompareResult = 'equal' | 'not_equal' | 'greater' | 'less';

/** One compare of a transaction: `target` of `key` against the given value/revision/exists. */
export interface TxnCompare {
  key: string;
  target: CompareTarget;
  result: CompareResult;
  value?: string;
  revision?: number;
  exists?: boolean;
}

/** What a transaction sees of the state machine, at its point in the entry. */
export interface TxnHost {
  /** A live string key's value (an expired key counts as absent; a hash, list, set or sorted set has no value to compare). */
  value(key: string): string | undefined;
  /** Whether a key of any type is live. */
  exists(key: string): boolean;
  /** A live key's revision, 0 when absent. */
  revision(key: string): number;
  run(cmd: KvCommand): KvResult;
}

export const COMPARE_TARGETS: readonly CompareTarget[] = ['value', 'revision', 'exists'];
export const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'not_equal', 'greater', 'less'];

function holds(order: number, result: CompareResult): boolean {
  switch (result) {
    case 'equal':
      return order === 0;
    case 'not_equal':
      return order !== 0;
    case 'greater':
      return order > 0;
    case 'less':
      return order < 0;
  }
}

/** Whether a compare holds. An absent key fails every value compare but not_equal (etcd's rule). */
export function compareHolds(c: TxnCompare, host: TxnHost): boolean {
  switch (c.target) {
    case 'value': {
      const v = host.value(c.key);
      if (v === undefined) return c.result === 'not_equal';
      const want = c.value ?? '';
      return holds(v < want ? -1 : v > want ? 1 : 0, c.result);
    }
    case 'revision':
      return holds(Math.sign(host.revision(c.key) - (c.revision ?? 0)), c.result);
    case 'exists': {
      const has = host.exists(c.key) ? 1 : 0;
      return holds(has - (c.exists === false ? 0 : 1), c.result);
    }
  }
}

export function runTxn(cmd: Extract<KvCommand, { op: 'txn' }>, host: TxnHost): KvResult {
  const succeeded = cmd.compare.every((c) => compareHolds(c, host));
  const branch = succeeded ? cmd.success : cmd.failure;
  return { ok: true, succeeded, results: branch.map((c) => host.run(c)) };
}

/** Every key a transaction touches (compares and both branches). */
export function txnKeys(cmd: Extract<KvCommand, { op: 'txn' }>, keysOf: (c: KvCommand) => string[]): string[] {
  return [...cmd.compare.map((c) => c.key), ...cmd.success.flatMap(keysOf), ...cmd.failure.flatMap(keysOf)];
}
