// Hostile RESP input, generated from the command table itself (so a command
// added to the table is fuzzed without anyone remembering to): every command
// and subcommand, with the right and wrong number of arguments, each argument
// drawn by its documented type with the edge cases of that type, option
// words in random case and repeated; encoded as multibulk, inline or broken
// frames, split anywhere or cut short, several in one pipeline.

import fc from 'fast-check';
import type { ArgDoc, Command } from '../../resp/command.js';
import { COMMANDS } from '../../resp/commands/index.js';
import { deliveryArb, integerTextArb, keyArb, randomCaseArb, show, valueArb, type GrammarContext, type HostileInput } from './common.js';

/** One command: its words, and a description for the report. */
export interface RespCommand {
  args: Buffer[];
  /** The command's table name (or `?` for an unknown one), for coverage counts. */
  name: string;
}

const str = (s: string): Buffer => Buffer.from(s, 'latin1');

/** The words for one documented argument, by its type. */
function argArb(ctx: GrammarContext, a: ArgDoc): fc.Arbitrary<Buffer[]> {
  const one = ((): fc.Arbitrary<Buffer[]> => {
    switch (a.type) {
      case 'key':
        return keyArb(ctx).map((k) => [k]);
      case 'string':
      case 'pattern':
        return valueArb(ctx).map((v) => [v]);
      case 'integer':
        // Mostly numbers (good and bad), sometimes a word of another type.
        return fc.oneof({ weight: 4, arbitrary: integerTextArb() }, { weight: 1, arbitrary: valueArb(ctx) }).map((v) => [v]);
      case 'pure-token':
        return randomCaseArb(a.token ?? a.name).map((t) => [str(t)]);
      case 'oneof':
        return a.args && a.args.length > 0 ? fc.oneof(...a.args.map((sub) => argArb(ctx, sub))) : fc.constant([]);
      case 'block':
        return fc.tuple(...(a.args ?? []).map((sub) => argArb(ctx, sub))).map((parts) => parts.flat());
    }
  })();
  const many = a.multiple ? fc.array(one, { minLength: 1, maxLength: 4 }).map((xs) => xs.flat()) : one;
  return a.optional ? fc.option(many, { nil: undefined }).map((x) => x ?? []) : many;
}

/** The words after the name as the doc describes them, in order. */
function documentedArgs(ctx: GrammarContext, args: readonly ArgDoc[] | undefined): fc.Arbitrary<Buffer[]> {
  if (!args || args.length === 0) return fc.constant([]);
  return fc.tuple(...args.map((a) => argArb(ctx, a))).map((parts) => parts.flat());
}

/** Every option word the doc names (SET's NX, XX, GET...), to repeat and misplace. */
function tokensOf(args: readonly ArgDoc[] | undefined): string[] {
  const out: string[] = [];
  for (const a of args ?? []) {
    if (a.token) out.push(a.token);
    out.push(...tokensOf(a.args));
  }
  return out;
}

/**
 * Extra or missing words: drop some, add filler (always prefixed, so that
 * a variadic write like DEL never names a history key), repeat option words.
 */
function mangle(ctx: GrammarContext, words: Buffer[], tokens: readonly string[]): fc.Arbitrary<Buffer[]> {
  const filler = fc.oneof(
    keyArb(ctx),
    integerTextArb().map((t) => Buffer.concat([Buffer.from(ctx.keyPrefix), t])),
    ...(tokens.length > 0 ? [fc.constantFrom(...tokens).chain(randomCaseArb).map(str)] : []),
  );
  return fc.oneof(
    fc.constant(words),
    fc.nat({ max: words.length }).map((n) => words.slice(0, n)),
    fc.array(filler, { minLength: 1, maxLength: 4 }).map((extra) => [...words, ...extra]),
    ...(tokens.length > 0 ? [fc.array(fc.constantFrom(...tokens).chain(randomCaseArb), { minLength: 2, maxLength: 4 }).map((dup) => [...words, ...dup.map(str)])] : []),
  );
}

/** One command of the table (or one of its subcommands), right or wrong. */
export function commandArb(ctx: GrammarContext, c: Command): fc.Arbitrary<RespCommand> {
  const tokens = tokensOf(c.doc.args);
  const name = randomCaseArb(c.name).map(str);
  const plain = fc.tuple(name, documentedArgs(ctx, c.doc.args)).chain(([n, args]) => mangle(ctx, args, tokens).map((rest) => [n, ...rest]));
  const subs = Object.entries(c.subcommands ?? {});
  const sub =
    subs.length === 0
      ? []
      : [
          fc
            .tuple(name, fc.constantFrom(...subs))
            .chain(([n, [subName, d]]) =>
              fc.tuple(randomCaseArb(subName).map(str), documentedArgs(ctx, d.args)).chain(([s, args]) => mangle(ctx, args, tokensOf(d.args)).map((rest) => [n, s, ...rest])),
            ),
        ];
  return fc.oneof(plain, ...sub).map((args) => ({ args, name: c.name }));
}

/** Any command of the table, or a name it does not have. */
export function anyCommandArb(ctx: GrammarContext, table: ReadonlyMap<string, Command> = COMMANDS): fc.Arbitrary<RespCommand> {
  const known = [...table.values()].map((c) => commandArb(ctx, c));
  const unknown = fc
    .tuple(fc.constantFrom('flushall', 'shutdown', 'debug', 'eval', 'keys', 'set\u0000', '', 'x'.repeat(300)), fc.array(keyArb(ctx), { maxLength: 3 }))
    .map(([n, args]): RespCommand => ({ args: [str(n), ...args], name: '?' }));
  return fc.oneof({ weight: 12, arbitrary: fc.oneof(...known) }, { weight: 1, arbitrary: unknown });
}

export function multibulk(args: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [str(`*${args.length}\r\n`)];
  for (const a of args) parts.push(str(`$${a.length}\r\n`), a, str('\r\n'));
  return Buffer.concat(parts);
}

/** Telnet style: words separated by spaces, quoted when they hold spaces (binary goes as it is: that is the point). */
export function inline(args: readonly Buffer[]): Buffer {
  const words = args.map((a) => (a.length === 0 || a.includes(0x20) ? Buffer.concat([str('"'), a, str('"')]) : a));
  const out: Buffer[] = [];
  words.forEach((w, i) => out.push(...(i > 0 ? [str(' ')] : []), w));
  return Buffer.concat([...out, str('\r\n')]);
}

/** Frames no command table can describe: broken headers, wrong type bytes, lying lengths, other protocols. */
export function brokenFrameArb(ctx: GrammarContext): fc.Arbitrary<Buffer> {
  const l = ctx.limits;
  return fc.oneof(
    fc.constantFrom(
      '*-5\r\n', '*abc\r\n', '*\r\n', '$3\r\nGET\r\n', '*1\r\n:5\r\n', '*2\r\n$3\r\nGET\r\n$-7\r\n',
      '*1\r\n$99999999999999999999\r\n', '*1\r\n$-1\r\n', '*9223372036854775807\r\n', `*${l.maxArgs + 1}\r\n`,
      `*1\r\n$${l.maxCommandBytes + 1}\r\n`, `*2\r\n$3\r\nGET\r\n$${l.maxKeyBytes + 1}\r\n`, '*1\r\n$3\r\nPINGXX', '*1\r\n$4\nPING\n',
      `*1\r\n${'$'.repeat(100)}\r\n`, `*${'9'.repeat(200)}\r\n`, '\r\n\r\n\r\n', '"unterminated quote\r\n', 'SET "a\\xzz" b\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /key HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}',
    ).map(str),
    // A header that never ends, past the inline limit.
    fc.constant(Buffer.alloc(l.maxInlineBytes + 1, 'a')),
    fc.constant(Buffer.concat([str('*1\r\n$'), Buffer.alloc(200, '9')])),
    // A peer-port frame (length prefix, msgpack) on the RESP port.
    fc.constant(Buffer.from([0, 0, 0, 5, 0x93, 0xa6, 0x72, 0x61, 0x66])),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
  );
}

/** One command in one encoding. */
function encodedArb(ctx: GrammarContext, table: ReadonlyMap<string, Command>): fc.Arbitrary<{ bytes: Buffer; label: string; name: string }> {
  return fc.oneof(
    { weight: 6, arbitrary: anyCommandArb(ctx, table).map((c) => ({ bytes: multibulk(c.args), label: c.args.map((a) => show(a, 24)).join(' '), name: c.name })) },
    { weight: 2, arbitrary: anyCommandArb(ctx, table).map((c) => ({ bytes: inline(c.args), label: `inline ${c.args.map((a) => show(a, 24)).join(' ')}`, name: c.name })) },
    { weight: 1, arbitrary: brokenFrameArb(ctx).map((b) => ({ bytes: b, label: `raw ${show(b, 40)}`, name: '!' })) },
  );
}

/** A pipeline of 1-6 commands, delivered whole, split or cut short. */
export function respInputArb(ctx: GrammarContext, table: ReadonlyMap<string, Command> = COMMANDS): fc.Arbitrary<HostileInput & { names: string[] }> {
  return fc.array(encodedArb(ctx, table), { minLength: 1, maxLength: 6 }).chain((cmds) => {
    const whole = Buffer.concat(cmds.map((c) => c.bytes));
    return deliveryArb(whole).map(({ how, chunks }) => ({
      listener: 'resp' as const,
      label: `resp ${how}: ${cmds.map((c) => c.label).join(' | ')}`,
      chunks,
      names: cmds.map((c) => c.name),
    }));
  });
}
