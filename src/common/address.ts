// "host:port" as raftkv writes addresses everywhere: "127.0.0.1:11000",
// "[::1]:11000", or ":11000" (this host, any interface). Cut at the last
// colon, since an IPv6 host holds colons of its own.

import { isIP } from 'node:net';

export interface AddressParts {
  /** As written, brackets of an IPv6 host kept ("" for ":port"): ready to put back in an address. */
  host: string;
  /** As written (not checked). */
  port: string;
}

export function splitHostPort(addr: string): AddressParts {
  const colon = addr.lastIndexOf(':');
  return colon < 0 ? { host: addr, port: '' } : { host: addr.slice(0, colon), port: addr.slice(colon + 1) };
}

/** The host of an address, brackets kept ("" for ":port"). */
export const hostOf = (addr: string): string => splitHostPort(addr).host;

/** The host to resolve or compare: an IPv6 host without its brackets. */
export function bareHost(addr: string): string {
  const { host } = splitHostPort(addr);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The port of an address as a number (NaN when it has none). */
export const portOf = (addr: string): number => {
  const { port } = splitHostPort(addr);
  return port === '' ? NaN : Number(port);
};

/** The same host on another port (a listener's real port once it is bound; the Raft port derived from the HTTP one). */
export const withPort = (addr: string, port: number | string): string => `${hostOf(addr)}:${port}`;

/** 127.0.0.0/8, ::1 (also written out, or as ::ffff:127.x.y.z) and localhost; 0.0.0.0 and :: are every address, so not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return isLoopbackHost(h.slice('::ffff:'.length));
  return false;
}
