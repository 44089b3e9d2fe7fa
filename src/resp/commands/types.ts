// The RESP side of the data types (src/node/types/): one table entry per
// command, made from its spec. Writes become a `typed` state machine command
// carrying the arguments as sent; reads run the same code on the local state
// after the read barrier. Blocking pops are writes the connection retries
// while they find nothing (see blocking.ts).

import type { TypedCommand } from '../../node/types/command.js';
import { TYPED_COMMANDS } from '../../node/types/registry.js';
import { RespError } from '../errors-resp.js';
import { blockingCommand } from './blocking.js';
import { storedArgs, typedInTxn, typedReply, typedResultReply } from './typed-reply.js';
import type { ArgDoc, Command, ReadCommand, WriteCommand } from '../command.js';

/** A key (or the subcommand), the option words, then any arguments: enough for COMMAND DOCS and the hostile grammar. */
function argDocs(t: TypedCommand): ArgDoc[] {
  const [firstKey, lastKey] = t.keys;
  const words: ArgDoc[] = (t.words ?? []).map((w) => ({ name: w.toLowerCase(), type: 'pure-token', token: w, optional: true }));
  // Every word after the name a key (SINTER, SDIFFSTORE): keys only.
  if (firstKey === 1 && lastKey === -1) return [{ name: 'key', type: 'key', multiple: true }];
  const first: ArgDoc = firstKey === 1 ? { name: 'key', type: 'key' } : { name: 'subcommand', type: 'string' };
  // A fixed second key (RENAME, LMOVE, SMOVE, COPY's destination).
  const second: ArgDoc[] = firstKey === 1 && lastKey === 2 ? [{ name: 'destination', type: 'key' }] : [];
  return [first, ...second, ...words, { name: 'arg', type: 'string', optional: true, multiple: true }];
}

function respCommand(t: TypedCommand): Command {
  const base = { name: t.name, arity: t.arity, flags: t.flags, keys: t.keys, doc: { summary: t.summary, group: t.group, since: t.since, args: argDocs(t) } };
  if (t.write) {
    const w: WriteCommand = {
      ...base,
      kind: 'write',
      prepare: (args) => ({ op: 'typed', name: t.name, args: storedArgs(args) }),
      reply: typedResultReply,
    };
    return w;
  }
  const r: ReadCommand = {
    ...base,
    kind: 'read',
    read: (args, kv) => {
      const out = kv.readTyped(t.name, storedArgs(args));
      if (!out.ok) throw new RespError(out.word, out.message);
      return typedReply(out.reply);
    },
    // In MULTI: run in the EXEC entry, seeing the commands queued before it.
    inTxn: typedInTxn(t),
  };
  return r;
}

export const TYPE_COMMANDS: readonly Command[] = [...TYPED_COMMANDS.values()].map((t) => (t.blocking ? blockingCommand(t) : respCommand(t)));
