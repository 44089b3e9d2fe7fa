// `raftkv bench` arguments: defaults of quick and full runs, and refusals.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BenchOptionError, resolveBenchOptions } from '../../bench/bench-options.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

test('a full run and a quick run get their own defaults', () => {
  const full = resolveBenchOptions({ save: true, wrk: true }, 4);
  assert.equal(full.quick, false);
  assert.equal(full.seconds, 8);
  assert.equal(full.memoryKeys, 1_000_000);
  assert.equal(full.wrk, true);
  assert.equal(full.threads, 2);
  assert.equal(full.resultsDir, 'bench/results');
  const quick = resolveBenchOptions({ quick: true, save: true, wrk: true }, 2);
  assert.equal(quick.seconds, 1.5);
  assert.equal(quick.memoryKeys, 100_000);
  assert.equal(quick.wrk, false);
  assert.equal(quick.threads, 1);
  assert.ok(quick.timeLimitSeconds < full.timeLimitSeconds);
});

test('explicit values win; --no-save and --no-wrk turn things off', () => {
  const o = resolveBenchOptions({ seconds: '3', threads: '1', only: 'set1, getstale64', memoryKeys: '0', save: false, wrk: false, cpuProf: true, compare: true }, 2);
  assert.equal(o.seconds, 3);
  assert.equal(o.threads, 1);
  assert.deepEqual(o.only, ['set1', 'getstale64']);
  assert.equal(o.memoryKeys, 0);
  assert.equal(o.save, false);
  assert.equal(o.wrk, false);
  assert.equal(o.cpuProf, 'bench/profiles');
  assert.equal(o.compare, true);
});

test('unknown workloads, bad numbers and non-loopback targets are refused', () => {
  assert.throws(() => resolveBenchOptions({ only: 'set1,set2' }, 2), /unknown workload set2/);
  assert.throws(() => resolveBenchOptions({ seconds: 'soon' }, 2), BenchOptionError);
  assert.throws(() => resolveBenchOptions({ threads: '0' }, 2), /--threads must be a number >= 1/);
  assert.throws(() => resolveBenchOptions({ target: 'http://10.0.0.5:11000' }, 2), /loopback/);
  assert.throws(() => resolveBenchOptions({ target: 'nonsense' }, 2), /must be a URL/);
  assert.equal(resolveBenchOptions({ target: 'http://127.0.0.1:11000' }, 2).target, 'http://127.0.0.1:11000');
});

test('--tls for a TLS cluster of its own; --cacert and --auth-token-file for a secure --target, both or neither', () => {
  assert.equal(resolveBenchOptions({}, 2).tls, false);
  assert.equal(resolveBenchOptions({ tls: true, quick: true }, 2).tls, true);
  const secure = resolveBenchOptions({ target: 'https://127.0.0.1:11000', cacert: 'certs/ca.pem', authTokenFile: 'certs/admin.token' }, 2);
  assert.deepEqual([secure.cacert, secure.authTokenFile], ['certs/ca.pem', 'certs/admin.token']);
  assert.throws(() => resolveBenchOptions({ tls: true, target: 'http://127.0.0.1:11000' }, 2), /--tls starts a TLS cluster of its own/);
  assert.throws(() => resolveBenchOptions({ cacert: 'ca.pem', authTokenFile: 't' }, 2), /--cacert is for --target/);
  assert.throws(() => resolveBenchOptions({ target: 'https://127.0.0.1:11000' }, 2), /https URL goes with --cacert/);
  assert.throws(() => resolveBenchOptions({ target: 'http://127.0.0.1:11000', cacert: 'ca.pem', authTokenFile: 't' }, 2), /https URL goes with --cacert/);
  assert.throws(() => resolveBenchOptions({ target: 'https://127.0.0.1:11000', cacert: 'ca.pem' }, 2), /needs both --cacert and --auth-token-file/);
});

test('raftkv bench --help lists the options; a bad option value exits 1 with the reason', () => {
  const help = spawnSync(process.execPath, [CLI, 'bench', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  for (const opt of ['--quick', '--compare', '--target', '--only', '--cpu-prof', '--tls', '--cacert', '--auth-token-file']) assert.match(help.stdout, new RegExp(opt));
  const bad = spawnSync(process.execPath, [CLI, 'bench', '--only', 'nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown workload nope/);
});
