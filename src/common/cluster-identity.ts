// Who belongs to a cluster. Every cluster has a secret token, made when it is
// founded and known only to its members: it authenticates a node's hello on
// the peer port and the node-to-node routes of the HTTP port (forwarded
// writes, joins). The cluster id is derived from it, so a node can tell
// "another cluster" from "a stranger" without the token ever travelling on
// the peer port. (Real authentication and TLS come with the security work;
// this keeps strangers and other clusters out.)

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface ClusterIdentity {
  /** Public name of the cluster, 16 hex digits (derived from the token). */
  readonly id: string;
  /** The secret itself. */
  readonly token: string;
}

/** The header that carries the token on node-to-node HTTP requests. */
export const TOKEN_HEADER = 'x-raftkv-cluster-token';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

export function newClusterToken(): string {
  return randomBytes(24).toString('base64url');
}

export function clusterIdentity(token: string): ClusterIdentity {
  if (!TOKEN_PATTERN.test(token)) throw new Error('a cluster token is 16-256 letters, digits, "_" or "-"');
  return { id: createHash('sha256').update(`raftkv cluster ${token}`).digest('hex').slice(0, 16), token };
}

/** The token in `file`, or a new one written there (readable by its owner only). */
export function loadOrCreateToken(file: string): string {
  if (existsSync(file)) {
    const token = readFileSync(file, 'utf8').trim();
    clusterIdentity(token);
    return token;
  }
  const token = newClusterToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

/** What a node shows in its hello: only a member can compute it for its own id. */
export function helloProof(identity: ClusterIdentity, nodeId: string): string {
  return createHmac('sha256', identity.token).update(`hello ${identity.id} ${nodeId}`).digest('hex');
}

/** Constant-time comparison of two secrets (or proofs) given as strings. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
