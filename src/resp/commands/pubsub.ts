// SUBSCRIBE / PSUBSCRIBE / UNSUBSCRIBE / PUNSUBSCRIBE: keyspace notifications
// of this node's changes (src/resp/pubsub.ts). raftkv has no PUBLISH: the
// only messages are the keyspace's own.

import { badRequest } from '../../common/errors.js';
import type { Command, CommandContext, LocalCommand } from '../command.js';
import type { Reply } from '../encoder.js';
import { Subscriptions } from '../pubsub.js';

function subscriptions(ctx: CommandContext): Subscriptions {
  if (!ctx.client.subscriptions) {
    const hub = ctx.server.front.extras?.watch;
    if (!hub) throw badRequest('keyspace notifications come from the nodes, not the router: subscribe on a node of the shard');
    ctx.client.subscriptions = new Subscriptions(hub, ctx.client.push);
  }
  return ctx.client.subscriptions;
}

function verb(name: string, summary: string, run: (subs: Subscriptions, channels: string[]) => Reply, minArgs: number): LocalCommand {
  return {
    kind: 'local',
    name,
    arity: -minArgs,
    flags: ['pubsub', 'noscript', 'loading', 'stale'],
    // Subscribing changes what the next commands may be: they are checked after it ran.
    endsRun: true,
    keys: [0, 0, 0],
    doc: { summary, group: 'pubsub', since: '2.0.0', args: [{ name: name.startsWith('p') ? 'pattern' : 'channel', type: name.startsWith('p') ? 'pattern' : 'string', multiple: true, optional: minArgs === 1 }] },
    run: (args, ctx) => run(subscriptions(ctx), args.slice(1).map((a) => a.toString('latin1'))),
  };
}

export const PUBSUB_COMMANDS: readonly Command[] = [
  verb('subscribe', 'Listens to channels: __keyspace@0__:<key> (the event of each change of the key) and __keyevent@0__:<event> (the keys of each set, del, expired).', (s, c) => s.subscribe(c, false), 2),
  verb('psubscribe', 'Listens to the channels that match glob patterns (e.g. __keyspace@0__:user:*).', (s, c) => s.subscribe(c, true), 2),
  verb('unsubscribe', 'Stops listening to channels (all without arguments).', (s, c) => s.unsubscribe(c, false), 1),
  verb('punsubscribe', 'Stops listening to patterns (all without arguments).', (s, c) => s.unsubscribe(c, true), 1),
];

/** What a RESP2 client may send while subscribed. */
export const ALLOWED_WHILE_SUBSCRIBED = new Set(['subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);
