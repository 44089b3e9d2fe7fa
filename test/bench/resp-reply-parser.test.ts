// The load generator's RESP reply counter: whole input and byte by byte.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RespReplyParser } from '../../bench/load/resp-reply-parser.js';
import { RespProtocolError } from '../../src/resp/parser.js';

function replies(input: string, byteByByte: boolean): string[] {
  const p = new RespReplyParser();
  const out: string[] = [];
  const bytes = Buffer.from(input, 'utf8');
  const on = (isError: boolean, line: string): void => void out.push(isError ? `error:${line}` : 'ok');
  if (byteByByte) for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1), on);
  else p.push(bytes, on);
  return out;
}

test('RESP replies: simple, error, integer, bulk, null bulk and nested arrays each count once', () => {
  const input = '+OK\r\n-ERR no leader\r\n:42\r\n$5\r\nhel\r\n\r\n$-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n+PONG\r\n';
  const expected = ['ok', 'error:ERR no leader', 'ok', 'ok', 'ok', 'ok', 'ok'];
  assert.deepEqual(replies(input, false), expected);
  assert.deepEqual(replies(input, true), expected);
});

test('RESP replies: an unknown type byte is a protocol error', () => {
  assert.throws(() => replies('HTTP/1.1 200 OK\r\n', false), RespProtocolError);
});
