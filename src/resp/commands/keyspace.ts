// Key scans over RESP: KEYS and SCAN. SCAN pages by the last key returned
// (src/node/scan.ts), which gives Redis's guarantee (a key present for the
// whole scan is returned at least once) under concurrent writes. Clients
// (redis-cli among them) want a numeric cursor, so each cursor number stands
// for a "last key" in a bounded table of this server; an unknown one is an
// error, as a scan cannot resume from nothing.

import { globMatcher, scanKeys } from '../../node/scan.js';
import { storedByteLength } from '../../node/stored-bytes.js';
import { RespError } from '../errors-resp.js';
import { array, bulk, type Reply } from '../encoder.js';
import { ReplyTooLarge, intArg, syntaxError, word, type Command, type ReadCommand } from '../command.js';

/** Open cursors kept; the oldest go first. */
const MAX_CURSORS = 100_000;
const cursors = new Map<string, string>();
let nextCursor = 1;

function saveCursor(lastKey: string): string {
  const id = String(nextCursor++);
  cursors.set(id, lastKey);
  if (cursors.size > MAX_CURSORS) cursors.delete(cursors.keys().next().value!);
  return id;
}

function keysReply(keys: readonly string[], room: number): Reply {
  let bytes = 0;
  for (const k of keys) {
    bytes += storedByteLength(k) + 16;
    if (bytes > room) throw new ReplyTooLarge();
  }
  return array(keys.map((k) => bulk(k)));
}

const keys: ReadCommand = {
  kind: 'read',
  name: 'keys',
  arity: 2,
  flags: ['readonly'],
  keys: [0, 0, 0],
  doc: { summary: 'Returns every key that matches a glob pattern, in key order.', group: 'generic', since: '1.0.0', args: [{ name: 'pattern', type: 'pattern' }] },
  read: (args, kv, room) => {
    const match = globMatcher(args[1]!.toString('latin1'));
    return keysReply(scanKeys(kv, { match, limit: Infinity, reader: 'KEYS' }).keys, room);
  },
};

const scan: ReadCommand = {
  kind: 'read',
  name: 'scan',
  arity: -2,
  flags: ['readonly'],
  keys: [0, 0, 0],
  doc: {
    summary: 'Iterates over the keys: every key present for the whole iteration is returned at least once.',
    group: 'generic',
    since: '2.8.0',
    args: [
      { name: 'cursor', type: 'integer' },
      { name: 'pattern', type: 'pattern', token: 'MATCH', optional: true },
      { name: 'count', type: 'integer', token: 'COUNT', optional: true },
      { name: 'type', type: 'string', token: 'TYPE', optional: true },
    ],
  },
  read: (args, kv, room) => {
    const cursor = args[1]!.toString('latin1');
    let after: string | undefined;
    if (cursor !== '0') {
      after = cursors.get(cursor);
      if (after === undefined) throw new RespError('ERR', 'invalid cursor');
    }
    let match: ((k: string) => boolean) | undefined;
    let count = 10;
    let type: string | undefined;
    for (let i = 2; i < args.length; i += 2) {
      const w = word(args[i]!);
      if (i + 1 >= args.length) throw syntaxError();
      if (w === 'MATCH') match = globMatcher(args[i + 1]!.toString('latin1'));
      else if (w === 'COUNT') {
        count = intArg(args[i + 1]!);
        if (count < 1) throw syntaxError();
      } else if (w === 'TYPE') type = args[i + 1]!.toString('latin1').toLowerCase();
      else throw syntaxError();
    }
    if (type !== undefined) {
      const byName = match;
      const want = type;
      // The keys scanKeys offers are live: one without a typed value is a string.
      match = (k) => (kv.typedValue(k)?.type ?? 'string') === want && (byName === undefined || byName(k));
    }
    const page = scanKeys(kv, { after, match, limit: Infinity, visit: Math.min(count, 100_000), reader: 'SCAN' });
    return array([bulk(page.next === undefined ? '0' : saveCursor(page.next)), keysReply(page.keys, room)]);
  },
};

export const KEYSPACE_COMMANDS: readonly Command[] = [keys, scan];
