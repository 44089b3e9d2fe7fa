// The transaction verbs: the connection runs them (src/resp/transaction.ts);
// here they are only named and documented for the command table.

import { wrongArity, type Command, type LocalCommand } from '../command.js';
import type { TransactionVerb } from '../transaction.js';

function verb(name: TransactionVerb, arity: number, summary: string, keys: [number, number, number] = [0, 0, 0]): LocalCommand {
  return {
    kind: 'local',
    name,
    arity,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    keys,
    doc: { summary, group: 'transactions', since: name === 'watch' || name === 'unwatch' ? '2.2.0' : '1.2.0', ...(keys[0] > 0 ? { args: [{ name: 'key', type: 'key', multiple: true }] } : {}) },
    transaction: name,
    run: () => {
      throw wrongArity(name);
    },
  };
}

export const TRANSACTION_COMMANDS: readonly Command[] = [
  verb('multi', 1, 'Starts a transaction: the commands that follow are queued until EXEC.'),
  verb('exec', 1, 'Runs the queued commands in one log entry; nil when a watched key changed.'),
  verb('discard', 1, 'Drops the queued commands and the watched keys.'),
  verb('watch', -2, 'Makes the next EXEC fail if one of these keys changes first.', [1, -1, 1]),
  verb('unwatch', 1, 'Forgets the watched keys.'),
];
