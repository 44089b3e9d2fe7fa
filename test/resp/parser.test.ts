// The RESP request parser. Every case runs twice: on the whole input at once
// and fed one byte at a time, and must give the same commands and error.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RespParser, splitInlineArgs } from '../../src/resp/parser.js';
import { frame } from '../helpers/resp-client.js';

interface Outcome {
  commands: string[][];
  error?: string;
  idle: boolean;
}

function feedAll(chunks: Buffer[], maxBulkBytes: number): Outcome {
  const p = new RespParser({ maxBulkBytes, maxInlineBytes: 64, maxArgs: 8, maxCommandBytes: 2048 });
  const commands: string[][] = [];
  let error: string | undefined;
  for (const c of chunks) {
    const r = p.feed(c);
    commands.push(...r.commands.map((cmd) => cmd.map((a) => a.toString('latin1'))));
    if (r.error) {
      error = r.error.message;
      break;
    }
  }
  return { commands, error, idle: p.idle };
}

/** Run the same expectation on the whole input and byte by byte. */
function both(name: string, input: Buffer | string, expected: { commands: string[][]; error?: RegExp; idle?: boolean }, maxBulkBytes = 1024): void {
  const buf = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  for (const [mode, chunks] of [
    ['whole', [buf]],
    ['byte by byte', [...buf].map((b) => Buffer.from([b]))],
  ] as const) {
    test(`${name} (${mode})`, () => {
      const out = feedAll(chunks as Buffer[], maxBulkBytes);
      assert.deepEqual(out.commands, expected.commands);
      if (expected.error) assert.match(out.error ?? '(no error)', expected.error);
      else assert.equal(out.error, undefined);
      if (expected.idle !== undefined) assert.equal(out.idle, expected.idle);
    });
  }
}

describe('RESP parser: valid input', () => {
  both('one multibulk command', '*2\r\n$3\r\nGET\r\n$4\r\nkey1\r\n', { commands: [['GET', 'key1']], idle: true });
  both('a pipeline of several commands', Buffer.concat([frame('SET', 'a', '1'), frame('GET', 'a'), frame('PING')]), { commands: [['SET', 'a', '1'], ['GET', 'a'], ['PING']] });
  both('an empty bulk string', '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n', { commands: [['SET', 'k', '']] });
  both('binary-safe bulk strings (CR, LF, NUL and high bytes inside)', frame('SET', Buffer.from([0, 13, 10, 255]), Buffer.from('\r\n*1\r\n')), {
    commands: [['SET', '\u0000\r\n\u00ff', '\r\n*1\r\n']],
  });
  both('*0 and *-1 are read and ignored', '*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n', { commands: [['PING']] });
  both('inline commands, CRLF or LF, blank lines ignored', 'PING\r\n\r\nset a b\n  get   a  \r\n', { commands: [['PING'], ['set', 'a', 'b'], ['get', 'a']] });
  both('inline quoting as redis-cli: escapes, hex, single quotes', `set "a b" "x\\x41\\n" 'it\\'s'\r\n`, { commands: [['set', 'a b', 'xA\n', "it's"]] });
  both('inline and multibulk mixed', Buffer.concat([Buffer.from('PING\r\n'), frame('ECHO', 'hi'), Buffer.from('QUIT\r\n')]), { commands: [['PING'], ['ECHO', 'hi'], ['QUIT']] });
  both('an incomplete frame waits for more', '*2\r\n$3\r\nGET\r\n$4\r\nke', { commands: [], idle: false });
  both('a bulk string as large as the limit', frame('SET', 'k', 'x'.repeat(1024)), { commands: [['SET', 'k', 'x'.repeat(1024)]] });
});

describe('RESP parser: malformed frames', () => {
  both('a non-numeric multibulk count', '*abc\r\n', { commands: [], error: /Protocol error: invalid multibulk length/ });
  both('a negative multibulk count other than -1', '*-5\r\n', { commands: [], error: /invalid multibulk length/ });
  both('a multibulk count over the limit', '*99999999\r\n', { commands: [], error: /invalid multibulk length/ });
  both('a negative bulk length', '*1\r\n$-1\r\n', { commands: [], error: /invalid bulk length/ });
  both('a non-numeric bulk length', '*1\r\n$x3\r\nGET\r\n', { commands: [], error: /invalid bulk length/ });
  both('a bulk string declared larger than the limit', '*2\r\n$3\r\nGET\r\n$1025\r\n', { commands: [], error: /invalid bulk length/ });
  both('a bulk string longer than declared (wrong length)', '*1\r\n$2\r\nGET\r\n', { commands: [], error: /expected CRLF after a bulk string/ });
  both('a bulk string with its CRLF missing', '*1\r\n$3\r\nGETxx', { commands: [], error: /expected CRLF/ });
  both('fewer elements than declared, then something that is not a bulk string', '*3\r\n$3\r\nSET\r\n:1\r\n', { commands: [], error: /expected '\$', got ':'/ });
  both('a header line ended by CR without LF', '*1\rX', { commands: [], error: /expected '\\n' after '\\r'/ });
  both('a header with no CRLF at all', `*${'1'.repeat(80)}`, { commands: [], error: /too big mbulk count string/ });
  both('unbalanced quotes in an inline command', 'set "a b\r\n', { commands: [], error: /unbalanced quotes/ });
  both('a closing quote not followed by a blank', 'set "a"b c\r\n', { commands: [], error: /unbalanced quotes/ });
  both('an inline line over the limit', 'x'.repeat(100), { commands: [], error: /too big inline request/ });
  both('more arguments than maxArgs', frame('DEL', ...'abcdefgh'), { commands: [], error: /invalid multibulk length: 9 arguments exceed the limit of 8/ });
  both('a command whose arguments pass maxCommandBytes, each within the bulk limit', Buffer.concat([frame('PING'), frame('MSET', 'a', 'x'.repeat(1100), 'b', 'y'.repeat(1100))]), {
    commands: [['PING']],
    error: /command of 2206 bytes exceeds the limit of 2048 bytes/,
  }, 4096);
  both('commands before the error are still returned', Buffer.concat([frame('PING'), Buffer.from('*1\r\n$z\r\n')]), { commands: [['PING']], error: /invalid bulk length/ });

  test('after an error the parser reads nothing more', () => {
    const p = new RespParser({ maxBulkBytes: 16 });
    assert.ok(p.feed(Buffer.from('*x\r\n')).error);
    assert.deepEqual(p.feed(frame('PING')), { commands: [] });
  });
});

test('inline splitting matches sdssplitargs on edge cases', () => {
  const split = (s: string): string[] | undefined => splitInlineArgs(Buffer.from(s, 'latin1'))?.map((b) => b.toString('latin1'));
  assert.deepEqual(split(''), []);
  assert.deepEqual(split('   '), []);
  assert.deepEqual(split('""'), ['']);
  assert.deepEqual(split('"\\"q\\""'), ['"q"']);
  assert.deepEqual(split('"\\t\\r\\a\\b"'), ['\t\r\u0007\b']);
  assert.deepEqual(split('"\\xZZ"'), ['xZZ']);
  assert.equal(split("'abc"), undefined);
});
