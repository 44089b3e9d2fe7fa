// A cluster config's `tls` and `auth` blocks, read and checked before any
// node starts: each node's certificate must name the addresses it binds, the
// launcher's (control API, router) its own. And, for `raftkv cluster`, the
// development certificates the config names, made on first start.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadAuthTable, type AuthTable } from '../security/auth.js';
import { bareHost } from '../common/address.js';
import { loadTlsMaterial, type ServedHost, type TlsMaterial } from '../security/tls-material.js';
import type { ClusterConfig, NodeEntry } from './config.js';

export interface ClusterSecurity {
  tls?: {
    /** The control API's and the router's certificate (the config's top-level one). */
    launcher: TlsMaterial;
    /** Each node's: its own where the node names one, else the top-level one. */
    nodes: Record<string, TlsMaterial>;
  };
  auth?: AuthTable;
}

export function nodeHosts(n: NodeEntry, where: string): ServedHost[] {
  return (['http', 'raft', 'resp'] as const).flatMap((f) => (n[f] ? [{ host: bareHost(n[f]), where: `${where}.${f}` }] : []));
}

export function launcherHosts(config: ClusterConfig): ServedHost[] {
  const out: ServedHost[] = [{ host: bareHost(config.control), where: 'control' }];
  if (config.router) for (const f of ['http', 'resp'] as const) if (config.router[f]) out.push({ host: bareHost(config.router[f]), where: `router.${f}` });
  return out;
}

/** Read and check every certificate, key and token file the config names. */
export function loadClusterSecurity(config: ClusterConfig, baseDir: string, now = new Date()): ClusterSecurity {
  const out: ClusterSecurity = {};
  const tls = config.tls;
  if (tls) {
    // Nodes sharing the top-level certificate: it must name their addresses too.
    const shared = config.nodes.filter((n) => !n.tls);
    const launcher = loadTlsMaterial(tls, baseDir, [...launcherHosts(config), ...shared.flatMap((n) => nodeHosts(n, n.id))], now);
    const nodes: Record<string, TlsMaterial> = {};
    for (const n of config.nodes) {
      nodes[n.id] = n.tls ? label(n.id, () => loadTlsMaterial({ ca: tls.ca, ...n.tls! }, baseDir, nodeHosts(n, n.id), now)) : launcher;
    }
    out.tls = { launcher, nodes };
  }
  if (config.auth) out.auth = loadAuthTable(config.auth, baseDir);
  return out;
}

function label<T>(id: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    (e as Error).message = `${id}: ${(e as Error).message}`;
    throw e;
  }
}

/** The CA key of a CA file: `ca.pem` -> `ca-key.pem`. */
export function caKeyFile(caFile: string): string {
  return caFile.replace(/(\.pem|\.crt)?$/, '-key.pem');
}

/** Files the config's tls and auth blocks name (absolute) that do not exist. */
export function missingSecurityFiles(config: ClusterConfig, baseDir: string): string[] {
  const files: string[] = [];
  if (config.tls) files.push(config.tls.ca, config.tls.cert, config.tls.key, ...config.nodes.flatMap((n) => (n.tls ? [n.tls.cert, n.tls.key] : [])));
  if (config.auth) files.push(config.auth.tokenFile, ...(config.auth.users ?? []).map((u) => u.tokenFile));
  return [...new Set(files.map((f) => path.resolve(baseDir, f)))].filter((f) => !existsSync(f));
}
