// Every command of the data types, by lower-case name, and how the state
// machine runs one: a `typed` KvCommand names the command and carries its
// arguments as sent, so a retry, a forwarded batch or a transaction holds it
// like any other command.

import type { KvWrite } from '../../common/kv-write.js';
import { keysOf, type TypedCommand } from './command.js';
import { GENERIC_COMMANDS } from './generic.js';
import { HASH_COMMANDS } from './hash.js';
import type { Keyspace } from './keyspace.js';
import { LIST_COMMANDS } from './list.js';
import { RedisError, type TypedReply } from './reply.js';
import { SET_COMMANDS } from './set.js';
import { ZSET_COMMANDS } from './zset.js';

export const TYPED_COMMANDS: ReadonlyMap<string, TypedCommand> = new Map(
  [...HASH_COMMANDS, ...LIST_COMMANDS, ...SET_COMMANDS, ...ZSET_COMMANDS, ...GENERIC_COMMANDS].map((c) => [c.name, c]),
);

/** The state machine command of a typed write: its name and arguments (stored form, after the name). */
export interface TypedKvCommand {
  op: 'typed';
  name: string;
  args: string[];
}

export type TypedOutcome = { ok: true; reply: TypedReply } | { ok: false; error: 'rejected'; word: string; message: string };

/** Why a typed command cannot run (shape only), or undefined. Reads are commands only inside a transaction (`inTxn`). */
export function typedProblem(name: unknown, args: unknown, inTxn = false): string | undefined {
  if (typeof name !== 'string') return 'typed name must be a string';
  const cmd = TYPED_COMMANDS.get(name);
  if (!cmd || (!cmd.write && !inTxn)) return `unknown typed write command ${JSON.stringify(name).slice(0, 64)}`;
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) return 'typed args must be a list of strings';
  const words = args.length + 1;
  if (cmd.arity > 0 ? words !== cmd.arity : words < -cmd.arity) return `wrong number of arguments for '${name}' command`;
  return undefined;
}

export function typedKeys(cmd: TypedKvCommand): string[] {
  const spec = TYPED_COMMANDS.get(cmd.name);
  return spec ? keysOf(spec, cmd.args) : [];
}

/**
 * Run a command (a read, or a write in the state machine) on `ks`; row
 * changes go to `writes`. A Redis error is an answer, with nothing changed.
 */
export function runTyped(ks: Keyspace, name: string, args: string[], writes: KvWrite[], rev?: number): TypedOutcome {
  const cmd = TYPED_COMMANDS.get(name);
  if (!cmd) return { ok: false, error: 'rejected', word: 'ERR', message: `unknown command '${name.slice(0, 64)}'` };
  const mark = writes.length;
  ks.begin(writes, rev, name, args);
  try {
    return { ok: true, reply: cmd.exec(ks, args) };
  } catch (e) {
    if (!(e instanceof RedisError)) throw e;
    // Commands throw before their first change; a write they made anyway is not kept.
    if (writes.length !== mark) throw new Error(`${name} changed rows before refusing: ${e.message}`);
    return { ok: false, error: 'rejected', word: e.word, message: e.message };
  }
}

/** The option words of each command that has some (COMMAND DOCS, and the hostile-input grammar). */
const WORDS: Record<string, string[]> = {
  zadd: ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'],
  zrange: ['BYSCORE', 'BYLEX', 'REV', 'LIMIT', 'WITHSCORES'],
  zrevrange: ['WITHSCORES'],
  zrangebyscore: ['WITHSCORES', 'LIMIT'],
  zrevrangebyscore: ['WITHSCORES', 'LIMIT'],
  zrangebylex: ['LIMIT'],
  lpos: ['RANK', 'COUNT', 'MAXLEN'],
  linsert: ['BEFORE', 'AFTER'],
  lmove: ['LEFT', 'RIGHT'],
  blmove: ['LEFT', 'RIGHT'],
  copy: ['REPLACE', 'DB'],
  hscan: ['MATCH', 'COUNT'],
  sscan: ['MATCH', 'COUNT'],
  zscan: ['MATCH', 'COUNT'],
  object: ['ENCODING'],
};
for (const [name, words] of Object.entries(WORDS)) TYPED_COMMANDS.get(name)!.words = words;
