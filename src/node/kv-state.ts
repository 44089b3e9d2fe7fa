// The replicated key-value state machine: pure and deterministic, so every
// node that applies the same entries reaches the same state and answers.
// The node keeps it in memory and writes its effects to SQLite per batch.

import { Packr } from 'msgpackr';
import { SYSTEM_PREFIX, commandProblem, envelopeProblem } from './command-validation.js';
import { concatStored, storedByteLength } from './stored-bytes.js';
import { CLOCK_KEY, EXPIRY_PREFIX, ExpiryIndex, deadlineOf, type Ttl } from './expiry.js';
import { Keyspace, type Touched } from './types/keyspace.js';
import { runTyped, typedKeys, type TypedKvCommand, type TypedOutcome } from './types/registry.js';
import type { TypedValue } from './types/values.js';
import type { TypedReply } from './types/reply.js';
import { runTxn, type TxnCompare, type TxnHost } from './txn.js';
import type { KvWrite } from '../common/kv-write.js';

export type { Ttl } from './expiry.js';
export type { TxnCompare } from './txn.js';

export type KvCommand =
  /** Set several keys atomically (POST /key, MSET); `ttl` gives each of them that deadline, else they have none. */
  | { op: 'set'; kv: [string, string][]; ttl?: Ttl }
  /**
   * Set one key with Redis options: only if absent (nx) / present (xx); `get` returns the old value;
   * `ttl` its deadline, `keepttl` keeps the one it had (otherwise a set clears it).
   */
  | { op: 'set1'; key: string; value: string; cond?: 'nx' | 'xx'; get?: boolean; ttl?: Ttl; keepttl?: boolean }
  | { op: 'del'; keys: string[] }
  | { op: 'cas'; key: string; expect: string | null; value: string }
  | { op: 'incr'; key: string; by: number }
  /** Append the bytes of `value`; answers the new length in bytes. A result longer than `max` bytes is refused. */
  | { op: 'append'; key: string; value: string; max?: number }
  /** Several commands of one client applied in order in one entry (a Redis pipeline); one result each. */
  | { op: 'batch'; cmds: KvCommand[] }
  /** EXPIRE family: give a live key a deadline (a past one deletes it), under Redis's NX/XX/GT/LT conditions. */
  | { op: 'expire'; key: string; ttl: Ttl; cond?: 'nx' | 'xx' | 'gt' | 'lt' }
  /** Remove a key's deadline. */
  | { op: 'persist'; key: string }
  /** GETEX: the value, and a new deadline (`ttl`) or none (`persist`). */
  | { op: 'getex'; key: string; ttl?: Ttl; persist?: boolean }
  /** The leader's expirations: delete each key whose deadline has passed by this entry's time (others are left alone). */
  | { op: 'reap'; keys: string[] }
  /** A read inside a transaction: the value and revision at that point of the entry. */
  | { op: 'get'; key: string }
  /**
   * A transaction (etcd's Txn; Redis's MULTI/EXEC with WATCH as revision compares): if every compare
   * holds, the `success` commands run, else the `failure` ones, all in this one entry.
   */
  | { op: 'txn'; compare: TxnCompare[]; success: KvCommand[]; failure: KvCommand[] }
  /** A command of the data types (hashes, lists, sets, sorted sets, generic key commands): src/node/types/. */
  | TypedKvCommand;

export type KvResult =
  | { ok: true }
  | { ok: true; count: number }
  | { ok: true; swapped: boolean; value: string | null }
  | { ok: true; value: string | null }
  | { ok: true; number: number }
  | { ok: true; results: KvResult[] }
  /** get: the value (null: absent) and its revision (0: absent). */
  | { ok: true; value: string | null; rev: number }
  /** txn: which branch ran, and its results. */
  | { ok: true; succeeded: boolean; results: KvResult[] }
  | { ok: false; error: 'not-integer' | 'overflow' | 'stale-session' | 'wrongtype' }
  | { ok: true; reply: TypedReply }
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
  /** The leader's clock (ms since the epoch) when it proposed the entry: the state machine's time (expiry.ts). */
  t?: number;
  cmd: KvCommand;
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
  /** Each live key's revision: the log index of the entry that last wrote it. */
  readonly revs: Map<string, number>;
  /** Deadlines of the keys that have one (expiry.ts). */
  readonly expiry = new ExpiryIndex();
  /** Member id -> its addresses (opaque JSON from the membership change that added it). */
  readonly members = new Map<string, string>();
  readonly sessions: Map<string, Session>;
  /** Sessions unused for this many log entries are forgotten. */
  readonly sessionTtlEntries: number;
  /** The local clock reads filter expired keys by (the node's clock; the state machine's time by default). */
  readClock: () => number = () => this.#time;
  /** The state machine's time: the largest leader stamp applied (deterministic, unlike any local clock). */
  #time = 0;
  /** The index of the entry being applied: the revision of its writes. */
  #index = 0;
  /** Keys in order, for scans; rebuilt when the set of keys changed since. */
  #sorted: string[] | undefined;
  /** Every key of any type: the strings of `data` and the data types' values. */
  readonly keyspace: Keyspace;
  /** Whether an entry is being applied: commands then see keys expired by the state machine's time, reads by `now`. */
  #applying = false;

  constructor(data = new Map<string, string>(), sessions = new Map<string, Session>(), sessionTtlEntries = 1_000_000, revs = new Map<string, number>()) {
    this.data = data;
    this.revs = revs;
    this.sessions = sessions;
    this.sessionTtlEntries = sessionTtlEntries;
    for (const [k, v] of data) {
      if (!k.startsWith(SYSTEM_PREFIX)) continue;
      if (k.startsWith(MEMBER_PREFIX)) this.members.set(k.slice(MEMBER_PREFIX.length), v);
      else if (k.startsWith(EXPIRY_PREFIX)) this.expiry.set(k.slice(EXPIRY_PREFIX.length), Number(v));
      else if (k === CLOCK_KEY) this.#time = Number(v);
    }
    const ks = new Keyspace(data);
    this.keyspace = ks;
    ks.load(data, revs);
    for (const k of [...data.keys()]) if (k.startsWith(SYSTEM_PREFIX)) data.delete(k);
    for (const k of revs.keys()) if (!data.has(k)) revs.delete(k);
    // A typed key's revision is its head row's.
    for (const [k, rev] of ks.loadedRevs) if (ks.values.has(k)) revs.set(k, rev);
    ks.loadedRevs.clear();
    // Commands see the keys past their deadline as absent: by the entry's time while one is applied, by the local clock for reads.
    ks.hidden = (k) => {
      const at = this.expiry.get(k);
      return at !== undefined && at <= (this.#applying ? this.#time : this.now());
    };
    ks.deadlines = {
      deadline: (k) => this.expiry.get(k),
      setDeadline: (k, at, writes) => this.#setDeadline(k, at, writes),
    };
  }

  /** Whether a key of any type is stored (expired or not). */
  #exists(key: string): boolean {
    return this.data.has(key) || this.keyspace.values.has(key);
  }

  /** Remove the typed value a string write replaces (and its deadline): no event of its own, the string's put says it. */
  #dropTyped(key: string, writes: KvWrite[]): void {
    if (!this.keyspace.values.has(key)) return;
    const ks = this.keyspace;
    ks.begin(writes);
    ks.delete(key);
    this.#settle(ks.finish());
  }

  /** Delete a key of any type at this entry (a DEL, an expiry), with its event. */
  #delete(key: string, writes: KvWrite[], expired: boolean): void {
    if (!this.keyspace.values.has(key)) return this.#set(key, null, writes, expired);
    const ks = this.keyspace;
    ks.begin(writes, this.#index);
    ks.delete(key);
    this.#settle(ks.finish(expired));
  }

  /** After a typed command: the revision of each key it touched, and the key order when keys came or went. */
  #settle(touched: ReadonlyMap<string, Touched>): void {
    for (const [key, before] of touched) {
      const now = this.#exists(key);
      if (now) this.revs.set(key, this.#index);
      else this.revs.delete(key);
      if (now !== before.existed) this.#sorted = undefined;
    }
  }

  /** A command of the data types: the keys it names that are past their deadline go first (expire events). */
  #runTyped(cmd: TypedKvCommand, writes: KvWrite[]): KvResult {
    for (const k of typedKeys(cmd)) this.#expireIfDue(k, writes);
    const ks = this.keyspace;
    const out = runTyped(ks, cmd.name, cmd.args, writes, this.#index);
    this.#settle(ks.finish());
    return out;
  }

  /** A read command of the data types on the local state (keys past their deadline by `now` are absent). */
  readTyped(name: string, args: string[]): TypedOutcome {
    return runTyped(this.keyspace, name, args, []);
  }

  /** A live key's hash, list, set or sorted set value (undefined: absent, expired, or a string). */
  typedValue(key: string, now = this.now()): TypedValue | undefined {
    const v = this.keyspace.values.get(key);
    if (v === undefined) return undefined;
    const at = this.expiry.get(key);
    return at !== undefined && at <= now ? undefined : v;
  }

  /** Record (or forget, with null) a member's addresses, replicated like any write. */
  setMember(id: string, context: string | null, writes: KvWrite[]): void {
    if (context === null) this.members.delete(id);
    else this.members.set(id, context);
    writes.push({ key: MEMBER_PREFIX + id, value: context });
  }

  /** The state machine's time (ms): the largest leader stamp applied. */
  get time(): number {
    return this.#time;
  }

  /** The time reads judge expiry by: the local clock, never before the state machine's time. */
  now(): number {
    return Math.max(this.readClock(), this.#time);
  }

  /** A key's value, or undefined when absent or expired (by `now`). */
  get(key: string, now = this.now()): string | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    const at = this.expiry.get(key);
    return at !== undefined && at <= now ? undefined : v;
  }

  /** Whether a key of any type is live (stored, not past its deadline by `now`). */
  has(key: string, now = this.now()): boolean {
    if (!this.#exists(key)) return false;
    const at = this.expiry.get(key);
    return at === undefined || at > now;
  }

  /** A live key's revision, whatever its type (0: absent or expired). */
  revision(key: string, now = this.now()): number {
    return this.has(key, now) ? (this.revs.get(key) ?? 0) : 0;
  }

  /** Milliseconds a live key has left: -1 without a deadline, -2 when absent (Redis's PTTL). */
  pttl(key: string, now = this.now()): number {
    if (!this.has(key, now)) return -2;
    const at = this.expiry.get(key);
    return at === undefined ? -1 : at - now;
  }

  /** A live key's deadline (ms since the epoch): -1 without one, -2 when absent (PEXPIRETIME). */
  deadline(key: string, now = this.now()): number {
    if (!this.has(key, now)) return -2;
    return this.expiry.get(key) ?? -1;
  }

  /** Live keys of every type, exactly (DBSIZE). */
  size(now = this.now()): number {
    return this.data.size + this.keyspace.values.size - this.expiry.countDue(now);
  }

  /** Every key of every type in order (expired ones included: callers filter with has). Cached until a key comes or goes. */
  sortedKeys(): readonly string[] {
    this.#sorted ??= [...this.data.keys(), ...this.keyspace.values.keys()].sort(compareKeys);
    return this.#sorted;
  }

  /** Keys due for expiry by `now`, for the leader's reap proposals. */
  dueKeys(now: number, max: number): string[] {
    return this.expiry.due(now, max);
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
    this.#applying = true;
    try {
      return this.#applyEnvelope(env, index, writes, sessionWrites);
    } finally {
      this.#applying = false;
    }
  }

  #applyEnvelope(env: Envelope, index: number, writes: KvWrite[], sessionWrites: SessionWrite[]): KvResult {
    this.#index = index;
    if (env.t !== undefined && env.t > this.#time) {
      this.#time = env.t;
      writes.push({ key: CLOCK_KEY, value: String(env.t) });
    }
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

  #set(key: string, value: string | null, writes: KvWrite[], expired = false): void {
    if (value === null) {
      if (this.data.delete(key)) this.#sorted = undefined;
      this.revs.delete(key);
      this.#setDeadline(key, undefined, writes);
      writes.push(expired ? { key, value, rev: this.#index, expired } : { key, value, rev: this.#index });
      return;
    }
    if (!this.data.has(key)) this.#sorted = undefined;
    this.data.set(key, value);
    this.revs.set(key, this.#index);
    writes.push({ key, value, rev: this.#index });
  }

  #setDeadline(key: string, at: number | undefined, writes: KvWrite[]): void {
    if (at === undefined) {
      if (this.expiry.delete(key)) writes.push({ key: EXPIRY_PREFIX + key, value: null });
      return;
    }
    if (this.expiry.get(key) === at) return;
    this.expiry.set(key, at);
    writes.push({ key: EXPIRY_PREFIX + key, value: String(at) });
  }

  /**
   * Whether a key of any type is there as commands see it: one past its
   * deadline is deleted here (an expire event), identically everywhere.
   */
  #expireIfDue(key: string, writes: KvWrite[]): boolean {
    if (!this.#exists(key)) return false;
    const at = this.expiry.get(key);
    if (at !== undefined && at <= this.#time) {
      this.#delete(key, writes, true);
      return false;
    }
    return true;
  }

  /** A string key's value as commands see it (undefined: absent, expired, or of another type). */
  #live(key: string, writes: KvWrite[]): string | undefined {
    return this.#expireIfDue(key, writes) ? this.data.get(key) : undefined;
  }

  /** Whether a live key holds a hash, list, set or sorted set (string commands answer WRONGTYPE). */
  #typedLive(key: string, writes: KvWrite[]): boolean {
    return this.#expireIfDue(key, writes) && this.keyspace.values.has(key);
  }

  /** Set a value with a new deadline (undefined: none), or keeping the old one. */
  #put(key: string, value: string, writes: KvWrite[], ttl: Ttl | undefined, keep = false): void {
    this.#set(key, value, writes);
    if (!keep) this.#setDeadline(key, ttl === undefined ? undefined : deadlineOf(ttl, this.#time), writes);
  }

  #run(cmd: KvCommand, writes: KvWrite[], depth: number): KvResult {
    const bad = commandProblem(cmd, depth);
    if (bad !== undefined) return invalid(bad);
    switch (cmd.op) {
      case 'set':
        for (const [k, v] of cmd.kv) {
          this.#expireIfDue(k, writes);
          this.#dropTyped(k, writes);
          this.#put(k, v, writes, cmd.ttl);
        }
        return { ok: true };
      case 'set1': {
        const old = this.#live(cmd.key, writes) ?? null;
        const typed = this.keyspace.values.has(cmd.key);
        if (typed && cmd.get) return WRONGTYPE;
        const exists = old !== null || typed;
        const allowed = cmd.cond === undefined || (cmd.cond === 'nx' ? !exists : exists);
        if (allowed) {
          // KEEPTTL keeps the deadline of whatever the key held, a hash's too.
          const kept = cmd.keepttl ? this.expiry.get(cmd.key) : undefined;
          this.#dropTyped(cmd.key, writes);
          this.#put(cmd.key, cmd.value, writes, cmd.ttl, cmd.keepttl === true);
          if (kept !== undefined) this.#setDeadline(cmd.key, kept, writes);
        }
        if (cmd.get) return { ok: true, value: old };
        return { ok: true, count: allowed ? 1 : 0 };
      }
      case 'del': {
        let count = 0;
        for (const k of cmd.keys) {
          if (this.#expireIfDue(k, writes)) {
            count++;
            this.#delete(k, writes, false);
          }
        }
        return { ok: true, count };
      }
      case 'cas': {
        if (this.#typedLive(cmd.key, writes)) return WRONGTYPE;
        const current = this.#live(cmd.key, writes) ?? null;
        if (current !== cmd.expect) return { ok: true, swapped: false, value: current };
        this.#put(cmd.key, cmd.value, writes, undefined);
        return { ok: true, swapped: true, value: cmd.value };
      }
      case 'incr': {
        if (this.#typedLive(cmd.key, writes)) return WRONGTYPE;
        const current = this.#live(cmd.key, writes);
        const n = current === undefined ? 0 : parseRedisInteger(current);
        if (n === undefined) return { ok: false, error: 'not-integer' };
        const next = n + cmd.by;
        if (!Number.isSafeInteger(next) || Math.abs(next) > MAX_SAFE) return { ok: false, error: 'overflow' };
        // Redis keeps the TTL of a key INCR changes.
        this.#set(cmd.key, String(next), writes);
        return { ok: true, number: next };
      }
      case 'append': {
        if (this.#typedLive(cmd.key, writes)) return WRONGTYPE;
        const next = concatStored(this.#live(cmd.key, writes) ?? '', cmd.value);
        const length = storedByteLength(next);
        if (cmd.max !== undefined && length > cmd.max) return { ok: false, error: 'too-large', message: `string exceeds maximum allowed size (${cmd.max} bytes)` };
        this.#set(cmd.key, next, writes);
        return { ok: true, number: length };
      }
      case 'batch':
        // Not atomic in the Redis sense (a failed INCR does not undo the others), but
        // applied together, in order, and retried as a whole under one session sequence.
        return { ok: true, results: cmd.cmds.map((c) => this.#run(c, writes, depth + 1)) };
      case 'expire':
        return this.#expire(cmd.key, deadlineOf(cmd.ttl, this.#time), cmd.cond, writes);
      case 'persist': {
        if (!this.#expireIfDue(cmd.key, writes) || this.expiry.get(cmd.key) === undefined) return { ok: true, count: 0 };
        this.#setDeadline(cmd.key, undefined, writes);
        return { ok: true, count: 1 };
      }
      case 'getex': {
        if (this.#typedLive(cmd.key, writes)) return WRONGTYPE;
        const value = this.#live(cmd.key, writes) ?? null;
        if (value !== null && cmd.persist) this.#setDeadline(cmd.key, undefined, writes);
        else if (value !== null && cmd.ttl !== undefined) this.#expire(cmd.key, deadlineOf(cmd.ttl, this.#time), undefined, writes);
        return { ok: true, value };
      }
      case 'reap': {
        let count = 0;
        for (const k of cmd.keys) {
          const at = this.expiry.get(k);
          if (at !== undefined && at <= this.#time && this.#exists(k)) {
            this.#delete(k, writes, true);
            count++;
          }
        }
        return { ok: true, count };
      }
      case 'get': {
        if (this.#typedLive(cmd.key, writes)) return WRONGTYPE;
        const value = this.#live(cmd.key, writes) ?? null;
        return { ok: true, value, rev: value === null ? 0 : (this.revs.get(cmd.key) ?? 0) };
      }
      case 'txn':
        return runTxn(cmd, this.#txnHost(writes, depth));
      case 'typed':
        return this.#runTyped(cmd, writes);
    }
  }

  #txnHost(writes: KvWrite[], depth: number): TxnHost {
    return {
      value: (k) => this.#live(k, writes),
      exists: (k) => this.#expireIfDue(k, writes),
      revision: (k) => (this.#expireIfDue(k, writes) ? (this.revs.get(k) ?? 0) : 0),
      run: (c) => this.#run(c, writes, depth + 1),
    };
  }

  /** EXPIRE at `at` under Redis's conditions (no deadline counts as infinite for GT/LT); a past deadline deletes. */
  #expire(key: string, at: number, cond: 'nx' | 'xx' | 'gt' | 'lt' | undefined, writes: KvWrite[]): KvResult {
    if (!this.#expireIfDue(key, writes)) return { ok: true, count: 0 };
    const current = this.expiry.get(key);
    const allowed =
      cond === undefined ||
      (cond === 'nx' && current === undefined) ||
      (cond === 'xx' && current !== undefined) ||
      (cond === 'gt' && current !== undefined && at > current) ||
      (cond === 'lt' && (current === undefined || at < current));
    if (!allowed) return { ok: true, count: 0 };
    if (at <= this.#time) this.#delete(key, writes, true);
    else this.#setDeadline(key, at, writes);
    return { ok: true, count: 1 };
  }
}

/** Byte order of the keys' UTF-16 code units: what scans and ranges page by. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
