// Keyspace notifications (Redis's `notify-keyspace-events KEA`): a RESP
// connection that SUBSCRIBEs to `__keyspace@0__:<key>` channels gets the
// event name of each change of that key, and one subscribed to
// `__keyevent@0__:<event>` gets the key. PSUBSCRIBE takes glob patterns.
// Changes come from the node's watch hub (src/node/watch-hub.ts), so a
// subscriber sees what this node applies, in revision order. Events are
// named by their effect for strings: `set` for a write, `del` for a delete,
// `expired` for an expiry (Redis names some writes by their command, e.g.
// `incrby`); a change of a hash, list, set or sorted set by Redis's name for
// it (hset, lpush, sadd, zadd, rename_to...: src/node/types/events.ts).

import { NodeError } from '../common/errors.js';
import { globMatcher } from '../node/scan.js';
import type { WatchEvent, WatchHub } from '../node/watch-hub.js';
import { array, bulk, integer, join, type Reply } from './encoder.js';

const EVENT_NAMES: Record<WatchEvent['type'], string> = { put: 'set', delete: 'del', expire: 'expired' };

export const KEYSPACE = '__keyspace@0__:';
export const KEYEVENT = '__keyevent@0__:';

export class Subscriptions {
  readonly #hub: WatchHub;
  readonly #push: (r: Reply) => void;
  readonly #channels = new Set<string>();
  readonly #patterns = new Map<string, (s: string) => boolean>();
  #cancel: (() => void) | undefined;

  constructor(hub: WatchHub, push: (r: Reply) => void) {
    this.#hub = hub;
    this.#push = push;
  }

  /** Channels and patterns subscribed to: in RESP2 a client with any may only (un)subscribe, PING or QUIT. */
  get count(): number {
    return this.#channels.size + this.#patterns.size;
  }

  subscribe(channels: readonly string[], pattern: boolean): Reply {
    const kind = pattern ? 'psubscribe' : 'subscribe';
    const replies: Reply[] = [];
    for (const ch of channels) {
      if (pattern) this.#patterns.set(ch, globMatcher(ch));
      else this.#channels.add(ch);
      replies.push(array([bulk(kind), bulk(ch), integer(this.count)]));
    }
    this.#follow();
    return join(replies);
  }

  unsubscribe(channels: readonly string[], pattern: boolean): Reply {
    const kind = pattern ? 'punsubscribe' : 'unsubscribe';
    const set = pattern ? [...this.#patterns.keys()] : [...this.#channels];
    const names = channels.length > 0 ? channels : set;
    if (names.length === 0) return array([bulk(kind), bulk(null), integer(this.count)]);
    const replies: Reply[] = [];
    for (const ch of names) {
      if (pattern) this.#patterns.delete(ch);
      else this.#channels.delete(ch);
      replies.push(array([bulk(kind), bulk(ch), integer(this.count)]));
    }
    if (this.count === 0) this.close();
    return join(replies);
  }

  close(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  #follow(): void {
    if (this.#cancel || this.count === 0) return;
    this.#cancel = this.#hub.watch('', this.#hub.current, {
      send: (events) => {
        for (const e of events) this.#deliver(e);
      },
      end: (err: NodeError) => {
        // A snapshot install: what changed before it is unknown here; follow again from it.
        this.#cancel = undefined;
        if (err.code === 'RAFTKV_ERR_COMPACTED') this.#follow();
      },
    });
  }

  #deliver(e: WatchEvent): void {
    const name = e.event ?? EVENT_NAMES[e.type];
    for (const [channel, payload] of [
      [KEYSPACE + e.key, name],
      [KEYEVENT + name, e.key],
    ] as const) {
      if (this.#channels.has(channel)) this.#push(array([bulk('message'), bulk(channel), bulk(payload)]));
      for (const [p, match] of this.#patterns) if (match(channel)) this.#push(array([bulk('pmessage'), bulk(p), bulk(channel), bulk(payload)]));
    }
  }
}
