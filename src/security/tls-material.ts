// TLS material of one listener or client: the cluster CA, a certificate and
// its key, read once at start-up and checked there, so a certificate that
// expired, is not yet valid, was not issued by the cluster CA, does not match
// its key or does not name the address it serves is refused with a message
// that says which file and what to do, instead of every handshake failing
// later with an OpenSSL error on the other side.
//
// Loaded material is PEM text: it crosses into worker threads and child
// processes as it is.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { RaftkvError } from '../common/errors.js';

/** File names, as the config and the flags give them. */
export interface TlsFiles {
  /** The cluster CA's certificate: what peers' and servers' certificates must be issued by. */
  ca: string;
  cert: string;
  key: string;
}

/** The same, read: PEM text. */
export interface TlsMaterial {
  ca: string;
  cert: string;
  key: string;
}

/** A host this certificate must be valid for, and which setting binds it (for the message). */
export interface ServedHost {
  host: string;
  where: string;
}

export class TlsSetupError extends RaftkvError<'RAFTKV_ERR_TLS_SETUP'> {
  constructor(message: string) {
    super('RAFTKV_ERR_TLS_SETUP', message);
  }
}

const FIX = 'make new ones with `raftkv certs DIR` (or your CA), and point tls.cert/tls.key at them';

/** Read the files (relative to `baseDir`) and check them for the hosts they serve, at `now`. */
export function loadTlsMaterial(files: TlsFiles, baseDir: string, hosts: readonly ServedHost[], now = new Date()): TlsMaterial {
  const read = (what: string, file: string): string => {
    const full = path.resolve(baseDir, file);
    try {
      return readFileSync(full, 'utf8');
    } catch (e) {
      throw new TlsSetupError(`tls.${what}: cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  const material = { ca: read('ca', files.ca), cert: read('cert', files.cert), key: read('key', files.key) };
  checkTlsMaterial(material, { cert: files.cert, ca: files.ca, key: files.key }, hosts, now);
  return material;
}

/** The checks of loadTlsMaterial on material already read; `names` label the parts in messages. */
export function checkTlsMaterial(m: TlsMaterial, names: TlsFiles, hosts: readonly ServedHost[], now = new Date()): void {
  const parse = (what: string, pem: string): X509Certificate => {
    try {
      return new X509Certificate(pem);
    } catch (e) {
      throw new TlsSetupError(`tls.${what}: ${names[what as keyof TlsFiles]} is not a PEM certificate (${(e as Error).message})`);
    }
  };
  const ca = parse('ca', m.ca);
  const cert = parse('cert', m.cert);
  if (!ca.ca) throw new TlsSetupError(`tls.ca: ${names.ca} is not a CA certificate (its basic constraints say CA:FALSE)`);
  for (const [what, c] of [['ca', ca], ['cert', cert]] as const) {
    if (now < new Date(c.validFrom)) throw new TlsSetupError(`tls.${what}: ${names[what]} is not valid before ${c.validFrom}; check the clock, or ${FIX}`);
    if (now > new Date(c.validTo)) throw new TlsSetupError(`tls.${what}: ${names[what]} expired on ${c.validTo}; ${FIX}`);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new TlsSetupError(`tls.cert: ${names.cert} was not issued by the CA in ${names.ca} (issuer: ${cert.issuer.replace(/\n/g, ', ')}); peers would refuse it. ${FIX}`);
  }
  let key;
  try {
    key = createPrivateKey(m.key);
  } catch (e) {
    throw new TlsSetupError(`tls.key: ${names.key} is not a readable private key (${(e as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new TlsSetupError(`tls.key: ${names.key} is not the key of ${names.cert}`);
  for (const { host, where } of hosts) {
    if (isWildcard(host)) continue;
    const ok = isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    if (!ok) {
      throw new TlsSetupError(`tls.cert: ${names.cert} is not valid for ${host} (${where} binds it); its names are ${cert.subjectAltName ?? 'none'}. ${FIX}, naming ${host}`);
    }
  }
}

/** 0.0.0.0 and :: listen on every address: no one name to check. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
