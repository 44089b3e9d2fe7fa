/**
 * Linearizability checker for key-value histories.
 *
 * The search is Wing & Gong's, with Lowe's memoization, as refined by
 * Porcupine (github.com/anishathalye/porcupine):
 *  - P-compositionality: a history is linearizable iff the sub-history of
 *    every key is, so each key is checked on its own. The cost is exponential
 *    in concurrency, so splitting matters a lot.
 *  - The history is a doubly linked list of call and return entries sorted by
 *    time. Linearizing an op "lifts" its two entries out of the list, and
 *    backtracking puts them back (dancing links), so the candidates for the
 *    next linearization point are just the calls before the first return.
 *  - A cache of (set of linearized ops, model state) pairs already explored:
 *    two paths that reach the same pair have the same future, so the second
 *    is pruned. The set is a bitset; its hash is kept up to date
 *    incrementally (Zobrist) so a lookup costs O(1) unless hashes collide.
 *
 * Ops whose result is unknown (lost requests) are where plain Porcupine
 * blows up: they stay pending forever, and it ends up trying every subset
 * of them. Here they are mostly rewritten away before the search
 * (simplifyOpenOps) and the rest is pruned by dominance (see search). Reads
 * of values nobody wrote yet are caught before the search (readBeforeWrite).
 */

import { SeededRand } from '../raft/rand.js';

export type KvInput =
  | { op: 'put'; key: string; value: string }
  /** A put whose value expires `ttlMs` after the write takes effect (somewhere between its call and return). */
  | { op: 'putex'; key: string; value: string; ttlMs: number }
  /** A one-key transaction: if the key holds `expect` (null: absent), put `value`, else read it (a cas that reports what it saw). */
  | { op: 'txn'; key: string; expect: string | null; value: string }
  | { op: 'get'; key: string }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expect: string | null; value: string }; // expect null = key must be absent

export type KvOutput =
  | { ok: true; value?: string | null; swapped?: boolean } // get: value (null = absent); cas: swapped; put/delete: nothing
  | { unknown: true }; // the client never learned the result (timeout, crash): it may or may not have taken effect

/** Times are plain numbers with call <= return; an op with an unknown result has return = Infinity (any other return time is treated as Infinity too). */
export interface Operation {
  clientId: number;
  input: KvInput;
  output: KvOutput;
  call: number;
  return: number;
}

export interface CheckResult {
  ok: boolean;
  timedOut: boolean;
  badKey?: string;
  /** When ok is false: why the partition of badKey fails, and its ops in call order. */
  explanation?: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Checks that `history` is linearizable with respect to one register per key
 * (initially absent). Deterministic: the same history gives the same result,
 * explanation included (unless the timeout strikes).
 *
 * `timeoutMs` bounds the whole check (0 or Infinity: no bound). On timeout
 * the result is `{ ok: true, timedOut: true }`: no violation was found, but
 * the search was not finished, so linearizability is unproven. Callers decide
 * whether that is acceptable (e.g. a simulator run may log it and go on, a
 * regression test may fail on it).
 *
 * Throws on a malformed history (return before call, a known get without a
 * value, a known cas without `swapped`), which is a bug of the harness, not
 * of the system under test.
 */
export function checkKvHistory(history: readonly Operation[], opts: { timeoutMs?: number } = {}): CheckResult {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = timeoutMs > 0 && Number.isFinite(timeoutMs) ? performance.now() + timeoutMs : Infinity;

  // Small partitions first: a violation in an easy key is then reported even
  // when a hard key would have run out of time.
  const partitions = [...partitionByKey(history)].sort((a, b) => a[1].length - b[1].length);
  for (const [key, ops] of partitions) {
    const encoded = encode(ops);
    const early = readBeforeWrite(encoded);
    let result: SearchResult;
    if (early !== -1) {
      result = { kind: 'early', op: early };
    } else {
      simplifyOpenOps(encoded);
      result = search(encoded, deadline);
    }
    if (result.kind === 'timeout') return { ok: true, timedOut: true };
    if (result.kind !== 'ok') {
      return { ok: false, timedOut: false, badKey: key, explanation: explain(key, ops, encoded, result) };
    }
  }
  return { ok: true, timedOut: false };
}

/** One line, e.g. `client 2: cas("k", absent -> "v1") -> swapped  [10, 14]`. */
export function describeOperation(op: Operation): string {
  const { input, output } = op;
  const key = JSON.stringify(input.key);
  let call: string;
  switch (input.op) {
    case 'put':
      call = `put(${key}, ${JSON.stringify(input.value)})`;
      break;
    case 'putex':
      call = `put(${key}, ${JSON.stringify(input.value)}, ttl ${input.ttlMs} ms)`;
      break;
    case 'txn':
      call = `txn(${key}: ${describeValue(input.expect)} -> ${JSON.stringify(input.value)})`;
      break;
    case 'get':
      call = `get(${key})`;
      break;
    case 'delete':
      call = `delete(${key})`;
      break;
    case 'cas':
      call = `cas(${key}, ${describeValue(input.expect)} -> ${JSON.stringify(input.value)})`;
      break;
  }
  let result: string;
  if (isUnknown(output)) {
    result = '?';
  } else if (input.op === 'get') {
    result = output.value === undefined ? '(no value)' : describeValue(output.value);
  } else if (input.op === 'cas' || input.op === 'txn') {
    result = output.swapped === undefined ? '(no swapped)' : output.swapped ? 'swapped' : 'not swapped';
    if (output.value !== undefined) result += ` (saw ${describeValue(output.value)})`;
  } else {
    result = 'ok';
  }
  const ret = op.return === Infinity ? 'inf' : String(op.return);
  return `client ${op.clientId}: ${call} -> ${result}  [${op.call}, ${ret}]`;
}

function describeValue(value: string | null): string {
  return value === null ? 'absent' : JSON.stringify(value);
}

function isUnknown(output: KvOutput): output is { unknown: true } {
  return 'unknown' in output && output.unknown;
}

function partitionByKey(history: readonly Operation[]): Map<string, Operation[]> {
  const partitions = new Map<string, Operation[]>();
  for (const op of history) {
    if (!(op.call <= op.return) || !Number.isFinite(op.call)) {
      throw new Error(`malformed operation (need finite call <= return): ${describeOperation(op)}`);
    }
    // A get whose result is unknown neither changes the state nor constrains it.
    if (op.input.op === 'get' && isUnknown(op.output)) continue;
    let ops = partitions.get(op.input.key);
    if (ops === undefined) partitions.set(op.input.key, (ops = []));
    ops.push(op);
  }
  return partitions;
}

// ---------------------------------------------------------------------------
// Encoding: the search runs on typed arrays, with values interned to small
// integers, so a model step is a few integer comparisons and the state is a
// number.

const ABSENT = 0;
const ILLEGAL = -1;
const NO_VALUE = -2; // a cas output that does not report the value it saw

const PUT = 0;
const DELETE = 1;
const GET = 2;
const CAS = 3;

const SWAP_NO = 0;
const SWAP_YES = 1;
const SWAP_ANY = 2; // unknown outcome

const REGULAR = 0;
const OPEN = 1;
const DROPPED = 2;

interface Encoded {
  n: number;
  kind: Uint8Array;
  /** put: value; cas: expect; get: value read. */
  arg: Int32Array;
  /** cas: new value. */
  arg2: Int32Array;
  /** cas: value seen, or NO_VALUE. */
  seen: Int32Array;
  swapped: Uint8Array;
  /** REGULAR, or OPEN for ops with an unknown result, or DROPPED (see simplifyOpenOps). */
  open: Uint8Array;
  call: Float64Array;
  ret: Float64Array;
  /** Interned values: names[id]; names[ABSENT] = null. */
  names: (string | null)[];
  /** Per value: the earliest and latest time it may expire (Infinity: it never does). */
  expiresFrom: number[];
  expiresBy: number[];
}

/**
 * Slack between the history's clock and the nodes' (both this machine's, but
 * read at slightly different moments and granularities): an expiry is only
 * certain this far past its window, and only impossible this far before it.
 */
export const EXPIRY_SLACK_MS = 25;

function encode(ops: readonly Operation[]): Encoded {
  const n = ops.length;
  const e: Encoded = {
    n,
    kind: new Uint8Array(n),
    arg: new Int32Array(n),
    arg2: new Int32Array(n),
    seen: new Int32Array(n).fill(NO_VALUE),
    swapped: new Uint8Array(n),
    open: new Uint8Array(n),
    call: new Float64Array(n),
    ret: new Float64Array(n),
    names: [null],
    expiresFrom: [Infinity],
    expiresBy: [Infinity],
  };
  const ids = new Map<string, number>();
  const intern = (value: string | null): number => {
    if (value === null) return ABSENT;
    let id = ids.get(value);
    if (id === undefined) {
      id = e.names.length;
      e.names.push(value);
      e.expiresFrom.push(Infinity);
      e.expiresBy.push(Infinity);
      ids.set(value, id);
    }
    return id;
  };

  ops.forEach((op, i) => {
    const { input, output } = op;
    e.call[i] = op.call;
    e.ret[i] = op.return;
    if (isUnknown(output)) {
      // Whatever return time the caller gave, the op may take effect later.
      e.open[i] = OPEN;
      e.ret[i] = Infinity;
    }
    switch (input.op) {
      case 'put':
        e.kind[i] = PUT;
        e.arg[i] = intern(input.value);
        break;
      case 'putex': {
        // Values are unique, so the value carries its deadline: the leader stamps the write between call and return.
        e.kind[i] = PUT;
        const id = intern(input.value);
        e.arg[i] = id;
        e.expiresFrom[id] = op.call + input.ttlMs;
        e.expiresBy[id] = isUnknown(output) ? Infinity : op.return + input.ttlMs;
        break;
      }
      case 'delete':
        e.kind[i] = DELETE;
        break;
      case 'get':
        // Unknown gets were dropped by partitionByKey.
        if (isUnknown(output) || output.value === undefined) {
          throw new Error(`malformed get (no value): ${describeOperation(op)}`);
        }
        e.kind[i] = GET;
        e.arg[i] = intern(output.value);
        break;
      case 'cas':
      case 'txn':
        e.kind[i] = CAS;
        e.arg[i] = intern(input.expect);
        e.arg2[i] = intern(input.value);
        if (isUnknown(output)) {
          e.swapped[i] = SWAP_ANY;
        } else {
          if (output.swapped === undefined) throw new Error(`malformed cas (no swapped): ${describeOperation(op)}`);
          e.swapped[i] = output.swapped ? SWAP_YES : SWAP_NO;
          if (output.value !== undefined) e.seen[i] = intern(output.value);
        }
        break;
    }
  });
  return e;
}

/** The value op i may write (ABSENT for a delete, or for a cas known to have failed, which writes nothing). */
function written(e: Encoded, i: number): number {
  if (e.kind[i] === PUT) return e.arg[i];
  if (e.kind[i] === CAS && e.swapped[i] !== SWAP_NO) return e.arg2[i];
  return ABSENT;
}

/** Calls f with each value that op i, if it has a known result, needs the register to hold. */
function forEachNeed(e: Encoded, i: number, f: (value: number) => void): void {
  if (e.open[i] !== REGULAR) return;
  if (e.kind[i] === GET) f(e.arg[i]);
  if (e.kind[i] === CAS) {
    if (e.seen[i] !== NO_VALUE) f(e.seen[i]);
    if (e.swapped[i] === SWAP_YES) f(e.arg[i]);
  }
}

/**
 * A cheap necessary condition, checked before the search because it catches
 * common bugs (garbage reads, reads of a write that was not even sent yet)
 * without exploring the whole history: an op that needs a value other than
 * the initial one must return after some writer of that value was called.
 * Returns such an op that does not, or -1.
 */
function readBeforeWrite(e: Encoded): number {
  const firstWriterCall = new Float64Array(e.names.length).fill(Infinity);
  for (let i = 0; i < e.n; i++) {
    const value = written(e, i);
    firstWriterCall[value] = Math.min(firstWriterCall[value], e.call[i]);
  }
  let culprit = -1;
  for (let i = 0; i < e.n && culprit === -1; i++) {
    forEachNeed(e, i, (value) => {
      if (value !== ABSENT && e.ret[i] < firstWriterCall[value]) culprit = i;
    });
  }
  return culprit;
}

/**
 * Ops with an unknown result ("open" ops) are the expensive part of the
 * search: they stay candidates until the end, so the search may try every
 * subset of them. Two sound rewrites get rid of most of them:
 *
 *  - An open op whose written value nobody needs is dropped: it can always
 *    be put at the very end of a linearization. An open put with a TTL
 *    also writes absence when it expires (taking away the value before it),
 *    so it is dropped only when absence is not needed either. "Needed" values are those a
 *    known op requires the register to hold (a get's result, a swapping
 *    cas's expected value, a value a cas reports seeing), closed under "an
 *    open cas writing a needed value needs its expected value". A cas that
 *    failed without reporting what it saw only requires the value to differ
 *    from its expected one, which any write may have caused, so when there is
 *    such a cas nothing is dropped.
 *  - An open op that is the only writer of a value that known ops read must
 *    precede them, so it gets the earliest of their return times and becomes
 *    an ordinary op (that may still have any outcome).
 */
function simplifyOpenOps(e: Encoded): void {
  const needed = new Uint8Array(e.names.length);
  const writers = new Uint32Array(e.names.length);
  const firstNeed = new Float64Array(e.names.length).fill(Infinity);
  let negative = false;
  for (let i = 0; i < e.n; i++) {
    const value = written(e, i);
    if (value !== ABSENT) writers[value]++;
    forEachNeed(e, i, (v) => {
      needed[v] = 1;
      firstNeed[v] = Math.min(firstNeed[v], e.ret[i]);
    });
    if (e.open[i] === REGULAR && e.kind[i] === CAS && e.swapped[i] === SWAP_NO && e.seen[i] === NO_VALUE) negative = true;
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < e.n; i++) {
      if (e.open[i] === OPEN && e.kind[i] === CAS && needed[e.arg2[i]] && !needed[e.arg[i]]) {
        needed[e.arg[i]] = 1;
        changed = true;
      }
    }
  }
  for (let i = 0; i < e.n; i++) {
    if (e.open[i] !== OPEN) continue;
    const value = written(e, i);
    // An expiring put writes its value and, later, absence: kept when either is needed.
    const expires = value !== ABSENT && e.expiresFrom[value] !== Infinity;
    if (!needed[value] && !(expires && needed[ABSENT]) && !negative) {
      e.open[i] = DROPPED;
    } else if (value !== ABSENT && writers[value] === 1 && firstNeed[value] !== Infinity) {
      e.open[i] = REGULAR;
      // max: only defensive, readBeforeWrite rejects a read that returned
      // before its only writer was called; the list needs call <= return.
      e.ret[i] = Math.max(e.call[i], firstNeed[value]);
    }
  }
}

/**
 * The register model with expiry: the state after op `i` applied to `state`,
 * or ILLEGAL if its output is impossible. A value with a deadline may have
 * expired by op i (when i may have taken effect after the earliest deadline),
 * must have (when i began after the latest), or cannot have: the op's output
 * says which where both are possible, and an op that saw it expired leaves
 * the register absent.
 */
function step(e: Encoded, i: number, state: number): number {
  if (state === ABSENT || e.expiresFrom[state] === Infinity) return stepRegister(e, i, state);
  if (e.call[i] > e.expiresBy[state] + EXPIRY_SLACK_MS) return stepRegister(e, i, ABSENT);
  if (e.ret[i] < e.expiresFrom[state] - EXPIRY_SLACK_MS) return stepRegister(e, i, state);
  const alive = stepRegister(e, i, state);
  if (alive !== ILLEGAL) return alive;
  return stepRegister(e, i, ABSENT);
}

function stepRegister(e: Encoded, i: number, state: number): number {
  switch (e.kind[i]) {
    case PUT:
      return e.arg[i];
    case DELETE:
      return ABSENT;
    case GET:
      return e.arg[i] === state ? state : ILLEGAL;
    default: {
      const seen = e.seen[i];
      if (seen !== NO_VALUE && seen !== state) return ILLEGAL;
      const match = state === e.arg[i];
      switch (e.swapped[i]) {
        case SWAP_YES:
          return match ? e.arg2[i] : ILLEGAL;
        case SWAP_NO:
          return match ? ILLEGAL : state;
        default:
          return match ? e.arg2[i] : state;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Search.

type SearchResult =
  | { kind: 'ok' }
  | { kind: 'timeout' }
  /** The longest linearizable prefix found (op indices in order) and the state after it. */
  | { kind: 'illegal'; prefix: number[]; state: number }
  /** Op `op` needs a value before any op writing it was called (found by readBeforeWrite). */
  | { kind: 'early'; op: number };

/**
 * Ops with an unknown result ("open" ops) get special care, because they stay
 * candidates forever and plain Porcupine then explores every subset of them,
 * which made failing histories with a few dozen lost requests time out.
 *
 * An open op accepts any output and never has to precede anything, so it can
 * always be moved to the very end of a linearization. Hence:
 *  - the search succeeds as soon as every known op is linearized;
 *  - (S, state) can be completed whenever (S + some open ops, state) can: a
 *    state is pruned when the cache holds a *finished* (so failed) entry with
 *    the same known ops, the same model state and a subset of its open ops.
 *    Only finished entries prune, so a branch is never cut because of an
 *    ancestor that is still being explored.
 *  - known ops are tried before open ones, so the small subsets are explored
 *    (and cached) first and the bigger ones fall under them, typically as
 *    soon as a later write hides the open op's value;
 *  - an open op is not tried when that would be pointless: when it changes
 *    nothing, when an earlier-called open op with the same effect is still
 *    pending (they are interchangeable), or to be overwritten right away.
 *
 * Entries: op i's call is 2i and its return 2i+1 (parity gives the kind, the
 * match is one away). Known ops have both entries in the main list, sorted by
 * time; open ops have only their call, in a second list sorted by call time,
 * and are candidates while they were called before the main list's first
 * return.
 */
function search(e: Encoded, deadline: number): SearchResult {
  const n = e.n;
  const head = 2 * n; // of the main list
  const openHead = 2 * n + 1;
  const next = new Int32Array(2 * n + 2);
  const prev = new Int32Array(2 * n + 2);

  // Calls before returns at equal times: ops that merely touch are treated as
  // concurrent, which is the safe reading of coarse clocks. The last key
  // makes the order total, hence the search deterministic.
  const time = (entry: number): number => ((entry & 1) === 0 ? e.call[entry >> 1] : e.ret[entry >> 1]);
  const byTime = (x: number, y: number): number => {
    const tx = time(x);
    const ty = time(y);
    if (tx !== ty) return tx < ty ? -1 : 1;
    return (x & 1) - (y & 1) || x - y;
  };
  const link = (listHead: number, entries: number[]): void => {
    let last = listHead;
    for (const entry of entries.sort(byTime)) {
      next[last] = entry;
      prev[entry] = last;
      last = entry;
    }
    next[last] = -1;
  };
  const mainEntries: number[] = [];
  const openEntries: number[] = [];
  let known = 0;
  for (let i = 0; i < n; i++) {
    if (e.open[i] === OPEN) openEntries.push(2 * i);
    else if (e.open[i] === REGULAR) mainEntries.push(2 * i, 2 * i + 1), known++;
  }
  link(head, mainEntries);
  link(openHead, openEntries);
  if (known === 0) return { kind: 'ok' };

  // Open ops with the same effect are interchangeable once called, so only
  // the earliest called one not yet linearized is tried: earlierTwin[i] is
  // the previous open op (in call order) with the same effect as i, or -1.
  const earlierTwin = new Int32Array(n).fill(-1);
  const lastOfEffect = new Map<string, number>();
  for (let entry = next[openHead]; entry !== -1; entry = next[entry]) {
    const i = entry >> 1;
    const effect = `${e.kind[i]} ${e.arg[i]} ${e.arg2[i]}`;
    earlierTwin[i] = lastOfEffect.get(effect) ?? -1;
    lastOfEffect.set(effect, i);
  }

  const remove = (entry: number): void => {
    next[prev[entry]] = next[entry];
    if (next[entry] !== -1) prev[next[entry]] = prev[entry];
  };
  const restore = (entry: number): void => {
    if (next[entry] !== -1) prev[next[entry]] = entry;
    next[prev[entry]] = entry;
  };
  const lift = (call: number): void => {
    remove(call);
    if (e.open[call >> 1] === REGULAR) remove(call + 1);
  };
  const unlift = (call: number): void => {
    if (e.open[call >> 1] === REGULAR) restore(call + 1);
    restore(call);
  };

  // Linearized set: a bitset, plus two Zobrist hashes of its known ops kept
  // up to date incrementally (open ops hash to 0, see the cache).
  const words = (n + 31) >>> 5;
  const linearized = new Uint32Array(words);
  const openMask = new Uint32Array(words);
  const zLo = new Int32Array(n);
  const zHi = new Int32Array(n);
  // Fixed seed: the hashes, hence the cache's behaviour, are the same on every run.
  const rand = new SeededRand(0x9e3779b9);
  for (let i = 0; i < n; i++) {
    const lo = rand.int(0x100000000);
    const hi = rand.int(0x100000000);
    if (e.open[i] === OPEN) {
      openMask[i >>> 5] |= 1 << (i & 31);
    } else {
      zLo[i] = lo;
      zHi[i] = hi;
    }
  }
  let hashLo = 0;
  let hashHi = 0;
  const isLinearized = (i: number): boolean => (linearized[i >>> 5] & (1 << (i & 31))) !== 0;
  const toggle = (i: number): void => {
    linearized[i >>> 5] ^= 1 << (i & 31);
    hashLo ^= zLo[i];
    hashHi ^= zHi[i];
  };

  // Cache of (linearized, state) pairs. Entries live in flat typed arrays;
  // the map goes from a 53-bit hash of (known ops, state) to one entry index,
  // or to several when hashes collide or open ops differ.
  const cache = new Map<number, number | number[]>();
  let cacheStates = new Int32Array(1024);
  let cacheFinished = new Uint8Array(1024);
  let cacheBits = new Uint32Array(1024 * words);
  let cacheSize = 0;
  /** Entry idx has the same state and known ops, and a subset of the open ops. */
  const dominates = (idx: number, state: number): boolean => {
    if (cacheStates[idx] !== state) return false;
    const base = idx * words;
    for (let w = 0; w < words; w++) {
      const cached = cacheBits[base + w];
      const current = linearized[w];
      if ((cached & ~current) !== 0 || (current & ~cached & ~openMask[w]) !== 0) return false;
    }
    return true;
  };
  const store = (state: number): number => {
    if (cacheSize === cacheStates.length) {
      const states = new Int32Array(cacheSize * 2);
      states.set(cacheStates);
      cacheStates = states;
      const finished = new Uint8Array(cacheSize * 2);
      finished.set(cacheFinished);
      cacheFinished = finished;
      const bits = new Uint32Array(cacheSize * 2 * words);
      bits.set(cacheBits);
      cacheBits = bits;
    }
    cacheStates[cacheSize] = state;
    cacheBits.set(linearized, cacheSize * words);
    return cacheSize++;
  };
  /** Adds (linearized, state) to the cache and returns its index, or -1 if it is known to fail. */
  const remember = (state: number): number => {
    const lo = (hashLo ^ Math.imul(state + 1, 0x9e3779b1)) >>> 0;
    const hi = (hashHi ^ Math.imul(state + 1, 0x85ebca77)) & 0x1fffff;
    const key = hi * 0x1_0000_0000 + lo;
    const bucket = cache.get(key);
    if (bucket === undefined) {
      const idx = store(state);
      cache.set(key, idx);
      return idx;
    }
    if (typeof bucket === 'number') {
      if (cacheFinished[bucket] && dominates(bucket, state)) return -1;
      const idx = store(state);
      cache.set(key, [bucket, idx]);
      return idx;
    }
    for (const idx of bucket) if (cacheFinished[idx] && dominates(idx, state)) return -1;
    const idx = store(state);
    bucket.push(idx);
    return idx;
  };

  const stackCall = new Int32Array(n);
  const stackState = new Int32Array(n);
  const stackEntry = new Int32Array(n); // cache index, to mark it finished on the way back
  const stackLimit = new Float64Array(n); // for open ops: the limit below, to resume the scan
  let depth = 0;
  let state = ABSENT;
  let best: number[] = [];
  let bestState = ABSENT;

  // The scan goes over the main list up to its first return, then, with
  // `limit` set to that return's time, over the open ops called by then.
  let cursor = next[head];
  let limit = NaN; // NaN: scanning the main list
  let iterations = 0;
  while (next[head] !== -1) {
    if ((++iterations & 0xfff) === 0 && performance.now() > deadline) return { kind: 'timeout' };
    if (Number.isNaN(limit) && (cursor & 1) === 1) {
      limit = time(cursor);
      cursor = next[openHead];
    }
    if (Number.isNaN(limit) || (cursor !== -1 && e.call[cursor >> 1] <= limit)) {
      const op = cursor >> 1;
      const newState = step(e, op, state);
      const tryIt =
        newState !== ILLEGAL &&
        // An open op overwritten before anything saw its value can as well go last.
        !(depth > 0 && e.open[stackCall[depth - 1] >> 1] === OPEN && (e.kind[op] === PUT || e.kind[op] === DELETE)) &&
        (e.open[op] !== OPEN ||
          // Likewise for one that changes nothing now.
          (newState !== state && (earlierTwin[op] === -1 || isLinearized(earlierTwin[op]))));
      if (tryIt) {
        toggle(op);
        const idx = remember(newState);
        if (idx !== -1) {
          stackCall[depth] = cursor;
          stackState[depth] = state;
          stackEntry[depth] = idx;
          stackLimit[depth] = limit;
          depth++;
          state = newState;
          lift(cursor);
          cursor = next[head];
          limit = NaN;
          continue;
        }
        toggle(op);
      }
      cursor = next[cursor];
      continue;
    }
    // Every candidate has been tried: undo the last choice.
    if (depth > best.length) {
      best = Array.from(stackCall.subarray(0, depth), (call) => call >> 1);
      bestState = state;
    }
    if (depth === 0) return { kind: 'illegal', prefix: best, state: bestState };
    depth--;
    cacheFinished[stackEntry[depth]] = 1;
    cursor = stackCall[depth];
    state = stackState[depth];
    limit = stackLimit[depth];
    toggle(cursor >> 1);
    unlift(cursor);
    cursor = next[cursor];
  }
  return { kind: 'ok' };
}

// ---------------------------------------------------------------------------
// Explanation of a failure.

const MAX_LISTED_OPS = 40;

function explain(
  key: string,
  ops: readonly Operation[],
  e: Encoded,
  failure: { kind: 'illegal'; prefix: number[]; state: number } | { kind: 'early'; op: number },
): string {
  const byCall = ops.map((_, i) => i).sort((a, b) => e.call[a] - e.call[b] || a - b);
  const lines = [`key ${JSON.stringify(key)} is not linearizable (${e.n} ops).`];
  const inPrefix = new Set<number>();
  const stuck = new Set<number>();
  if (failure.kind === 'early') {
    stuck.add(failure.op);
    lines.push(
      `This op needs a value that no op called before it returned writes:`,
      `  ${describeOperation(ops[failure.op])}`,
    );
  } else {
    for (const i of failure.prefix) inPrefix.add(i);
    // The ops that had to come next after the longest prefix: those with a
    // known result not linearized yet that were called before the first of
    // them returned. (Ops with unknown results can always go last.)
    const pending = (i: number): boolean => !inPrefix.has(i) && e.open[i] === REGULAR;
    let firstReturn = Infinity;
    for (let i = 0; i < e.n; i++) if (pending(i)) firstReturn = Math.min(firstReturn, e.ret[i]);
    for (let i = 0; i < e.n; i++) if (pending(i) && e.call[i] <= firstReturn) stuck.add(i);
    lines.push(
      `The longest linearizable prefix has ${failure.prefix.length} ops and leaves the value ${describeValue(e.names[failure.state])};` +
        ` none of the ops that must come next is consistent with it:`,
      ...byCall.filter((i) => stuck.has(i)).map((i) => `  ${describeOperation(ops[i])}`),
    );
    if (failure.prefix.length > 0) {
      lines.push('The prefix ends with:', ...failure.prefix.slice(-3).map((i) => `  ${describeOperation(ops[i])}`));
    }
  }

  // All ops when few, else a window around the point where the search got stuck.
  let from = 0;
  let to = byCall.length;
  if (byCall.length > MAX_LISTED_OPS) {
    const firstStuck = byCall.findIndex((i) => stuck.has(i));
    from = Math.max(0, Math.min(firstStuck - MAX_LISTED_OPS / 4, byCall.length - MAX_LISTED_OPS));
    to = from + MAX_LISTED_OPS;
  }
  lines.push('Ops in call order (+ = in the prefix, ! = cannot take effect):');
  if (from > 0) lines.push(`  ... ${from} earlier ops`);
  for (const i of byCall.slice(from, to)) {
    const mark = inPrefix.has(i) ? '+' : stuck.has(i) ? '!' : ' ';
    lines.push(`${mark} ${describeOperation(ops[i])}`);
  }
  if (to < byCall.length) lines.push(`  ... ${byCall.length - to} later ops`);
  return lines.join('\n');
}
