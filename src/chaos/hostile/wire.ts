// Raw sockets for hostile input: node:net, loopback only, every wait bounded.
// (fetch or a Redis client would refuse, or quietly repair, the malformed
// requests that are the point.)

import net from 'node:net';
import tls from 'node:tls';
import type { HostileInput } from './common.js';
import { sleep } from '../../kit/wait.js';
import { parseHostPort } from '../../transport/address.js';
import { isLoopbackHost } from '../../common/address.js';

/**
 * A listener behind TLS: the CA to trust, a client certificate (the peer
 * port asks for one), and bytes sent first on every connection (a RESP
 * login), so that the input reaches what lies behind the handshake and the login.
 */
export interface WireSecurity {
  ca: string;
  cert?: string;
  key?: string;
  preamble?: Buffer;
}

/** Connect (bounded); undefined when refused or too slow (a node down, a listener full). */
export function connect(addr: string, timeoutMs = 2000, secure?: WireSecurity): Promise<net.Socket | undefined> {
  const { host, port } = parseHostPort(addr);
  // Hostile input never leaves the machine.
  if (!isLoopbackHost(host)) return Promise.reject(new Error(`hostile input goes to loopback addresses only, not ${addr}`));
  return new Promise((resolve) => {
    const s = secure ? tls.connect({ host, port, ca: secure.ca, servername: 'localhost', ...(secure.cert ? { cert: secure.cert, key: secure.key } : {}) }) : net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, timeoutMs);
    s.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      s.setNoDelay(true);
      if (secure?.preamble) s.write(secure.preamble);
      resolve(s);
    });
    s.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    // Answers are read and dropped: only the node's survival is judged.
    s.on('data', () => {});
  });
}

/**
 * Write the input's chunks with a short pause between them (so that they
 * arrive as separate reads), then give the server `lingerMs` to answer or
 * close, and close. Resolves whether sent (connected) or not.
 */
export async function sendInput(addr: string, input: HostileInput, lingerMs = 200, secure?: WireSecurity): Promise<boolean> {
  const s = await connect(addr, 2000, secure);
  if (!s) return false;
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  s.on('error', () => {});
  try {
    for (const [i, chunk] of input.chunks.entries()) {
      if (s.destroyed) break;
      if (i > 0) await sleep(2);
      if (chunk.length > 0) s.write(chunk);
    }
    await Promise.race([closed, sleep(lingerMs)]);
  } finally {
    s.destroy();
  }
  return true;
}
