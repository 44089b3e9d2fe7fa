// The seed READMEs' command lines, as cac is given them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeArgv } from '../../src/cli-argv.js';

const n = (line: string): string => normalizeArgv(line.split(' ').filter(Boolean)).join(' ');

test("hraftd's command line runs the node command with raftkv's option names", () => {
  assert.equal(n('-id node1 -haddr localhost:11001 -raddr localhost:12001 -join :11000 ~/node1'), 'node --id node1 --http localhost:11001 --raft localhost:12001 --join :11000 ~/node1');
  assert.equal(n('-id node0 ~/node0'), 'node --id node0 ~/node0');
});

test("the hraftd fork's double-dash and -name=value forms", () => {
  assert.equal(n('--rjoin :11000 --haddr :11001'), 'node --join :11000 --http :11001');
  assert.equal(n('-haddr=:11000 -rjoin=192.168.0.1:11000 -rmem -rdir=/var/lib/x'), 'node --http=:11000 --join=192.168.0.1:11000 --inmem --dir=/var/lib/x');
});

test("raftd's one port is the HTTP port on this host", () => {
  assert.equal(n('-p 4002 -join localhost:4001 ~/node.2'), 'node --http :4002 --join localhost:4001 ~/node.2');
  assert.equal(n('node -p=4001 ~/node.1'), 'node --http :4001 ~/node.1');
  assert.equal(n('node -p 10.0.0.1:4001 d'), 'node --http 10.0.0.1:4001 d');
  assert.equal(n('bench -p 4'), 'bench -p 4');
});

test('an explicit node command is kept, with the aliases mapped', () => {
  assert.equal(n('node -id a -haddr :1 d'), 'node --id a --http :1 d');
  assert.equal(n('node --http 127.0.0.1:1 --raft 127.0.0.1:2 d'), 'node --http 127.0.0.1:1 --raft 127.0.0.1:2 d');
});

test("issue 14's TLS, token and --insecure flags in Go's spelling are raftkv's, on the node and the router", () => {
  assert.equal(n('-id a -tls-ca ca.pem -tls-cert=n.pem -tls-key n-key.pem -auth-token-file t -insecure d'), 'node --id a --tls-ca ca.pem --tls-cert=n.pem --tls-key n-key.pem --auth-token-file t --insecure d');
  assert.equal(n('router -shard s0=:1 -tls-ca ca.pem -auth-token-file t'), 'router --shard s0=:1 --tls-ca ca.pem --auth-token-file t');
});

test('other commands get double dashes only; their options are not renamed', () => {
  assert.equal(n('cluster -config c.json -fresh'), 'cluster --config c.json --fresh');
  assert.equal(n('router -shard s0=:1 -http :8080'), 'router --shard s0=:1 --http :8080');
  assert.equal(n('ctl -join x'), 'ctl --join x');
});

test('short flags, negative numbers, values and everything after -- stay as they are', () => {
  assert.equal(n('-h'), '-h');
  assert.equal(n('-v'), '-v');
  assert.equal(n('ctl delay -5'), 'ctl delay -5');
  assert.equal(n('node --id -x d'), 'node --id -x d');
  assert.equal(n('log d -- -id'), 'log d -- -id');
  assert.equal(n(''), '');
});

test('prototype names are not node options', () => {
  assert.equal(n('--constructor x'), '--constructor x');
  assert.equal(n('-toString'), '--toString');
});
