// What a state machine command may be. Two checks, one table:
//
// - `commandProblem` looks at shape and types only, against fixed protocol
//   rules. The state machine runs it on every committed entry, so it must give
//   the same answer on every replica whatever its config: an entry that fails
//   it is answered with an error and skipped identically everywhere.
// - `validateCommand` adds this node's limits (key and value sizes) and runs
//   before anything is proposed, on every path into the log: a client's write,
//   a forwarded batch, the router's commands.
//
// Hand-written rather than a schema library: the first check runs for every
// entry on every replica, on the hot path of each write, and each command
// kind wants its own Redis-style message.

import { badRequest } from '../common/errors.js';
import type { Envelope, KvCommand } from './kv-state.js';
import type { Limits } from '../common/limits.js';
import { storedByteLength } from './stored-bytes.js';
import { COMPARE_RESULTS, COMPARE_TARGETS } from './txn.js';
import { TYPED_COMMANDS, typedKeys, typedProblem, type TypedKvCommand } from './types/registry.js';

/** Keys of the state machine's own records (member addresses); no client command may write them. */
export const SYSTEM_PREFIX = '\u0000';

/** Commands in one batch entry (a RESP pipeline's writes are proposed in batches of at most 256). */
export const MAX_BATCH_COMMANDS = 4096;
/** Keys of one set or del command. */
export const MAX_COMMAND_KEYS = 1 << 20;
/** Length of a client session id. */
const MAX_CLIENT_ID = 256;

interface Sizes {
  maxKeyBytes: number;
  value(v: string): string | undefined;
}

/** The structural check alone: types, op names, counts; no size limits (they are the proposer's). */
const STRUCTURAL: Sizes = { maxKeyBytes: Infinity, value: () => undefined };

function sizesOf(limits: Limits): Sizes {
  return {
    maxKeyBytes: limits.maxKeyBytes,
    value: (v) => (storedByteLength(v) > limits.maxValueBytes ? `the value is longer than ${limits.maxValueBytes} bytes` : undefined),
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * What is wrong with a key, or undefined: the one key rule of every path
 * (the fronts' checkKey, and commands before and after they are proposed).
 */
export function keyRuleProblem(k: string, maxKeyBytes: number): string | undefined {
  if (k === '') return 'the key is empty';
  if (k.startsWith(SYSTEM_PREFIX)) return 'keys may not start with a NUL character (reserved for the cluster)';
  // A UTF-16 unit is at most 3 UTF-8 bytes: short keys skip the count.
  if (k.length > maxKeyBytes / 3 && Buffer.byteLength(k) > maxKeyBytes) return keyTooLongMessage(maxKeyBytes);
  return undefined;
}

export const keyTooLongMessage = (maxKeyBytes: number): string => `the key is longer than ${maxKeyBytes} bytes (limits.maxKeyBytes)`;

function keyProblem(k: unknown, sizes: Sizes): string | undefined {
  if (!isString(k)) return 'a key must be a string';
  return keyRuleProblem(k, sizes.maxKeyBytes);
}

function valueProblem(v: unknown, sizes: Sizes): string | undefined {
  if (!isString(v)) return `a value must be a string (got ${v === null ? 'null' : typeof v})`;
  return sizes.value(v);
}

function keysProblem(keys: unknown, sizes: Sizes): string | undefined {
  if (!Array.isArray(keys) || keys.length === 0) return 'keys must be a non-empty list';
  if (keys.length > MAX_COMMAND_KEYS) return `more than ${MAX_COMMAND_KEYS} keys in one command`;
  for (const k of keys) {
    const p = keyProblem(k, sizes);
    if (p) return p;
  }
  return undefined;
}

/** Deadlines and TTLs in milliseconds: integers well inside the safe range, so sums stay exact. */
const MAX_TTL_MS = 2 ** 50;

function ttlProblem(t: unknown): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t !== 'object' || t === null) return 'ttl must be {"in": ms} or {"at": ms}';
  const o = t as Record<string, unknown>;
  const keys = Object.keys(o);
  const n = keys.length === 1 && (keys[0] === 'in' || keys[0] === 'at') ? o[keys[0]] : undefined;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || Math.abs(n) > MAX_TTL_MS) return 'ttl must be {"in": ms} or {"at": ms} with an integer number of milliseconds';
  return undefined;
}


function compareProblem(c: unknown, sizes: Sizes): string | undefined {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'a compare must be an object';
  const o = c as Record<string, unknown>;
  const p = keyProblem(o.key, sizes);
  if (p) return p;
  if (!isString(o.target) || !(COMPARE_TARGETS as readonly string[]).includes(o.target)) return 'a compare target must be "value", "revision" or "exists"';
  if (!isString(o.result) || !(COMPARE_RESULTS as readonly string[]).includes(o.result)) return 'a compare result must be "equal", "not_equal", "greater" or "less"';
  if (o.target === 'value') return valueProblem(o.value, sizes);
  if (o.target === 'revision' && (typeof o.revision !== 'number' || !Number.isSafeInteger(o.revision) || o.revision < 0)) return 'a revision compare needs a non-negative integer "revision"';
  if (o.target === 'exists' && typeof o.exists !== 'boolean') return 'an exists compare needs a boolean "exists"';
  return undefined;
}

/** Commands a transaction branch may hold: no batch, no transaction. */
function branchProblem(cmds: unknown, name: string): string | undefined {
  if (!Array.isArray(cmds)) return `txn ${name} must be a list of commands`;
  if (cmds.length > MAX_BATCH_COMMANDS) return `more than ${MAX_BATCH_COMMANDS} commands in one transaction branch`;
  for (const sub of cmds) {
    const op = typeof sub === 'object' && sub !== null ? (sub as { op?: unknown }).op : undefined;
    if (op === 'batch' || op === 'txn') return 'a transaction may not hold a batch or a transaction';
  }
  return undefined;
}

type Checker = (c: Record<string, unknown>, sizes: Sizes, depth: number) => string | undefined;

/** One checker per command kind. */
const CHECKERS: Record<KvCommand['op'], Checker> = {
  set(c, sizes) {
    const t = ttlProblem(c.ttl);
    if (t) return t;
    const kv = c.kv;
    if (!Array.isArray(kv) || kv.length === 0) return 'set needs a non-empty list of [key, value] pairs';
    if (kv.length > MAX_COMMAND_KEYS) return `more than ${MAX_COMMAND_KEYS} keys in one command`;
    for (const pair of kv) {
      if (!Array.isArray(pair) || pair.length !== 2) return 'set needs [key, value] pairs';
      const p = keyProblem(pair[0], sizes) ?? valueProblem(pair[1], sizes);
      if (p) return p;
    }
    return undefined;
  },
  set1(c, sizes) {
    if (c.cond !== undefined && c.cond !== 'nx' && c.cond !== 'xx') return 'set1 cond must be "nx" or "xx"';
    if (c.get !== undefined && typeof c.get !== 'boolean') return 'set1 get must be a boolean';
    if (c.keepttl !== undefined && typeof c.keepttl !== 'boolean') return 'set1 keepttl must be a boolean';
    if (c.keepttl === true && c.ttl !== undefined) return 'set1 takes a ttl or keepttl, not both';
    const t = ttlProblem(c.ttl);
    if (t) return t;
    return keyProblem(c.key, sizes) ?? valueProblem(c.value, sizes);
  },
  del(c, sizes) {
    return keysProblem(c.keys, sizes);
  },
  cas(c, sizes) {
    if (c.expect !== null && !isString(c.expect)) return 'cas expect must be a string, or null for "absent"';
    return keyProblem(c.key, sizes) ?? valueProblem(c.value, sizes);
  },
  incr(c, sizes) {
    if (typeof c.by !== 'number' || !Number.isSafeInteger(c.by)) return 'incr by must be a safe integer';
    return keyProblem(c.key, sizes);
  },
  append(c, sizes) {
    if (c.max !== undefined && (typeof c.max !== 'number' || !Number.isSafeInteger(c.max) || c.max < 0)) return 'append max must be a non-negative integer';
    return keyProblem(c.key, sizes) ?? valueProblem(c.value, sizes);
  },
  typed(c, sizes, depth) {
    // A read (HGET...) is a command only inside a transaction (or a batch): its answer at that point of the entry.
    const p = typedProblem(c.name, c.args, depth > 0);
    if (p) return p;
    const cmd = c as unknown as TypedKvCommand;
    const keys = new Set(typedKeys(cmd));
    for (const k of keys) {
      const kp = keyProblem(k, sizes);
      if (kp) return kp;
    }
    for (const a of cmd.args) {
      const vp = keys.has(a) ? undefined : sizes.value(a);
      if (vp) return vp;
    }
    return TYPED_COMMANDS.has(cmd.name) ? undefined : 'unknown typed command';
  },
  batch(c, sizes, depth) {
    if (depth > 0) return 'a batch may not hold a batch';
    const cmds = c.cmds;
    if (!Array.isArray(cmds) || cmds.length === 0) return 'batch needs a non-empty list of commands';
    if (cmds.length > MAX_BATCH_COMMANDS) return `more than ${MAX_BATCH_COMMANDS} commands in one batch`;
    for (const sub of cmds) if (typeof sub === 'object' && sub !== null && (sub as { op?: unknown }).op === 'batch') return 'a batch may not hold a batch';
    // Otherwise each command of a batch is checked when it runs: one bad command fails alone.
    return undefined;
  },
  expire(c, sizes) {
    if (c.cond !== undefined && !['nx', 'xx', 'gt', 'lt'].includes(c.cond as string)) return 'expire cond must be "nx", "xx", "gt" or "lt"';
    if (c.ttl === undefined) return 'expire needs a ttl';
    return ttlProblem(c.ttl) ?? keyProblem(c.key, sizes);
  },
  persist(c, sizes) {
    return keyProblem(c.key, sizes);
  },
  getex(c, sizes) {
    if (c.persist !== undefined && typeof c.persist !== 'boolean') return 'getex persist must be a boolean';
    if (c.persist === true && c.ttl !== undefined) return 'getex takes a ttl or persist, not both';
    return ttlProblem(c.ttl) ?? keyProblem(c.key, sizes);
  },
  reap(c, sizes) {
    return keysProblem(c.keys, sizes);
  },
  get(c, sizes) {
    return keyProblem(c.key, sizes);
  },
  txn(c, sizes, depth) {
    if (depth > 1) return 'a transaction may not be nested';
    if (!Array.isArray(c.compare)) return 'txn compare must be a list';
    if (c.compare.length > MAX_BATCH_COMMANDS) return `more than ${MAX_BATCH_COMMANDS} compares in one transaction`;
    for (const cmp of c.compare) {
      const p = compareProblem(cmp, sizes);
      if (p) return p;
    }
    // The branches' commands are checked when they run, like a batch's.
    return branchProblem(c.success, 'success') ?? branchProblem(c.failure, 'failure');
  },
};

function problem(cmd: unknown, sizes: Sizes, depth: number): string | undefined {
  if (typeof cmd !== 'object' || cmd === null || Array.isArray(cmd)) return 'a command must be an object';
  const op = (cmd as { op?: unknown }).op;
  if (!isString(op) || !Object.hasOwn(CHECKERS, op)) return `unknown command op ${JSON.stringify(op)?.slice(0, 64) ?? String(op)}`;
  return CHECKERS[op as KvCommand['op']](cmd as Record<string, unknown>, sizes, depth);
}

/**
 * Why a committed command cannot be applied, or undefined when it can: the
 * same answer on every replica (shape and types only). `depth` is 1 for a
 * command inside a batch.
 */
export function commandProblem(cmd: unknown, depth = 0): string | undefined {
  return problem(cmd, STRUCTURAL, depth);
}

/** Why an envelope's session fields are malformed, or undefined. */
export function envelopeProblem(env: unknown): string | undefined {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return 'an entry must be an object';
  const e = env as Record<string, unknown>;
  if (e.c === undefined && e.s === undefined && e.a === undefined) return undefined;
  if (!isString(e.c) || e.c === '' || e.c.length > MAX_CLIENT_ID) return `a session's client id must be a string of 1-${MAX_CLIENT_ID} characters`;
  if (typeof e.s !== 'number' || !Number.isSafeInteger(e.s) || e.s < 1) return "a session's sequence number must be an integer of at least 1";
  // `a` may pass `s`: a late retry of an answered command is refused as stale, not as malformed.
  if (e.a !== undefined && (typeof e.a !== 'number' || !Number.isSafeInteger(e.a) || e.a < 0)) {
    return "a session's lowest unanswered sequence number must be a non-negative integer";
  }
  return undefined;
}

/**
 * A command fit to propose: well formed and within this node's limits, every
 * command of a batch included. APPEND gets the value limit written into it,
 * so the state machine refuses a result past it the same way on every replica.
 * Throws a bad request error naming the problem.
 */
export function validateCommand(cmd: unknown, limits: Limits): KvCommand {
  const sizes = sizesOf(limits);
  const p = problem(cmd, sizes, 0);
  if (p) throw badRequest(p);
  return checkedParts(cmd as KvCommand, sizes, limits, 0);
}

/** Every command a batch or transaction holds checked with this node's limits (problem() checks only the outer one). */
function checkedParts(c: KvCommand, sizes: Sizes, limits: Limits, depth: number): KvCommand {
  const part = (what: string) => (sub: KvCommand, i: number): KvCommand => {
    const sp = problem(sub, sizes, depth + 1);
    if (sp) throw badRequest(`command ${i + 1} of the ${what}: ${sp}`);
    return checkedParts(sub, sizes, limits, depth + 1);
  };
  if (c.op === 'batch') return { op: 'batch', cmds: c.cmds.map(part('batch')) };
  if (c.op === 'txn') return { ...c, success: c.success.map(part('transaction')), failure: c.failure.map(part('transaction')) };
  return withValueLimit(c, limits);
}

function withValueLimit(c: KvCommand, limits: Limits): KvCommand {
  if (c.op !== 'append') return c;
  const max = Math.min(c.max ?? limits.maxValueBytes, limits.maxValueBytes);
  return c.max === max ? c : { ...c, max };
}

/** An envelope fit to propose (a forwarded command with its session). */
export function validateEnvelope(env: unknown, limits: Limits): Envelope {
  const p = envelopeProblem(env);
  if (p) throw badRequest(p);
  const e = env as Envelope;
  const cmd = validateCommand(e.cmd, limits);
  return cmd === e.cmd ? e : { ...e, cmd };
}
