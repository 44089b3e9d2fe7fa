// Addresses as raftkv writes them: "host:port", "[v6]:port", ":port".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bareHost, hostOf, isLoopbackHost, portOf, splitHostPort, withPort } from '../../src/common/address.js';
import { parseHostPort } from '../../src/transport/address.js';

test('an address is cut at its last colon; an IPv6 host keeps its brackets until asked for bare', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:11000'), { host: '127.0.0.1', port: '11000' });
  assert.deepEqual(splitHostPort('[::1]:6379'), { host: '[::1]', port: '6379' });
  assert.deepEqual(splitHostPort(':11000'), { host: '', port: '11000' });
  assert.deepEqual(splitHostPort('example.com'), { host: 'example.com', port: '' });
  assert.equal(hostOf('[::1]:6379'), '[::1]');
  assert.equal(bareHost('[::1]:6379'), '::1');
  assert.equal(portOf('10.0.0.1:11000'), 11000);
  assert.ok(Number.isNaN(portOf('example.com')));
});

test('withPort keeps the host as written, brackets and host-less ":port" included', () => {
  assert.equal(withPort('127.0.0.1:0', 43123), '127.0.0.1:43123');
  assert.equal(withPort('[::1]:0', 43123), '[::1]:43123');
  assert.equal(withPort(':11000', 12000), ':12000');
});

test('loopback: 127/8, ::1 in its spellings, localhost; not 0.0.0.0, ::, or a mapped non-loopback', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', 'LOCALHOST', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '[::1]', 'example.com', '::ffff:10.0.0.1', '']) assert.ok(!isLoopbackHost(h), h);
});

test("a listener's address is checked: a host, and a port of 0-65535", () => {
  assert.deepEqual(parseHostPort('[::1]:0'), { host: '::1', port: 0 });
  for (const bad of [':11000', '127.0.0.1', '127.0.0.1:', '127.0.0.1:65536', '127.0.0.1:1e3', '[]:80']) assert.throws(() => parseHostPort(bad), { code: 'RAFTKV_ERR_BAD_ADDRESS' }, bad);
});
