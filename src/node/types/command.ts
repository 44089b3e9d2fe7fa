// One command of the data types: its Redis shape (arity, key positions,
// flags, documentation) and what it does to the keyspace. Writes run in the
// state machine on every replica, reads on a node's local state after the
// read barrier; both go through `exec`, so a read and the same command in a
// write (MULTI, a retry) answer alike. `args` are the arguments after the
// command name, in stored form (binary-safe); every error, in the order
// Redis checks them, is thrown as a RedisError before anything changes.

import type { Keyspace } from './keyspace.js';
import type { TypedReply } from './reply.js';

export interface TypedCommand {
  /** Lower case. */
  name: string;
  write: boolean;
  /** Redis arity: N means exactly N words with the name, -N at least N. */
  arity: number;
  /** First key, last key (negative: from the end), step; positions count the name as 0. */
  keys: [number, number, number];
  flags: string[];
  group: 'hash' | 'list' | 'set' | 'sorted-set' | 'generic';
  summary: string;
  since: string;
  /** Option words the command reads (documented for COMMAND DOCS, and fuzzed). */
  words?: string[];
  /** A blocking pop: the front waits and retries while it answers a nil array. */
  blocking?: boolean;
  exec(ks: Keyspace, args: string[]): TypedReply;
}

/** The keys of a command, from its key positions (`args` without the name). */
export function keysOf(cmd: TypedCommand, args: readonly string[]): string[] {
  const [first, last, step] = cmd.keys;
  if (first === 0) return [];
  const end = last < 0 ? args.length + 1 + last : last;
  const keys: string[] = [];
  for (let i = first; i <= end && i - 1 < args.length; i += Math.max(1, step)) keys.push(args[i - 1]!);
  return keys;
}

/** Redis's wording for a wrong number of arguments, for shapes arity alone cannot check. */
export function arityMessage(name: string): string {
  return `wrong number of arguments for '${name}' command`;
}
