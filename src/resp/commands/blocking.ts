// Blocking pops (BLPOP, BRPOP, BLMOVE). The pop itself is an ordinary
// replicated command, so exactly one client gets each element, on every
// replica alike. A client whose pop found nothing waits until a list it names
// has elements in this node's state (told by the state machine as a push is
// applied, and checked every POLL_MS in case the state was replaced by a
// snapshot, or lives on the shards behind a router), then proposes again.
// The pops go to the leader; if leadership moves while a client waits, it is
// answered UNBLOCKED (nothing was taken for it) rather than left waiting on a
// node whose view may lag.

import type { Front, KvView } from '../../api/front.js';
import { keysOf, type TypedCommand } from '../../node/types/command.js';
import { blockingArgs } from '../../node/types/list.js';
import { NIL_ARRAY, type Reply } from '../encoder.js';
import { RespError } from '../errors-resp.js';
import type { BlockingCommand, CommandContext } from '../command.js';
import { storedArgs, typedInTxn, typedResultReply } from './typed-reply.js';

const POLL_MS = 100;

function hasElements(kv: KvView, keys: readonly string[]): boolean {
  return keys.some((k) => {
    const v = kv.typedValue(k);
    return v !== undefined && v.type === 'list' && v.items.length > 0;
  });
}

async function block(t: TypedCommand, args: Buffer[], ctx: CommandContext): Promise<Reply> {
  const front = ctx.server.front;
  const sargs = storedArgs(args);
  const timeoutS = blockingArgs(t.name, sargs);
  const keys = keysOf(t, sargs);
  const deadline = timeoutS === 0 ? Infinity : Date.now() + timeoutS * 1000;
  const leader = front.status().leader;
  for (;;) {
    const result = await front.propose({ op: 'typed', name: t.name, args: sargs });
    if (!(result.ok && 'reply' in result && (result.reply === null || (typeof result.reply === 'object' && 'nilArray' in result.reply)))) {
      return typedResultReply(result);
    }
    // Nothing to pop: wait for a push to one of the keys, the timeout, or a new leader.
    for (;;) {
      const left = deadline - Date.now();
      // Nobody to answer: stop waiting (nothing was popped for it).
      if (left <= 0 || ctx.client.closed) return NIL_ARRAY;
      await wake(front, keys, Math.min(left, POLL_MS));
      const now = front.status().leader;
      if (now !== leader) {
        throw new RespError('UNBLOCKED', `leadership moved (from ${leader || 'none'} to ${now || 'none'}) while the client was blocked; nothing was popped for it: retry`);
      }
      if (hasElements(await front.read('stale', keys), keys)) break;
    }
  }
}

/** Resolves when one of `keys` gets a push here (where the server tells of pushes: a node), or after `ms`. */
function wake(front: Front, keys: readonly string[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    let stop: (() => void) | undefined;
    const done = (): void => {
      clearTimeout(timer);
      stop?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop = front.extras?.onPush?.((key) => {
      if (keys.includes(key)) done();
    });
  });
}

export function blockingCommand(t: TypedCommand): BlockingCommand {
  return {
    kind: 'blocking',
    name: t.name,
    arity: t.arity,
    flags: [...t.flags, 'blocking'],
    keys: t.keys,
    doc: { summary: t.summary, group: t.group, since: t.since, args: [{ name: 'key', type: 'key', multiple: true }, { name: 'timeout', type: 'string' }] },
    run: (args, ctx) => block(t, args, ctx),
    inTxn: typedInTxn(t),
  };
}
