import net from 'node:net';
import tls from 'node:tls';
import type { LoadSecurity } from '../load/task.js';

/** Whether a Redis-protocol server answers PING with +PONG at host:port (over TLS, after AUTH, for a secure cluster). */
export function respPing(host: string, port: number, timeoutMs = 1000, security?: LoadSecurity): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = security ? tls.connect({ host, port, ca: security.ca }) : net.connect({ host, port });
    let got = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    const login = security ? `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(security.token)}\r\n${security.token}\r\n` : '';
    socket.once(security ? 'secureConnect' : 'connect', () => socket.write(`${login}*1\r\n$4\r\nPING\r\n`));
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // The login's answer first (+OK), then PING's.
      const lines = got.split('\r\n');
      if (lines.length > (security ? 2 : 1)) done((!security || lines[0] === '+OK') && lines[security ? 1 : 0]!.startsWith('+PONG'));
    });
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}
