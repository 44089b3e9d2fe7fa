// Safe defaults: a listener without TLS and authentication serves anyone who
// can reach it, which on loopback is the local user and anywhere else is
// the network. So without both, every listener must bind loopback; binding
// anything else is refused at start-up unless the user says `--insecure`
// (config: "insecure": true), and then it is warned about on every start.

import { bareHost, isLoopbackHost } from '../common/address.js';

/** A listener address and the setting that names it ("node0.http", "--raft"). */
export interface Listening {
  where: string;
  addr: string;
}

export interface ExposureSettings {
  tls: boolean;
  auth: boolean;
  insecure: boolean;
}

/**
 * The listeners that may not bind where they are told to: non-loopback
 * addresses without both TLS and auth (none with `insecure`).
 */
export function exposedListeners(listening: readonly Listening[], s: ExposureSettings): Listening[] {
  if ((s.tls && s.auth) || s.insecure) return [];
  return listening.filter((l) => !isLoopbackHost(bareHost(l.addr)));
}

/** Listeners on other addresses than loopback (warned about with `insecure` and without TLS and auth). */
export function nonLoopback(listening: readonly Listening[]): Listening[] {
  return listening.filter((l) => !isLoopbackHost(bareHost(l.addr)));
}

/** The start-up refusal, saying how to fix it. */
export function exposureError(exposed: readonly Listening[], s: ExposureSettings, flags: { tls: string; auth: string; insecure: string }): string {
  const missing = [!s.tls ? 'TLS' : '', !s.auth ? 'authentication' : ''].filter(Boolean).join(' and ');
  return (
    `refusing to listen on ${exposed.map((l) => `${l.addr} (${l.where})`).join(', ')} without ${missing}: anyone who reaches these addresses could read, write, ` +
    `change membership and speak Raft. Give ${flags.tls} and ${flags.auth} (\`raftkv certs DIR\` makes a CA, node certificates and an admin token), ` +
    `bind 127.0.0.1, or pass ${flags.insecure} if you really mean an open cluster`
  );
}

/** The warning printed on every start with `insecure` while something is exposed. */
export function insecureWarning(exposed: readonly Listening[], s: ExposureSettings): string {
  const missing = [!s.tls ? 'TLS' : '', !s.auth ? 'authentication' : ''].filter(Boolean).join(' and ');
  return `INSECURE: ${exposed.map((l) => `${l.addr} (${l.where})`).join(', ')} listen${exposed.length === 1 ? 's' : ''} beyond loopback without ${missing}; anyone who reaches ${exposed.length === 1 ? 'it' : 'them'} controls the cluster`;
}
