import { bareHost, splitHostPort } from '../common/address.js';
import { badAddress } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" (or "[v6]:port"); port 0 means "any free port" when listening. */
export function parseHostPort(addr: string): HostPort {
  const portText = splitHostPort(addr).port;
  const host = bareHost(addr);
  const port = Number(portText);
  if (host === '' || !/^\d+$/.test(portText) || port > 65535) throw badAddress(addr);
  return { host, port };
}
