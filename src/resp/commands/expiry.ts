// Key expiry over RESP: EXPIRE and its kin, TTL and its kin, PERSIST, GETEX,
// SETEX, PSETEX, and the EX/PX/EXAT/PXAT/KEEPTTL options of SET. Relative
// times travel as they are and become deadlines from the leader's stamp on
// the entry (src/node/expiry.ts); the state machine decides the rest.

import { checkResult } from '../../api/kv-rules.js';
import type { KvView } from '../../api/front.js';
import type { KvCommand, KvResult, Ttl } from '../../node/kv-state.js';
import { RespError } from '../errors-resp.js';
import { NIL, OK, bulk, integer } from '../encoder.js';
import { intArg, keyRead, keyWrite, syntaxError, valueArg, word, type ArgDoc, type Command, type WriteCommand } from '../command.js';

/** Redis's limit: a deadline in milliseconds must stay a safe number. */
const MAX_MS = 2 ** 50;

function invalidExpire(command: string): RespError {
  return new RespError('ERR', `invalid expire time in '${command}' command`);
}

/** A TTL from an EX/PX/EXAT/PXAT word and its number; `positive`: SET and GETEX refuse 0 and below. */
export function ttlArg(unit: string, arg: Buffer, command: string, positive: boolean): Ttl {
  const n = intArg(arg);
  const ms = unit === 'EX' || unit === 'EXAT' ? n * 1000 : n;
  if ((positive && n <= 0) || !Number.isSafeInteger(ms) || Math.abs(ms) > MAX_MS) throw invalidExpire(command);
  return unit === 'EXAT' || unit === 'PXAT' ? { at: ms } : { in: ms };
}

const TTL_WORDS = new Set(['EX', 'PX', 'EXAT', 'PXAT']);

/** The documented forms of an expiry option (SET, GETEX): EX s | PX ms | EXAT t | PXAT t. */
export const TTL_ARG_DOCS: readonly ArgDoc[] = [...TTL_WORDS].map((t) => ({ name: t.toLowerCase(), type: 'integer', token: t }));

/** SET's expiry options (EX, PX, EXAT, PXAT, KEEPTTL) at args[i]; how many words they took (0: not one). */
export function setExpiryOption(args: Buffer[], i: number, into: { ttl?: Ttl; keepttl?: boolean }, command: string): number {
  const w = word(args[i]!);
  if (TTL_WORDS.has(w)) {
    if (into.ttl !== undefined || into.keepttl || i + 1 >= args.length) throw syntaxError();
    into.ttl = ttlArg(w, args[i + 1]!, command, true);
    return 2;
  }
  if (w === 'KEEPTTL') {
    if (into.ttl !== undefined || into.keepttl) throw syntaxError();
    into.keepttl = true;
    return 1;
  }
  return 0;
}

const count = (r: KvResult): number => {
  const ok = checkResult(r);
  return 'count' in ok ? ok.count : 0;
};

/** EXPIRE's NX | XX | GT | LT. */
const EXPIRE_CONDITION: ArgDoc = {
  name: 'condition',
  type: 'oneof',
  optional: true,
  args: ['NX', 'XX', 'GT', 'LT'].map((t) => ({ name: t.toLowerCase(), type: 'pure-token' as const, token: t })),
};

function expireCommand(name: string, unit: 'EX' | 'PX' | 'EXAT' | 'PXAT', summary: string): WriteCommand {
  const after: ArgDoc[] = [{ name: unit === 'EX' || unit === 'EXAT' ? 'seconds' : 'milliseconds', type: 'integer' }, EXPIRE_CONDITION];
  return keyWrite(
    name,
    -3,
    ['write', 'fast'],
    { summary, group: 'generic', since: '1.0.0', after },
    (key, args): KvCommand => {
      const ttl = ttlArg(unit, args[2]!, name, false);
      let cond: 'nx' | 'xx' | 'gt' | 'lt' | undefined;
      for (let i = 3; i < args.length; i++) {
        const w = word(args[i]!);
        if (w !== 'NX' && w !== 'XX' && w !== 'GT' && w !== 'LT') throw new RespError('ERR', `Unsupported option ${args[i]!.toString('utf8').slice(0, 64)}`);
        if (cond !== undefined && cond !== w.toLowerCase()) {
          throw new RespError('ERR', cond === 'nx' || w === 'NX' ? 'NX and XX, GT or LT options at the same time are not compatible' : 'GT and LT options at the same time are not compatible');
        }
        cond = w.toLowerCase() as typeof cond;
      }
      return { op: 'expire', key, ttl, ...(cond ? { cond } : {}) };
    },
    (r) => integer(count(r)),
  );
}

function ttlRead(name: string, summary: string, f: (kv: KvView, key: string) => number): Command {
  return keyRead(name, { summary, group: 'generic', since: '1.0.0' }, (kv, key) => integer(f(kv, key)));
}

/** Redis rounds TTL to the nearest second. */
const seconds = (ms: number): number => (ms < 0 ? ms : Math.round(ms / 1000));

const ttl = ttlRead('ttl', 'Returns the seconds a key has left to live (-1: no expiry, -2: no key).', (kv, k) => seconds(kv.pttl(k)));
const pttl = ttlRead('pttl', 'Returns the milliseconds a key has left to live (-1: no expiry, -2: no key).', (kv, k) => kv.pttl(k));
const expiretime = ttlRead('expiretime', 'Returns the Unix time (seconds) at which a key expires (-1: no expiry, -2: no key).', (kv, k) => {
  const at = kv.deadline(k);
  return at < 0 ? at : Math.floor(at / 1000);
});
const pexpiretime = ttlRead('pexpiretime', 'Returns the Unix time (milliseconds) at which a key expires (-1: no expiry, -2: no key).', (kv, k) => kv.deadline(k));

const persist = keyWrite(
  'persist',
  2,
  ['write', 'fast'],
  { summary: "Removes a key's expiry; 1 if it had one.", group: 'generic', since: '2.2.0' },
  (key) => ({ op: 'persist', key }),
  (r) => integer(count(r)),
);

const getex = keyWrite(
  'getex',
  -2,
  ['write', 'fast'],
  {
    summary: "Returns a key's value and sets its expiry (EX, PX, EXAT, PXAT) or removes it (PERSIST).",
    group: 'string',
    since: '6.2.0',
    after: [{ name: 'expiration', type: 'oneof', optional: true, args: [...TTL_ARG_DOCS, { name: 'persist', type: 'pure-token', token: 'PERSIST' }] }],
  },
  (key, args): KvCommand => {
    if (args.length === 2) return { op: 'getex', key };
    const w = word(args[2]!);
    if (w === 'PERSIST' && args.length === 3) return { op: 'getex', key, persist: true };
    if (TTL_WORDS.has(w) && args.length === 4) return { op: 'getex', key, ttl: ttlArg(w, args[3]!, 'getex', true) };
    throw syntaxError();
  },
  (r) => {
    const ok = checkResult(r);
    return 'value' in ok ? bulk(ok.value) : NIL;
  },
);

function setexCommand(name: string, unit: 'EX' | 'PX'): WriteCommand {
  const time = unit === 'EX' ? 'seconds' : 'milliseconds';
  return keyWrite(
    name,
    4,
    ['write', 'denyoom'],
    { summary: `Sets a key's value and its time to live in ${time}.`, group: 'string', since: unit === 'EX' ? '2.0.0' : '2.6.0', after: [{ name: time, type: 'integer' }, { name: 'value', type: 'string' }] },
    (key, args) => ({ op: 'set', kv: [[key, valueArg(args[3]!)]], ttl: ttlArg(unit, args[2]!, name, true) }),
    (r) => (checkResult(r), OK),
  );
}

export const EXPIRY_COMMANDS: readonly Command[] = [
  expireCommand('expire', 'EX', 'Sets the time to live of a key in seconds (NX: only without one, XX: only with one, GT/LT: only a later/earlier one).'),
  expireCommand('pexpire', 'PX', 'Sets the time to live of a key in milliseconds.'),
  expireCommand('expireat', 'EXAT', 'Sets the Unix time (seconds) at which a key expires.'),
  expireCommand('pexpireat', 'PXAT', 'Sets the Unix time (milliseconds) at which a key expires.'),
  ttl,
  pttl,
  expiretime,
  pexpiretime,
  persist,
  getex,
  setexCommand('setex', 'EX'),
  setexCommand('psetex', 'PX'),
];
