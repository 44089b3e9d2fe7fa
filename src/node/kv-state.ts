// The replicated key-value state machine: pure and deterministic, so every
// node that applies the same entries reaches the same state and answers.
// The node keeps it in memory and writes its effects to SQLite per batch.

import { Packr } from 'msgpackr';
import { SYSTEM_PREFIX, commandProblem, envelopeProblem } from './command-validation.js';
import { concatStored, storedByteLength } from './stored-bytes.js';
import { Keyspace } from './types/keyspace.js';
import { runTyped, type TypedKvCommand } from './types/registry.js';
import type { TypedReply } from './types/reply.js';

export type KvCommand =
  /** Set several keys atomically (POST /key, MSET). */
  | { op: 'set'; kv: [string, string][] }
  /** Set one key with Redis options: only if absent (nx) / present (xx); `get` returns the old value. */
  | { op: 'set1'; key: string; value: string; cond?: 'nx' | 'xx'; get?: boolean }
  | { op: 'del'; keys: string[] }
  | { op: 'cas'; key: string; expect: string | null; value: string }
  | { op: 'incr'; key: string; by: number }
  /** Append the bytes of `value`; answers the new length in bytes. A result longer than `max` bytes is refused. */
  | { op: 'append'; key: string; value: string; max?: number }
  /** Several commands of one client applied in order in one entry (a Redis pipeline); one result each. */
  | { op: 'batch'; cmds: KvCommand[] }
  /** A command of the data types (hashes, lists, sets, sorted sets, generic key commands): src/node/types/. */
  | TypedKvCommand;

export type KvResult =
  | { ok: true }
  | { ok: true; count: number }
  | { ok: true; swapped: boolean; value: string | null }
  | { ok: true; value: string | null }
  | { ok: true; number: number }
  | { ok: true; results: KvResult[] }
  | { ok: true; reply: TypedReply }
  | { ok: false; error: 'not-integer' | 'overflow' | 'stale-session' | 'wrongtype' }
  /** An error Redis words this way (data type commands): passed on word for word. */
  | { ok: false; error: 'rejected'; word: string; message: string }
  /** A committed command that cannot be applied (malformed), or whose result would pass its size limit. */
  | { ok: false; error: 'invalid' | 'too-large'; message: string };

/**
 * A command as it travels in a log entry. With a client session (`c`, `s`) it
 * is applied at most once: a retry of the same sequence number gets the first
 * result. `a` is the lowest sequence the client still waits on, so results
 * below it can be forgotten (Raft thesis §6.3, with several requests in flight).
 */
export interface Envelope {
  c?: string;
  s?: number;
  a?: number;
  cmd: KvCommand;
}

export interface KvWrite {
  key: string;
  value: string | null;
}

export interface Session {
  /** Sequence numbers below this were acknowledged by the client; a retry of one is refused. */
  lowest: number;
  /** Results of the sequence numbers at or above `lowest` that were applied. */
  results: Record<number, KvResult>;
  /** Log index of the client's last command: sessions expire by index, identically everywhere. */
  index: number;
}

/** A session to store (null: expired, delete it). */
export interface SessionWrite {
  client: string;
  session: Session | null;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeEnvelope(e: Envelope): Uint8Array {
  return packr.pack(e);
}

export function decodeEnvelope(data: Uint8Array): Envelope {
  const e = packr.unpack(data) as Envelope;
  if (typeof e !== 'object' || e === null || typeof e.cmd !== 'object' || e.cmd === null || typeof e.cmd.op !== 'string') {
    throw new Error('malformed command entry');
  }
  return e;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export { SYSTEM_PREFIX };
const MEMBER_PREFIX = '\u0000member/';

export class KvState {
  readonly data: Map<string, string>;
  /** Member id -> its addresses (opaque JSON from the membership change that added it). */
  readonly members = new Map<string, string>();
  readonly sessions: Map<string, Session>;
  /** Sessions unused for this many log entries are forgotten. */
  readonly sessionTtlEntries: number;
  /** Every key of any type: the strings of `data` and the data types' values. */
  readonly keyspace: Keyspace;

  constructor(data = new Map<string, string>(), sessions = new Map<string, Session>(), sessionTtlEntries = 1_000_000) {
    this.data = data;
    this.sessions = sessions;
    this.sessionTtlEntries = sessionTtlEntries;
    for (const [k, v] of data) {
      if (k.startsWith(MEMBER_PREFIX)) this.members.set(k.slice(MEMBER_PREFIX.length), v);
    }
    this.keyspace = new Keyspace(data);
    this.keyspace.load(data);
    for (const k of [...data.keys()]) if (k.startsWith(SYSTEM_PREFIX)) data.delete(k);
  }

  /** Whether `key` holds a hash, list, set or sorted set (string commands refuse those). */
  #typed(key: string): boolean {
    return this.keyspace.values.has(key);
  }

  /** Remove the typed value a string write replaces. */
  #dropTyped(key: string, writes: KvWrite[]): void {
    if (!this.#typed(key)) return;
    this.keyspace.begin(writes);
    this.keyspace.delete(key);
  }

  /** Record (or forget, with null) a member's addresses, replicated like any write. */
  setMember(id: string, context: string | null, writes: KvWrite[]): void {
    if (context === null) this.members.delete(id);
    else this.members.set(id, context);
    writes.push({ key: MEMBER_PREFIX + id, value: context });
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  /**
   * Apply one command at log `index`. Changes go to `writes`/`sessionWrites`
   * so the caller persists the whole batch in one statement. A retried
   * command (same client, same seq) is answered with its first result and
   * not applied again.
   */
  apply(env: Envelope, index: number, writes: KvWrite[], sessionWrites: SessionWrite[]): KvResult {
    // Total: a malformed entry (an older version's, or a bug's) is answered and
    // skipped, the same way on every replica, instead of stopping them all.
    const bad = envelopeProblem(env);
    if (bad !== undefined) return invalid(bad);
    if (env.c === undefined || env.s === undefined) return this.#run(env.cmd, writes, 0);
    let session = this.sessions.get(env.c);
    if (!session) {
      session = { lowest: 0, results: {}, index };
      this.sessions.set(env.c, session);
    }
    if (env.a !== undefined && env.a > session.lowest) {
      for (const k of Object.keys(session.results)) if (Number(k) < env.a) delete session.results[Number(k)];
      session.lowest = env.a;
    }
    session.index = index;
    if (env.s < session.lowest) return { ok: false, error: 'stale-session' };
    const seen = session.results[env.s];
    if (seen) return seen;
    const result = this.#run(env.cmd, writes, 0);
    session.results[env.s] = result;
    sessionWrites.push({ client: env.c, session });
    return result;
  }

  /** Forget sessions idle for sessionTtlEntries entries; returns the expired client ids. */
  expireSessions(index: number): SessionWrite[] {
    const expired: SessionWrite[] = [];
    const horizon = index - this.sessionTtlEntries;
    if (horizon <= 0) return expired;
    for (const [client, s] of this.sessions) {
      if (s.index < horizon) {
        this.sessions.delete(client);
        expired.push({ client, session: null });
      }
    }
    return expired;
  }

  #set(key: string, value: string | null, writes: KvWrite[]): void {
    if (value === null) this.data.delete(key);
    else this.data.set(key, value);
    writes.push({ key, value });
  }

  #run(cmd: KvCommand, writes: KvWrite[], depth: number): KvResult {
    const bad = commandProblem(cmd, depth);
    if (bad !== undefined) return invalid(bad);
    switch (cmd.op) {
      case 'set':
        for (const [k, v] of cmd.kv) {
          this.#dropTyped(k, writes);
          this.#set(k, v, writes);
        }
        return { ok: true };
      case 'set1': {
        const typed = this.#typed(cmd.key);
        if (typed && cmd.get) return WRONGTYPE;
        const old = this.data.get(cmd.key) ?? null;
        const exists = old !== null || typed;
        const allowed = cmd.cond === undefined || (cmd.cond === 'nx' ? !exists : exists);
        if (allowed) {
          this.#dropTyped(cmd.key, writes);
          this.#set(cmd.key, cmd.value, writes);
        }
        if (cmd.get) return { ok: true, value: old };
        return { ok: true, count: allowed ? 1 : 0 };
      }
      case 'del': {
        let count = 0;
        for (const k of cmd.keys) {
          if (this.data.has(k)) {
            count++;
            this.#set(k, null, writes);
          } else if (this.#typed(k)) {
            count++;
            this.#dropTyped(k, writes);
          }
        }
        return { ok: true, count };
      }
      case 'cas': {
        if (this.#typed(cmd.key)) return WRONGTYPE;
        const current = this.data.get(cmd.key) ?? null;
        if (current !== cmd.expect) return { ok: true, swapped: false, value: current };
        this.#set(cmd.key, cmd.value, writes);
        return { ok: true, swapped: true, value: cmd.value };
      }
      case 'incr': {
        if (this.#typed(cmd.key)) return WRONGTYPE;
        const current = this.data.get(cmd.key);
        const n = current === undefined ? 0 : parseRedisInteger(current);
        if (n === undefined) return { ok: false, error: 'not-integer' };
        const next = n + cmd.by;
        if (!Number.isSafeInteger(next) || Math.abs(next) > MAX_SAFE) return { ok: false, error: 'overflow' };
        this.#set(cmd.key, String(next), writes);
        return { ok: true, number: next };
      }
      case 'append': {
        if (this.#typed(cmd.key)) return WRONGTYPE;
        const next = concatStored(this.data.get(cmd.key) ?? '', cmd.value);
        const length = storedByteLength(next);
        if (cmd.max !== undefined && length > cmd.max) return { ok: false, error: 'too-large', message: `string exceeds maximum allowed size (${cmd.max} bytes)` };
        this.#set(cmd.key, next, writes);
        return { ok: true, number: length };
      }
      case 'batch':
        // Not atomic in the Redis sense (a failed INCR does not undo the others), but
        // applied together, in order, and retried as a whole under one session sequence.
        return { ok: true, results: cmd.cmds.map((c) => this.#run(c, writes, depth + 1)) };
      case 'typed':
        return runTyped(this.keyspace, cmd.name, cmd.args, writes);
    }
  }
}

const WRONGTYPE: KvResult = { ok: false, error: 'wrongtype' };

function invalid(message: string): KvResult {
  return { ok: false, error: 'invalid', message: `invalid command: ${message}` };
}

/** Redis accepts only canonical integers: no spaces, no leading '+', no leading zeros. */
export function parseRedisInteger(s: string): number | undefined {
  if (!/^-?(0|[1-9][0-9]{0,18})$/.test(s) || s === '-0') return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}
