// What every hostile grammar shares: the shape of one input (bytes written to
// a fresh connection, in chunks, so that frames arrive split), the edge-case
// keys and values at and past the configured limits, and the key prefix that
// keeps hostile writes away from the history clients' keys (k0, k1, ... and
// the writers' w<id>-<n>): a hostile write to a history key would be a write
// the checker never saw, and every verdict would be meaningless.

import fc from 'fast-check';
import type { Limits } from '../../common/limits.js';

export type Listener = 'resp' | 'http' | 'peer' | 'control';

export interface HostileInput {
  /** Which kind of listener it is meant for (it may be sent elsewhere on purpose: cross-protocol). */
  listener: Listener;
  /** A short human description, for the report of what broke a node. */
  label: string;
  /** Written one after the other, with a pause between, so the server sees split frames. */
  chunks: Buffer[];
}

export interface GrammarContext {
  limits: Limits;
  /** Largest HTTP body (the config's maxBodyBytes). */
  maxBodyBytes: number;
  /** Every key a hostile input may write starts with it (or is refused: empty, NUL-prefixed, over-long). */
  keyPrefix: string;
}

export const HOSTILE_PREFIX = 'hostile~';

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

/** `n` bytes: the prefix, then filler. */
export function sized(prefix: string, n: number, fill = 'x'): Buffer {
  const p = Buffer.from(prefix);
  if (n <= p.length) return p.subarray(0, n);
  return Buffer.concat([p, Buffer.alloc(n - p.length, fill)]);
}

/**
 * A key: plain, empty, exactly at and one past maxKeyBytes (in bytes, also
 * with multi-byte characters, where characters and bytes differ), binary,
 * NUL-prefixed (reserved for the node's own keys), invalid UTF-8.
 */
export function keyArb(ctx: GrammarContext): fc.Arbitrary<Buffer> {
  const p = ctx.keyPrefix;
  const max = ctx.limits.maxKeyBytes;
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 12 }).map((s) => Buffer.from(p + s)) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: fc.constantFrom(max, max + 1).map((n) => sized(p, n)) },
    // 'é' is two bytes: about max/2 characters, but max+1 bytes.
    { weight: 1, arbitrary: fc.constant(Buffer.concat([Buffer.from(p), Buffer.from('é'.repeat(Math.ceil((max + 1 - p.length) / 2)))])) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.concat([Buffer.from(p), b])) },
    { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => Buffer.from(`\u0000${p}${s}`)) },
    { weight: 1, arbitrary: fc.constant(Buffer.concat([Buffer.from(p), Buffer.from([0xc3, 0x28, 0xff, 0xfe])])) },
  );
}

/** A value: plain, empty, at and one past maxValueBytes, binary, NUL bytes. */
export function valueArb(ctx: GrammarContext): fc.Arbitrary<Buffer> {
  const max = ctx.limits.maxValueBytes;
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 24 }).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
    { weight: 1, arbitrary: fc.constantFrom(max, max + 1).map((n) => sized('v', n)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from('\u0000\u0000v\r\n$3\r\n', 'latin1')) },
  );
}

/** Integer texts Redis accepts and refuses: negative, past int64, floats, hex, blanks. */
export function integerTextArb(): fc.Arbitrary<Buffer> {
  return fc
    .oneof(
      fc.integer({ min: -1000, max: 1000 }).map(String),
      fc.constantFrom(
        '0', '-0', '+1', ' 1', '1 ', '', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '-Infinity', 'abc',
        '9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809',
        '99999999999999999999999999', '9007199254740993', '-9007199254740993', '00001', '\u00001',
      ),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    )
    .map(latin1);
}

/** A word in random case: option tokens and command names must be matched case-insensitively. */
export function randomCaseArb(word: string): fc.Arbitrary<string> {
  return fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((ups) =>
    [...word].map((ch, i) => (ups[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''),
  );
}

/** Cut `whole` into 1..5 chunks at random places (a frame split anywhere must be read the same). */
export function splitArb(whole: Buffer): fc.Arbitrary<Buffer[]> {
  if (whole.length < 2) return fc.constant([whole]);
  return fc.uniqueArray(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 4 }).map((cuts) => {
    const at = [0, ...cuts.sort((a, b) => a - b), whole.length];
    const out: Buffer[] = [];
    for (let i = 1; i < at.length; i++) out.push(whole.subarray(at[i - 1]!, at[i]!));
    return out;
  });
}

/** How the whole input goes out: at once, split at random places, or cut short (the connection then closes mid-frame). */
export interface Delivery {
  how: 'whole' | 'split' | 'truncated';
  chunks: Buffer[];
}

export function deliveryArb(whole: Buffer): fc.Arbitrary<Delivery> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<Delivery>({ how: 'whole', chunks: [whole] }) },
    { weight: 3, arbitrary: splitArb(whole).map((chunks): Delivery => ({ how: 'split', chunks })) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 0, max: Math.max(0, whole.length - 1) }).map((n): Delivery => ({ how: 'truncated', chunks: [whole.subarray(0, n)] })),
    },
  );
}

/** A label-friendly rendering of some bytes: printable text as is, the rest escaped, long runs shortened. */
export function show(b: Buffer | string, max = 60): string {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  if (buf.length > max) return `${show(buf.subarray(0, Math.min(24, max)), max)}...<${buf.length} B>`;
  return JSON.stringify(buf.toString('latin1')).slice(1, -1);
}
