// `raftkv cluster` with a secure config: the development certificates and
// tokens it names, made on first start, and how to call the cluster then.
// `raftkv certs DIR` makes the same set under standard names.

import path from 'node:path';
import { makeDevCerts, type CertPlan, type LeafPlan } from '../security/dev-certs.js';
import type { ClusterConfig } from './config.js';
import { parseHostPort } from '../transport/address.js';
import { caKeyFile, launcherHosts, missingSecurityFiles, nodeHosts } from './security-setup.js';

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** A development PKI for exactly the files the config names: its CA, each node's and the launcher's certificate, its tokens. */
export function configCertPlan(config: ClusterConfig, baseDir: string): CertPlan {
  const abs = (f: string): string => path.resolve(baseDir, f);
  const leaves: LeafPlan[] = [];
  if (config.tls) {
    const shared = config.nodes.filter((n) => !n.tls);
    const hosts = [...launcherHosts(config), ...shared.flatMap((n) => nodeHosts(n, n.id))].map((h) => h.host);
    leaves.push({ cert: abs(config.tls.cert), key: abs(config.tls.key), name: 'raftkv launcher', hosts: [...hosts, ...LOOPBACK], usage: 'server' });
    for (const n of config.nodes) {
      if (n.tls) leaves.push({ cert: abs(n.tls.cert), key: abs(n.tls.key), name: n.id, hosts: [...nodeHosts(n, n.id).map((h) => h.host), ...LOOPBACK], usage: 'server' });
    }
  }
  const tokenFiles = config.auth ? [config.auth.tokenFile, ...(config.auth.users ?? []).map((u) => u.tokenFile)].map(abs) : [];
  const ca = abs(config.tls?.ca ?? 'certs/ca.pem');
  return { caCert: ca, caKey: caKeyFile(ca), leaves, tokenFiles };
}

/** `raftkv certs DIR`: ca.pem, NODE.pem, launcher.pem, client.pem (each with its -key.pem) and admin.token. */
export function dirCertPlan(config: ClusterConfig, dir: string, extraHosts: readonly string[]): CertPlan {
  const f = (name: string): string => path.join(dir, name);
  const leaves: LeafPlan[] = config.nodes.map((n) => ({ cert: f(`${n.id}.pem`), key: f(`${n.id}-key.pem`), name: n.id, hosts: [...nodeHosts(n, n.id).map((h) => h.host), ...LOOPBACK, ...extraHosts], usage: 'server' }));
  leaves.push({ cert: f('launcher.pem'), key: f('launcher-key.pem'), name: 'raftkv launcher', hosts: [...launcherHosts(config).map((h) => h.host), ...LOOPBACK, ...extraHosts], usage: 'server' });
  leaves.push({ cert: f('client.pem'), key: f('client-key.pem'), name: 'raftkv client', hosts: [], usage: 'client' });
  return { caCert: f('ca.pem'), caKey: f('ca-key.pem'), leaves, tokenFiles: [f('admin.token')] };
}

/** Make whatever certificate, key or token file the config names and lacks; says what it wrote. */
export async function makeMissingDevCerts(config: ClusterConfig, baseDir: string, say: (line: string) => void = (l) => console.log(l)): Promise<string[]> {
  const missing = missingSecurityFiles(config, baseDir);
  if (missing.length === 0) return [];
  const written = await makeDevCerts(configCertPlan(config, baseDir));
  if (written.length > 0) say(`made development certificates and tokens (first start): ${written.map((w) => path.relative(process.cwd(), w) || w).join(', ')}`);
  return written;
}

/** Lines that tell how to call a secure cluster: curl with the CA and the token, redis-cli over TLS, ctl. */
export function howToCall(config: ClusterConfig, baseDir: string, configFile: string): string[] {
  const rel = (f: string): string => path.relative(process.cwd(), path.resolve(baseDir, f)) || f;
  const n = config.nodes[0]!;
  const scheme = config.tls ? 'https' : 'http';
  const ca = config.tls ? ` --cacert ${rel(config.tls.ca)}` : '';
  const token = config.auth ? rel(config.auth.tokenFile) : undefined;
  const auth = token ? ` -H "Authorization: Bearer $(cat ${token})"` : '';
  const lines = [`call it: curl${ca}${auth} ${scheme}://${n.http}/status`];
  if (n.resp) {
    const { host, port } = parseHostPort(n.resp);
    lines.push(`         redis-cli${config.tls ? ` --tls --cacert ${rel(config.tls.ca)}` : ''} -h ${host} -p ${port}${token ? ` --user default --pass $(cat ${token})` : ''} ping`);
  }
  lines.push(`         node dist/src/cli.js ctl --config ${path.relative(process.cwd(), configFile) || configFile} status`);
  return lines;
}
