// The Redis protocol (RESP2) front of a node or of the router, on node:net.
// Like the HTTP front it reaches what it serves only through Front (api/front.ts).

import net from 'node:net';
import tls from 'node:tls';
import type { Authenticator } from '../security/auth.js';
import type { TlsMaterial } from '../security/tls-material.js';
import type { Front } from '../api/front.js';
import { limitsWith, type Limits } from '../common/limits.js';
import type { Logger } from '../common/logger.js';
import { commandMeters, type Command, type ServerView } from './command.js';
import { COMMANDS } from './commands/index.js';
import { RespConnection } from './connection.js';

export interface RespFrontOptions {
  host: string;
  port: number;
  /** What it serves: a node or the router. */
  front: Front;
  logger: Logger;
  /** Largest bulk string accepted (a value, a key); a larger one is a protocol error. */
  maxBulkBytes?: number;
  /** The config's limits (DEFAULT_LIMITS for those not given). */
  limits?: Partial<Limits>;
  /** TLS with this certificate (redis-cli --tls --cacert CA); clients show none. */
  tls?: Pick<TlsMaterial, 'cert' | 'key'>;
  /** Users' tokens: AUTH first (NOAUTH before it), where authentication is on. */
  auth?: Authenticator;
}

export interface RespFront {
  port: number;
  connections(): number;
  /** Stop listening and close every connection. */
  close(): Promise<void>;
}

const TOO_MANY = '-ERR max number of clients reached\r\n';
/** A TLS client that has not finished its handshake by then is dropped. */
const HANDSHAKE_MS = 10_000;

export function startRespFront(opts: RespFrontOptions): Promise<RespFront> {
  const connections = new Set<RespConnection>();
  let nextId = 1;
  let port = opts.port;
  const limits = limitsWith(opts.limits);
  const connOpts = { limits, maxBulkBytes: opts.maxBulkBytes ?? 1 << 20, logger: opts.logger };
  const startedAt = Date.now();
  const front = opts.front;
  const requests = front.extras?.requests;
  const meters = requests ? commandMeters(requests, COMMANDS.values()) : undefined;
  requests?.countConnections('resp', () => connections.size);
  const view: ServerView = {
    front,
    get port() {
      return port;
    },
    startedAt,
    commands: COMMANDS as ReadonlyMap<string, Command>,
    connectedClients: () => connections.size,
    respOf: (id) => front.status().members[id]?.resp,
    ...(meters ? { meters } : {}),
    ...(opts.auth ? { auth: opts.auth } : {}),
  };
  const accept = (socket: net.Socket): void => {
    if (connections.size >= limits.maxConnections) {
      socket.on('error', () => {});
      // As Redis: say why, then close (not half-open: the client may never end its side).
      socket.end(TOO_MANY, () => socket.destroy());
      return;
    }
    try {
      const conn = new RespConnection(socket, view, nextId++, connOpts);
      connections.add(conn);
      socket.once('close', () => connections.delete(conn));
    } catch (e) {
      // A bug in setting up one connection must not end the listener's process.
      opts.logger.error('RESP connection setup crashed', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      socket.destroy();
    }
  };
  const options = { allowHalfOpen: true, noDelay: true };
  // With TLS a connection is handed over once its handshake is done; one that speaks plaintext is closed by the handshake.
  // Half-open only from then on: a TLS server made half-open never closes a
  // client that hangs up before its handshake (nor does the handshake timer
  // fire), so a flood of such connections would stay open for good and hold
  // server.close() for ever.
  const server: net.Server = opts.tls
    ? tls
        .createServer({ ...options, allowHalfOpen: false, cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: HANDSHAKE_MS }, (socket) => {
          socket.allowHalfOpen = true;
          accept(socket);
        })
        .on('tlsClientError', () => {})
    : net.createServer(options, accept);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      server.on('error', (e) => opts.logger.error('RESP front error', { error: String(e) }));
      port = (server.address() as net.AddressInfo).port;
      let closing: Promise<void> | undefined;
      resolve({
        port,
        connections: () => connections.size,
        close: () => {
          closing ??= new Promise((done) => {
            server.close(() => done());
            for (const c of connections) c.destroy();
          });
          return closing;
        },
      });
    });
  });
}
