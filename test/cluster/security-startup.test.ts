// What is refused before anything listens: a non-loopback address without
// TLS and authentication (config and `raftkv node` flags; --insecure allows
// it, with a warning), and certificates that expired, were issued by another
// CA, or do not name the address they serve. Plus `raftkv certs`.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError, parseClusterConfig } from '../../src/cluster/config.js';
import { loadClusterSecurity } from '../../src/cluster/security-setup.js';
import { Authenticator, loadAuthTable } from '../../src/security/auth.js';
import { issueLeaf, makeCa } from '../../src/security/dev-certs.js';
import { isLoopbackHost as isLoopback } from '../../src/common/address.js';
import { TlsSetupError, checkTlsMaterial } from '../../src/security/tls-material.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../../src/cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-secstart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const nodes = (host: string) => [{ id: 'n0', http: `${host}:11000`, raft: `${host}:12000`, resp: `${host}:6389` }];

test('loopback is 127.0.0.0/8, ::1 and localhost; 0.0.0.0 and :: are not', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopback(h), h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '::ffff:10.0.0.1']) assert.ok(!isLoopback(h), h);
});

test('a config listening beyond loopback without TLS and auth is refused, saying how to fix it; "insecure": true allows it with a warning', () => {
  assert.throws(
    () => parseClusterConfig({ nodes: nodes('0.0.0.0') }, 'c.json'),
    (e: unknown) => e instanceof ConfigError && /refusing to listen on 0\.0\.0\.0:11000 \(nodes\.0\.http\).*without TLS and authentication/.test(e.message) && /raftkv certs DIR/.test(e.message) && /"insecure": true/.test(e.message),
  );
  assert.throws(() => parseClusterConfig({ control: '10.1.1.1:10999', nodes: nodes('127.0.0.1') }, 'c.json'), /10\.1\.1\.1:10999 \(control\)/);
  // TLS alone is not enough: the HTTP port would still serve anyone.
  assert.throws(() => parseClusterConfig({ nodes: nodes('0.0.0.0'), tls: { ca: 'a', cert: 'b', key: 'c' } }, 'c.json'), /without authentication/);
  const ok = parseClusterConfig({ nodes: nodes('0.0.0.0'), tls: { ca: 'a', cert: 'b', key: 'c' }, auth: { tokenFile: 't' } }, 'c.json');
  assert.deepEqual(ok.warnings, []);
  const open = parseClusterConfig({ nodes: nodes('0.0.0.0'), insecure: true }, 'c.json');
  assert.match(open.warnings.join('\n'), /INSECURE: 0\.0\.0\.0:11000 \(nodes\.0\.http\).* without TLS and authentication/);
  assert.deepEqual(parseClusterConfig({ nodes: nodes('127.0.0.1') }, 'c.json').warnings, [], 'loopback needs nothing');
});

test('raftkv node beyond loopback without --tls-* and --auth-token-file is refused before it listens', async () => {
  const r = await run(process.execPath, [CLI, 'node', '--id', 'n0', '--http', '0.0.0.0:0', '--raft', '127.0.0.1:0', '--inmem']).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0:0 \(--http\) without TLS and authentication.*--tls-ca\/--tls-cert\/--tls-key and --auth-token-file.*--insecure/);
});

test('certificates: expired, not yet valid, of another CA, not naming the address, or not matching the key, each refused with the file and the fix', async () => {
  const ca = await makeCa();
  const other = await makeCa();
  const names = { ca: 'certs/ca.pem', cert: 'certs/n0.pem', key: 'certs/n0-key.pem' };
  const hosts = [{ host: '127.0.0.1', where: 'n0.http' }];
  const check = (leaf: { cert: string; key: string }, caPem = ca.pem): void => checkTlsMaterial({ ca: caPem, ...leaf }, names, hosts);
  const good = await issueLeaf(ca, { name: 'n0', hosts: ['127.0.0.1'], usage: 'server' });
  check(good);
  const day = 24 * 3600 * 1000;
  const expired = await issueLeaf(ca, { name: 'n0', hosts: ['127.0.0.1'], usage: 'server', notBefore: new Date(Date.now() - 10 * day), notAfter: new Date(Date.now() - day) });
  assert.throws(() => check(expired), (e: unknown) => e instanceof TlsSetupError && /tls\.cert: certs\/n0\.pem expired on .*raftkv certs DIR/.test(e.message));
  const future = await issueLeaf(ca, { name: 'n0', hosts: ['127.0.0.1'], usage: 'server', notBefore: new Date(Date.now() + day), notAfter: new Date(Date.now() + 10 * day) });
  assert.throws(() => check(future), /is not valid before/);
  const foreign = await issueLeaf(other, { name: 'n0', hosts: ['127.0.0.1'], usage: 'server' });
  assert.throws(() => check(foreign), /was not issued by the CA in certs\/ca\.pem/);
  const wrongSan = await issueLeaf(ca, { name: 'n0', hosts: ['10.9.9.9', 'db.example'], usage: 'server' });
  assert.throws(() => check(wrongSan), /certs\/n0\.pem is not valid for 127\.0\.0\.1 \(n0\.http binds it\); its names are IP Address:10\.9\.9\.9, DNS:db\.example/);
  assert.throws(() => check({ cert: good.cert, key: wrongSan.key }), /certs\/n0-key\.pem is not the key of certs\/n0\.pem/);
  assert.throws(() => check(good, good.cert), /is not a CA certificate/);
});

test('a cluster config whose node certificate names the wrong address is refused at load, naming the node', async () => {
  const ca = await makeCa();
  const leaf = await issueLeaf(ca, { name: 'launcher', hosts: ['127.0.0.1'], usage: 'server' });
  const n1 = await issueLeaf(ca, { name: 'n1', hosts: ['10.2.2.2'], usage: 'server' });
  const files: Record<string, string> = { 'ca.pem': ca.pem, 'l.pem': leaf.cert, 'l-key.pem': leaf.key, 'n1.pem': n1.cert, 'n1-key.pem': n1.key, 'admin.token': 'a-token-of-enough-length\n' };
  for (const [f, t] of Object.entries(files)) writeFileSync(path.join(dir, f), t);
  const { config } = parseClusterConfig(
    {
      tls: { ca: 'ca.pem', cert: 'l.pem', key: 'l-key.pem' },
      auth: { tokenFile: 'admin.token' },
      nodes: [...nodes('127.0.0.1'), { id: 'n1', http: '127.0.0.1:11001', raft: '127.0.0.1:12001', tls: { cert: 'n1.pem', key: 'n1-key.pem' } }],
    },
    'c.json',
  );
  assert.throws(() => loadClusterSecurity(config, dir), /^TlsSetupError: n1: tls\.cert: n1\.pem is not valid for 127\.0\.0\.1 \(n1\.http binds it\)/);
  const missing = parseClusterConfig({ tls: { ca: 'ca.pem', cert: 'l.pem', key: 'nope.pem' }, nodes: nodes('127.0.0.1') }, 'c.json').config;
  assert.throws(() => loadClusterSecurity(missing, dir), /tls\.key: cannot read .*nope\.pem: ENOENT/);
});

test('tokens: compared by digest, per user, a short one refused; the token never appears in a message', async () => {
  writeFileSync(path.join(dir, 'short.token'), 'short\n');
  assert.throws(() => loadAuthTable({ tokenFile: 'short.token' }, dir), /at least 16 characters/);
  writeFileSync(path.join(dir, 'admin2.token'), 'admin-token-0123456789\n');
  writeFileSync(path.join(dir, 'ro2.token'), 'ro-token-0123456789xx\n');
  const table = loadAuthTable({ tokenFile: 'admin2.token', users: [{ name: 'ro', role: 'readonly', tokenFile: 'ro2.token' }] }, dir);
  assert.ok(!JSON.stringify(table).includes('admin-token-0123456789'), 'only digests are kept');
  const a = new Authenticator(table);
  assert.deepEqual(a.login('admin-token-0123456789'), { user: 'default', role: 'admin' });
  assert.deepEqual(a.login('ro-token-0123456789xx', 'ro'), { user: 'ro', role: 'readonly' });
  assert.equal(a.login('ro-token-0123456789xx', 'default'), undefined);
  assert.equal(a.login('admin-token-012345678'), undefined);
  assert.deepEqual(a.fromHeader(''), { missing: true });
  assert.deepEqual(a.fromHeader('Bearer nope'), { wrong: true });
  assert.deepEqual(a.fromHeader('bearer admin-token-0123456789'), { principal: { user: 'default', role: 'admin' } });
});

test('raftkv certs DIR: a CA, a certificate per node naming its addresses, the launcher\'s, a client certificate and an admin token (secrets 0600); a second run keeps them', async () => {
  const out = path.join(dir, 'made');
  const cfg = path.join(dir, 'three.json');
  writeFileSync(cfg, JSON.stringify({ control: '127.0.0.1:10999', nodes: [{ id: 'a', http: '127.0.0.1:1', raft: 'localhost:2' }, { id: 'b', http: '127.0.0.2:1', raft: '127.0.0.2:2' }] }));
  const first = await run(process.execPath, [CLI, 'certs', out, '--config', cfg, '--host', 'kv.example']);
  assert.match(first.stdout, /wrote .*ca\.pem/);
  const ca = new X509Certificate(readFileSync(path.join(out, 'ca.pem')));
  assert.ok(ca.ca);
  const b = new X509Certificate(readFileSync(path.join(out, 'b.pem')));
  assert.ok(b.checkIssued(ca) && b.verify(ca.publicKey));
  assert.ok(b.checkIP('127.0.0.2') && b.checkHost('kv.example') && b.checkHost('localhost'));
  assert.equal(b.subject, 'CN=b');
  const client = new X509Certificate(readFileSync(path.join(out, 'client.pem')));
  assert.equal(client.subjectAltName, undefined);
  for (const f of ['ca-key.pem', 'a-key.pem', 'launcher-key.pem', 'client-key.pem', 'admin.token']) assert.equal(statSync(path.join(out, f)).mode & 0o777, 0o600, f);
  const token = readFileSync(path.join(out, 'admin.token'), 'utf8');
  const second = await run(process.execPath, [CLI, 'certs', out, '--config', cfg]);
  assert.match(second.stdout, /nothing written/);
  assert.equal(readFileSync(path.join(out, 'admin.token'), 'utf8'), token);
});
