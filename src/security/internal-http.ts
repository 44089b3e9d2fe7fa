// How raftkv's own HTTP calls (forwarded writes, joins, the router's shard
// clients, ctl, chaos, bench) reach a node or the launcher: plain http on a
// cluster without TLS, else https that trusts the cluster CA only. Node's
// global fetch takes no CA of its own (NODE_EXTRA_CA_CERTS is read once per
// process, before any config), so TLS calls go through undici's fetch with
// an Agent holding the CA: the same on every Node line.

import { Agent, fetch as undiciFetch } from 'undici';

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface InternalHttp {
  scheme: 'http' | 'https';
  fetch: Fetch;
  /** `scheme://addr/path`. */
  url(addr: string, path: string): string;
}

const PLAIN: InternalHttp = { scheme: 'http', fetch: (url, init) => fetch(url, init), url: (addr, p) => `http://${addr}${p}` };

/** One Agent (connection pool) per CA, shared by every client of this thread. */
const agents = new Map<string, InternalHttp>();

/** Plain http without a CA; https trusting only `ca` (PEM) with one. */
export function internalHttp(ca?: string): InternalHttp {
  if (ca === undefined) return PLAIN;
  let client = agents.get(ca);
  if (!client) {
    const dispatcher = new Agent({ connect: { ca, rejectUnauthorized: true } });
    client = {
      scheme: 'https',
      // undici's fetch and the global one take and give the same WHATWG shapes; their TypeScript types differ only by package.
      fetch: (url, init) => undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>,
      url: (addr, p) => `https://${addr}${p}`,
    };
    agents.set(ca, client);
  }
  return client;
}
