// The load generator's HTTP/1.1 response parser: every case runs on the
// whole input at once and again byte by byte.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpProtocolError, HttpResponseParser, type ResponseHead } from '../../bench/load/http-response-parser.js';

function parse(input: string, byteByByte: boolean): ResponseHead[] {
  const p = new HttpResponseParser();
  const heads: ResponseHead[] = [];
  const bytes = Buffer.from(input, 'latin1');
  if (byteByByte) for (let i = 0; i < bytes.length; i++) p.push(bytes.subarray(i, i + 1), (h) => heads.push(h));
  else p.push(bytes, (h) => heads.push(h));
  return heads;
}

const cases: [string, string, ResponseHead[]][] = [
  ['Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: application/json\r\n\r\n{"ok":true}', [{ status: 200, close: false }]],
  [
    'two pipelined responses, the second a 404',
    'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 404 Not Found\r\ncontent-length: 13\r\n\r\n{"error":"x"}',
    [{ status: 200, close: false }, { status: 404, close: false }],
  ],
  ['chunked with an extension and a trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=1\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Trailer: 1\r\n\r\n', [{ status: 200, close: false }]],
  ['no body (204), then Connection: close', 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', [{ status: 204, close: false }, { status: 503, close: true }]],
];

for (const [name, input, expected] of cases) {
  test(`HTTP response parser: ${name}`, () => {
    assert.deepEqual(parse(input, false), expected);
    assert.deepEqual(parse(input, true), expected);
  });
}

test('HTTP response parser: waits for the rest of a body and keeps nothing afterwards', () => {
  const p = new HttpResponseParser();
  const heads: ResponseHead[] = [];
  p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'), (h) => heads.push(h));
  assert.equal(heads.length, 0);
  assert.ok(p.pendingBytes > 0);
  p.push(Buffer.from('cde'), (h) => heads.push(h));
  assert.equal(heads.length, 1);
  assert.equal(p.pendingBytes, 0);
});

test('HTTP response parser: bytes that are not HTTP are refused', () => {
  assert.throws(() => parse('+OK\r\n\r\n', false), HttpProtocolError);
});
