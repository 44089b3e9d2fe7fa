// What a RESP command is: its arity and documentation (for COMMAND and
// redis-cli's hints), and one of three kinds, which decides how the
// connection runs it. Writes become state machine commands (replicated,
// several of one pipeline in one proposal); reads run after a read barrier
// at the connection's read level; local commands touch no data.

import type { Front, KvView } from '../api/front.js';
import { checkKey } from '../api/kv-rules.js';
import { NodeError, RaftkvError, badRequest, notIntegerError } from '../common/errors.js';
import { parseRedisInteger, type KvCommand, type KvResult } from '../node/kv-state.js';
import { bytesToStored } from '../node/stored-bytes.js';
import type { ReadLevel } from '../node/types.js';
import type { Reply } from './encoder.js';
import type { RequestMeter, RouteMeter } from '../node/request-meter.js';
import type { Subscriptions } from './pubsub.js';
import type { Authenticator, Principal } from '../security/auth.js';

/** A connection's own state. */
export interface ClientState {
  readonly id: number;
  readonly addr: string;
  readonly connectedAt: number;
  name: string;
  level: ReadLevel;
  /** Set by QUIT: the connection closes once this reply is out. */
  quit: boolean;
  /** Write a reply nobody asked for now (a keyspace notification). */
  push(reply: Reply): void;
  /** Its keyspace notification subscriptions, once it subscribed. */
  subscriptions?: Subscriptions;
  /** The socket closed (a blocked command stops waiting). */
  closed?: boolean;
  /** The user logged in with AUTH or HELLO AUTH, where authentication is on. */
  user?: Principal;
}

/** What commands may see of the server they run in. */
export interface ServerView {
  readonly front: Front;
  readonly port: number;
  readonly startedAt: number;
  readonly commands: ReadonlyMap<string, Command>;
  connectedClients(): number;
  /** RESP address of a member, for NOTLEADER answers and INFO. */
  respOf(id: string): string | undefined;
  /** Users' tokens, where authentication is on: every command but AUTH, HELLO and QUIT needs a login first. */
  readonly auth?: Authenticator;
  /** Each command's request meter (absent: not metered). */
  readonly meters?: CommandMeters;
}

export interface CommandMeters {
  of: ReadonlyMap<Command, RouteMeter>;
  /** Unknown commands and wrong arities. */
  unknown: RouteMeter;
}

export interface CommandContext {
  client: ClientState;
  server: ServerView;
}

/** One argument as COMMAND DOCS describes it (redis-cli builds its hints from these). */
export interface ArgDoc {
  name: string;
  type: 'key' | 'string' | 'integer' | 'pattern' | 'oneof' | 'block' | 'pure-token';
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  args?: ArgDoc[];
}

export interface CommandDoc {
  summary: string;
  group: string;
  since: string;
  args?: ArgDoc[];
}

interface CommandBase {
  /** Lower case. */
  name: string;
  /** Redis arity: N means exactly N words with the name, -N at least N. */
  arity: number;
  /** COMMAND's flags: write, readonly, fast, ... */
  flags: string[];
  /** First key, last key (-1: the last argument), step; 0 0 0 without keys. */
  keys: [number, number, number];
  doc: CommandDoc;
  /** Container commands (CLIENT, CONFIG, COMMAND): their subcommands, lower case. */
  subcommands?: Record<string, { arity: number; summary: string; args?: ArgDoc[] }>;
}

export interface WriteCommand extends CommandBase {
  kind: 'write';
  /** The state machine command; throws for bad arguments (nothing is proposed then). */
  prepare(args: Buffer[]): KvCommand;
  reply(result: KvResult): Reply;
}

export interface ReadCommand extends CommandBase {
  kind: 'read';
  /**
   * Runs once the read barrier passed: synchronous, from the local state.
   * `room` is how many bytes the reply may take: a command whose reply can
   * be large (MGET) throws ReplyTooLarge before building it.
   */
  read(args: Buffer[], kv: KvView, room: number): Reply;
  /** How it runs inside MULTI/EXEC (as a state machine command of the EXEC entry); absent: it cannot be queued. */
  inTxn?: { prepare(args: Buffer[]): KvCommand; reply(result: KvResult): Reply };
}

/** A reply past the connection's limits.maxReplyBytes; the connection words the error. */
export class ReplyTooLarge extends RaftkvError<'RAFTKV_ERR_REPLY_TOO_LARGE'> {
  constructor() {
    super('RAFTKV_ERR_REPLY_TOO_LARGE', 'reply too large');
  }
}

export interface LocalCommand extends CommandBase {
  kind: 'local';
  /** Changes what the next reads of the connection need (READLEVEL, QUIT): ends a batch of commands. */
  endsRun?: boolean;
  /** MULTI, EXEC, ...: the connection's transaction runs it (transaction.ts), not `run`. */
  transaction?: 'multi' | 'exec' | 'discard' | 'watch' | 'unwatch';
  run(args: Buffer[], ctx: CommandContext): Reply;
}

/**
 * A command that may wait for others (BLPOP...): it runs alone, after the
 * replies before it went out, and the connection answers nothing after it
 * until it has answered.
 */
export interface BlockingCommand extends CommandBase {
  kind: 'blocking';
  run(args: Buffer[], ctx: CommandContext): Promise<Reply>;
  /** Inside MULTI/EXEC it does not block (Redis's rule): one try in the EXEC entry. */
  inTxn?: { prepare(args: Buffer[]): KvCommand; reply(result: KvResult): Reply };
}

export type Command = WriteCommand | ReadCommand | LocalCommand | BlockingCommand;

// ---- argument helpers ----

/**
 * A key argument as stored (binary-safe), checked like every key. Its size
 * the connection checked already, in bytes as sent, against
 * limits.maxKeyBytes (the stored form of binary keys is longer).
 */
export function keyArg(b: Buffer): string {
  return checkKey(bytesToStored(b), Number.POSITIVE_INFINITY);
}

export function valueArg(b: Buffer): string {
  return bytesToStored(b);
}

/** An integer argument; Redis's error otherwise. */
export function intArg(b: Buffer): number {
  const n = parseRedisInteger(b.toString('latin1'));
  if (n === undefined) throw notIntegerError();
  return n;
}

/** An option word, upper case. */
export function word(b: Buffer): string {
  return b.toString('latin1').toUpperCase();
}

export function syntaxError(): NodeError {
  return badRequest('syntax error');
}

export function wrongArity(name: string): NodeError {
  return badRequest(`wrong number of arguments for '${name}' command`);
}

export function unknownSubcommand(name: string, sub: Buffer): NodeError {
  return badRequest(`unknown subcommand '${sub.toString('utf8').slice(0, 128)}'. Try ${name.toUpperCase()} HELP.`);
}

// ---- commands on one key ----

/** The key argument, as COMMAND DOCS gives it. */
export const KEY_ARG: ArgDoc = { name: 'key', type: 'key' };
/** One key or more. */
export const KEYS_ARG: ArgDoc = { name: 'key', type: 'key', multiple: true };

/** COMMAND DOCS of a command on one key: what it says, and its arguments after the key. */
export interface KeyCommandDoc {
  summary: string;
  group: string;
  since: string;
  after?: ArgDoc[];
}

function keyCommandDoc(d: KeyCommandDoc): CommandDoc {
  return { summary: d.summary, group: d.group, since: d.since, args: [KEY_ARG, ...(d.after ?? [])] };
}

/** A read of the one key it names (GET key, TTL key): arity 2, read-only and fast. */
export function keyRead(name: string, doc: KeyCommandDoc, read: (kv: KvView, key: string) => Reply, inTxn?: ReadCommand['inTxn']): ReadCommand {
  return { kind: 'read', name, arity: 2, flags: ['readonly', 'fast'], keys: [1, 1, 1], doc: keyCommandDoc(doc), read: (args, kv) => read(kv, keyArg(args[1]!)), ...(inTxn ? { inTxn } : {}) };
}

/** A read of every key it names (EXISTS key [key ...], MGET): arity -2, read-only and fast; `read` checks the keys. */
export function keysRead(name: string, doc: Omit<CommandDoc, 'args'>, read: ReadCommand['read']): ReadCommand {
  return { kind: 'read', name, arity: -2, flags: ['readonly', 'fast'], keys: [1, -1, 1], doc: { ...doc, args: [KEYS_ARG] }, read };
}

/**
 * A write to the one key its first argument names (SETNX, PERSIST, EXPIRE...).
 * `prepare` gets the key, checked before any other argument, and all the arguments.
 */
export function keyWrite(
  name: string,
  arity: number,
  flags: string[],
  doc: KeyCommandDoc,
  prepare: (key: string, args: Buffer[]) => KvCommand,
  reply: (result: KvResult) => Reply,
): WriteCommand {
  return { kind: 'write', name, arity, flags, keys: [1, 1, 1], doc: keyCommandDoc(doc), prepare: (args) => prepare(keyArg(args[1]!), args), reply };
}

/** A meter per command (labelled by its lower-case name: a fixed set), made once per server. */
export function commandMeters(requests: RequestMeter, commands: Iterable<Command>): CommandMeters {
  return {
    of: new Map([...commands].map((c) => [c, requests.route('resp', c.name, c.kind === 'local' ? 'other' : c.kind === 'blocking' ? 'write' : c.kind)])),
    unknown: requests.route('resp', 'unknown', 'other'),
  };
}
