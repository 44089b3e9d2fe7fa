// A development PKI made in-process (no openssl): a CA, a certificate per
// node naming every address it binds, a certificate for the launcher's
// control API and router, a client certificate, and a random admin token.
// ECDSA P-256 keys from node:crypto's WebCrypto; @peculiar/x509 writes the
// certificates (CA basic constraints, key usages, SANs, key identifiers).
// Files that exist are kept: a second run only adds what is missing.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;

export interface LeafPlan {
  /** Certificate and key files (absolute). */
  cert: string;
  key: string;
  /** The subject's common name (a node id, "raftkv launcher", "raftkv client"). */
  name: string;
  /** DNS names and IP addresses it is valid for (a client certificate has none). */
  hosts: string[];
  /** A server also dials (peer port) so it is a client too; a client only dials. */
  usage: 'server' | 'client';
  /** Validity, for tests of expired certificates; default: from now for `validDays`. */
  notBefore?: Date;
  notAfter?: Date;
}

export interface CertPlan {
  caCert: string;
  caKey: string;
  leaves: LeafPlan[];
  /** A random token is written to each of these that is missing (the admin token, users' tokens). */
  tokenFiles?: string[];
  /** Days the CA and the leaves are valid (default 825, the longest browsers accept for a leaf). */
  validDays?: number;
}

/** Write what the plan names and does not exist yet; returns the files written. */
export async function makeDevCerts(plan: CertPlan): Promise<string[]> {
  const written: string[] = [];
  const days = plan.validDays ?? 825;
  const write = (file: string, text: string, secret: boolean): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, secret ? { mode: 0o600 } : {});
    if (secret) chmodSync(file, 0o600);
    written.push(file);
  };
  if (plan.leaves.length > 0) {
    const ca = await loadOrMakeCa(plan.caCert, plan.caKey, days, write);
    for (const leaf of plan.leaves) {
      if (existsSync(leaf.cert) && existsSync(leaf.key)) continue;
      const made = await issueLeaf(ca, leaf, days);
      write(leaf.key, made.key, true);
      write(leaf.cert, made.cert, false);
    }
  }
  for (const f of plan.tokenFiles ?? []) if (!existsSync(f)) write(f, `${randomBytes(24).toString('base64url')}\n`, true);
  return written;
}

interface Ca {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadOrMakeCa(certFile: string, keyFile: string, days: number, write: (f: string, t: string, secret: boolean) => void): Promise<Ca> {
  if (existsSync(certFile)) {
    if (!existsSync(keyFile)) throw new Error(`${certFile} exists but its key ${keyFile} does not: new certificates cannot be issued without it`);
    const der = createPrivateKey(readFileSync(keyFile, 'utf8')).export({ type: 'pkcs8', format: 'der' });
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
    return { cert: new x509.X509Certificate(readFileSync(certFile, 'utf8')), key };
  }
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=raftkv development CA ${new Date(now).toISOString().slice(0, 10)}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  write(keyFile, await pemKey(keys.privateKey), true);
  write(certFile, `${cert.toString('pem')}\n`, false);
  return { cert, key: keys.privateKey };
}

/** One certificate issued by `ca`, with a fresh key; PEM text. */
export async function issueLeaf(ca: Ca, leaf: Omit<LeafPlan, 'cert' | 'key'>, days = 825): Promise<{ cert: string; key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = Date.now();
  const hosts = [...new Set(leaf.hosts)];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension(leaf.usage === 'server' ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (hosts.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }))));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${leaf.name.replace(/[,+="\\<>;#]/g, '_')}`,
    issuer: ca.cert.subject,
    notBefore: leaf.notBefore ?? new Date(now - 60_000),
    notAfter: leaf.notAfter ?? new Date(now + days * DAY_MS),
    signingKey: ca.key,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { cert: `${cert.toString('pem')}\n`, key: await pemKey(keys.privateKey) };
}

/** A CA in memory (tests: a second, foreign CA; certificates with odd validity). */
export async function makeCa(days = 30): Promise<Ca & { pem: string }> {
  const files: Record<string, string> = {};
  const ca = await loadOrMakeCa('\0ca', '\0key', days, (f, t) => (files[f] = t));
  return { ...ca, pem: files['\0ca']! };
}

async function pemKey(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A positive 16-byte serial number, hex. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}
