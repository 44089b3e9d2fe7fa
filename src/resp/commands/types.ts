// The RESP side of the data types (src/node/types/): one table entry per
// command, made from its spec. Writes become a `typed` state machine command
// carrying the arguments as sent; reads run the same code on the local state
// after the read barrier. Blocking pops are writes the connection retries
// while they find nothing (see blocking.ts).

import { checkResult } from '../../api/kv-rules.js';
import type { KvResult } from '../../node/kv-state.js';
import { bytesToStored } from '../../node/stored-bytes.js';
import type { TypedCommand } from '../../node/types/command.js';
import { TYPED_COMMANDS, runTyped } from '../../node/types/registry.js';
import type { TypedReply } from '../../node/types/reply.js';
import { NIL, NIL_ARRAY, array, bulk, integer, simple, type Reply } from '../encoder.js';
import { RespError } from '../errors-resp.js';
import type { ArgDoc, Command, ReadCommand, WriteCommand } from '../command.js';

export function typedReply(r: TypedReply): Reply {
  if (r === null) return NIL;
  if (typeof r === 'number') return integer(r);
  if (typeof r === 'string') return bulk(r);
  if (Array.isArray(r)) return array(r.map(typedReply));
  if ('status' in r) return simple(r.status);
  return NIL_ARRAY;
}

/** The reply to a state machine result of a typed command. */
export function typedResultReply(result: KvResult): Reply {
  if (!result.ok && result.error === 'rejected') throw new RespError(result.word, result.message);
  const ok = checkResult(result);
  if (!('reply' in ok)) throw new Error('a typed command answered no reply');
  return typedReply(ok.reply);
}

export function storedArgs(args: Buffer[]): string[] {
  const out = new Array<string>(args.length - 1);
  for (let i = 1; i < args.length; i++) out[i - 1] = bytesToStored(args[i]!);
  return out;
}

const ARGS: ArgDoc[] = [{ name: 'key', type: 'key' }, { name: 'arg', type: 'string', optional: true, multiple: true }];

function respCommand(t: TypedCommand): Command {
  const base = { name: t.name, arity: t.arity, flags: t.flags, keys: t.keys, doc: { summary: t.summary, group: t.group, since: t.since, args: ARGS } };
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
      const out = runTyped(kv.keyspace, t.name, storedArgs(args), []);
      if (!out.ok) throw new RespError(out.word, out.message);
      return typedReply(out.reply);
    },
  };
  return r;
}

export const TYPE_COMMANDS: readonly Command[] = [...TYPED_COMMANDS.values()].map(respCommand);
