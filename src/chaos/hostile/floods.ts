// Connection floods and idle connections: a listener past its connection
// limit must refuse the extra connections, not fall over (nor refuse its
// peers for ever after); a connection that sends nothing, or half a command,
// and then waits must cost the node nothing but a socket until it closes.

import type net from 'node:net';
import { connect } from './wire.js';
import { sleep } from '../../kit/wait.js';

export interface FloodResult {
  /** Connections the listener accepted. */
  opened: number;
  /** Attempts it refused, reset or did not answer in time. */
  refused: number;
}

/**
 * Open up to `count` connections to `addr` (at most `parallel` connecting at
 * once, none after `until`), hold them `holdMs`, then close them all.
 * `opening` is written on each once connected (nothing when empty: idle).
 */
export async function flood(addr: string, o: { count: number; holdMs: number; until: number; opening?: Buffer; parallel?: number }): Promise<FloodResult> {
  const sockets: net.Socket[] = [];
  let refused = 0;
  let next = 0;
  const opener = async (): Promise<void> => {
    while (next < o.count && Date.now() < o.until) {
      next++;
      const s = await connect(addr, 1000);
      if (!s) {
        refused++;
        continue;
      }
      s.on('error', () => {});
      // The listener may take a connection and close it at once (past its limit): that is a refusal.
      s.once('close', () => closedByServer.add(s));
      if (o.opening && o.opening.length > 0) s.write(o.opening);
      sockets.push(s);
    }
  };
  const closedByServer = new Set<net.Socket>();
  let stillOpen = 0;
  try {
    await Promise.all(Array.from({ length: o.parallel ?? 16 }, opener));
    await sleep(Math.max(0, Math.min(o.holdMs, o.until - Date.now())));
    stillOpen = sockets.filter((s) => !closedByServer.has(s)).length;
  } finally {
    for (const s of sockets) s.destroy();
  }
  return { opened: stillOpen, refused: refused + (sockets.length - stillOpen) };
}

/** Openings for idle connections: nothing, half a RESP command, half an HTTP request, half a peer frame. */
export const IDLE_OPENINGS: Record<'resp' | 'http' | 'peer' | 'control', Buffer[]> = {
  resp: [Buffer.alloc(0), Buffer.from('*3\r\n$3\r\nSET\r\n$4\r\nhos'), Buffer.from('GET hostile~idle')],
  http: [Buffer.alloc(0), Buffer.from('POST /key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{"hostile~'), Buffer.from('GET /status HTTP/1.1\r\nHost: 1')],
  peer: [Buffer.alloc(0), Buffer.from([0, 0, 0, 200, 0x95])],
  control: [Buffer.alloc(0), Buffer.from('GET /status HTTP/1.1\r\n')],
};
