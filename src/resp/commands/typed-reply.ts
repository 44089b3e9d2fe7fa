// Arguments and replies of the data type commands, shared by their plain and blocking forms.

import { checkResult } from '../../api/kv-rules.js';
import type { KvCommand, KvResult } from '../../node/kv-state.js';
import type { TypedCommand } from '../../node/types/command.js';
import { bytesToStored } from '../../node/stored-bytes.js';
import type { TypedReply } from '../../node/types/reply.js';
import { NIL, NIL_ARRAY, array, bulk, integer, simple, type Reply } from '../encoder.js';
import { RespError } from '../errors-resp.js';

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


/** A typed command as one command of an EXEC entry (reads too: their answer at that point of the entry). */
export function typedInTxn(t: TypedCommand): { prepare(args: Buffer[]): KvCommand; reply(result: KvResult): Reply } {
  return { prepare: (args) => ({ op: 'typed', name: t.name, args: storedArgs(args) }), reply: typedResultReply };
}
