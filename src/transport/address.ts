import { badAddress } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" (or "[v6]:port"); port 0 means "any free port" when listening. */
export function parseHostPort(addr: string): HostPort {
  const colon = addr.lastIndexOf(':');
  if (colon <= 0 || colon === addr.length - 1) throw badAddress(addr);
  let host = addr.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const portText = addr.slice(colon + 1);
  const port = Number(portText);
  if (host === '' || !/^\d+$/.test(portText) || port > 65535) throw badAddress(addr);
  return { host, port };
}
