// Peer-to-peer TCP for Raft messages. Each node listens for its peers'
// connections (receiving only) and dials one connection per peer (sending
// only). A send groups messages by destination and writes one frame per
// destination; the link filter can cut, thin or delay any link.

import net from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from '../security/tls-material.js';
import type { ClusterIdentity } from '../common/cluster-identity.js';
import { DEFAULT_LIMITS } from '../common/limits.js';
import type { Message, NodeId } from '../raft/types.js';
import { parseHostPort } from './address.js';
import { encodeBatchFrame, encodeHelloFrame } from './codec.js';
import { InboundConnection, type PeerLimits } from './inbound-connection.js';
import { LinkFilter } from './link-filter.js';
import { LogLimiter } from './log-limiter.js';
import { PeerLink, type PeerStats } from './peer-link.js';

export type { PeerStats } from './peer-link.js';
export type { PeerLimits } from './inbound-connection.js';

/** `warn` marks what a peer (or a stranger) did wrong; those lines are rate limited. */
export type TransportLogLevel = 'debug' | 'warn';

/** What came in on the peer port that was not accepted. */
export interface InboundStats {
  /** Accepted connections open now (greeted or not). */
  connections: number;
  /** Messages dropped by validation (validate.ts). */
  dropped: number;
  /** Connections refused or closed for what the other side did: over the cap, no/bad hello, unreadable frames. */
  refused: number;
  /** Bytes held for frames not fully arrived, over all connections. */
  pendingBytes: number;
}

export interface TransportOptions {
  id: NodeId;
  /** This node's cluster: its hello proves membership, and only members' hellos are accepted. */
  identity: ClusterIdentity;
  /** "host:port" to listen on; port 0 picks a free port. */
  listen: string;
  /** Peer id -> "host:port". This node's own id, if present, is skipped. */
  peers: Record<NodeId, string>;
  /**
   * Called for every message received, in arrival order per connection. An
   * exception thrown here is not caught: it is the node's, not the peer's.
   */
  onMessage: (m: Message) => void;
  logger?: (event: string, fields: Record<string, unknown>, level: TransportLogLevel) => void;
  /**
   * Frame size (larger ones close their connection, and are not sent),
   * snapshot sizes, open inbound connections, hello timeout. Defaults:
   * DEFAULT_LIMITS.
   */
  limits?: Partial<PeerLimits>;
  /** Per-peer bound on bytes waiting to go out (disconnected, slow or delayed); beyond it, drop. Default 64 MiB. */
  maxQueuedBytes?: number;
  /** An established outbound connection to a peer closed: a hint that the peer is down. */
  onPeerDown?: (peer: NodeId) => void;
  /**
   * Mutual TLS on both sides of every link: a dialer without a certificate of
   * the cluster CA is refused in the handshake, before its hello is read.
   */
  tls?: TlsMaterial;
}

const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export class TcpTransport {
  readonly filter: LinkFilter = new LinkFilter();
  readonly #id: NodeId;
  readonly #listen: string;
  readonly #onMessage: (m: Message) => void;
  readonly #onPeerDown: ((peer: NodeId) => void) | undefined;
  readonly #log: (event: string, fields: Record<string, unknown>) => void;
  readonly #warn: (event: string, fields: Record<string, unknown>) => void;
  readonly #limiter = new LogLimiter();
  readonly #identity: ClusterIdentity;
  readonly #limits: PeerLimits;
  readonly #maxFrameBytes: number;
  readonly #maxQueuedBytes: number;
  readonly #hello: Buffer;
  readonly #tls: TlsMaterial | undefined;
  readonly #links = new Map<NodeId, PeerLink>();
  readonly #inbound = new Set<InboundConnection>();
  readonly #unknownPeers = new Set<NodeId>();
  /** Links of removed peers whose sockets are still closing. */
  readonly #removed = new Set<Promise<void>>();
  #server: net.Server | null = null;
  #listening: Promise<{ host: string; port: number }> | null = null;
  #started = false;
  #closing: Promise<void> | null = null;
  #dropped = 0;
  #refused = 0;
  /** Bytes received on inbound connections already closed, per peer (open ones count their own). */
  readonly #receivedClosed = new Map<NodeId, number>();

  constructor(opts: TransportOptions) {
    this.#id = opts.id;
    this.#listen = opts.listen;
    this.#onMessage = opts.onMessage;
    this.#onPeerDown = opts.onPeerDown;
    const logger = opts.logger;
    const id = opts.id;
    this.#log = logger ? (event, fields) => logger(event, { id, ...fields }, 'debug') : () => {};
    this.#warn = logger ? (event, fields) => logger(event, { id, ...fields }, 'warn') : () => {};
    const l = opts.limits ?? {};
    this.#limits = {
      maxPeerFrameBytes: l.maxPeerFrameBytes ?? DEFAULT_LIMITS.maxPeerFrameBytes,
      snapshotChunkBytes: l.snapshotChunkBytes ?? DEFAULT_LIMITS.snapshotChunkBytes,
      maxSnapshotBytes: l.maxSnapshotBytes ?? DEFAULT_LIMITS.maxSnapshotBytes,
      maxConnections: l.maxConnections ?? DEFAULT_LIMITS.maxConnections,
      helloTimeoutMs: l.helloTimeoutMs ?? DEFAULT_LIMITS.helloTimeoutMs,
    };
    this.#maxFrameBytes = this.#limits.maxPeerFrameBytes;
    this.#maxQueuedBytes = opts.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    this.#identity = opts.identity;
    this.#hello = encodeHelloFrame(opts.id, opts.identity);
    this.#tls = opts.tls;
    parseHostPort(opts.listen); // fail early on a bad address
    for (const [peer, addr] of Object.entries(opts.peers)) this.setPeer(peer, addr);
  }

  get id(): NodeId {
    return this.#id;
  }

  /** Listen, then dial every peer. Resolves to the address actually bound. */
  start(): Promise<{ host: string; port: number }> {
    if (this.#listening) return Promise.reject(new Error('transport already started'));
    if (this.#closing) return Promise.reject(new Error('transport is closed'));
    this.#listening = this.#start();
    return this.#listening;
  }

  async #start(): Promise<{ host: string; port: number }> {
    const { host, port } = parseHostPort(this.#listen);
    const secure = this.#tls;
    const server = secure
      ? tls.createServer({ ca: secure.ca, cert: secure.cert, key: secure.key, requestCert: true, rejectUnauthorized: true, handshakeTimeout: this.#limits.helloTimeoutMs, noDelay: true }, (socket) => this.#accept(socket))
      : net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    // A dialer without a certificate of the cluster CA (or speaking no TLS) never gets past the handshake.
    if (secure) server.on('tlsClientError', (err, socket) => this.#onRefused({ reason: `TLS handshake refused: ${err.message}`, remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` }));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#log('transport server error', { error: err.message }));
    const bound = server.address() as net.AddressInfo;
    if (this.#closing) throw new Error('transport closed while starting');
    this.#started = true;
    this.#log('transport listening', { host: bound.address, port: bound.port });
    for (const link of this.#links.values()) link.start();
    return { host: bound.address, port: bound.port };
  }

  /** Add a peer or change its address (a no-op when unchanged). */
  setPeer(id: NodeId, addr: string): void {
    if (id === this.#id || this.#closing) return;
    const link = this.#links.get(id);
    if (link !== undefined) {
      link.setAddr(addr);
      return;
    }
    const created = new PeerLink(id, addr, { maxQueuedBytes: this.#maxQueuedBytes, filter: this.filter, hello: this.#hello, log: this.#log, ...(this.#onPeerDown ? { onDown: this.#onPeerDown } : {}), ...(this.#tls ? { tls: this.#tls } : {}) });
    this.#links.set(id, created);
    this.#unknownPeers.delete(id);
    if (this.#started) created.start();
  }

  /** Forget a peer: its connections (both ways) are closed and whatever waits for it is dropped. */
  removePeer(id: NodeId): void {
    const link = this.#links.get(id);
    if (link === undefined) return;
    this.#links.delete(id);
    // It may no longer talk to us either (a new hello of its would be refused).
    for (const conn of this.#inbound) if (conn.peer === id) void conn.destroy();
    const closed = link.close();
    this.#removed.add(closed);
    void closed.then(() => this.#removed.delete(closed));
  }

  /**
   * Send messages: one frame per destination (so one socket write each).
   * Never throws for a peer that is down, unknown or cut; such messages are
   * queued or dropped (Raft retransmits).
   */
  send(msgs: readonly Message[]): void {
    if (this.#closing) return;
    const filter = this.filter;
    const touched: PeerLink[] = [];
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const link = this.#links.get(m.to);
      if (link === undefined) {
        this.#unknownPeer(m.to);
        continue;
      }
      if (filter.dropsTo(m.to)) {
        link.countDropped(1);
        continue;
      }
      if (link.batch.length === 0) touched.push(link);
      link.batch.push(m);
    }
    try {
      for (const link of touched) this.#submit(link, link.batch);
    } finally {
      for (const link of touched) link.batch.length = 0;
    }
  }

  stats(): Record<NodeId, PeerStats> {
    const out: Record<NodeId, PeerStats> = {};
    for (const [id, link] of this.#links) out[id] = link.stats();
    return out;
  }

  /** Per peer: the outbound link's stats and the bytes received from it (for metrics and the dashboard). */
  linkStats(): Record<NodeId, PeerStats & { receivedBytes: number }> {
    const received = new Map(this.#receivedClosed);
    for (const conn of this.#inbound) if (conn.peer !== null) received.set(conn.peer, (received.get(conn.peer) ?? 0) + conn.receivedBytes);
    const out: Record<NodeId, PeerStats & { receivedBytes: number }> = {};
    for (const [id, link] of this.#links) out[id] = { ...link.stats(), receivedBytes: received.get(id) ?? 0 };
    return out;
  }

  inboundStats(): InboundStats {
    let pendingBytes = 0;
    for (const conn of this.#inbound) pendingBytes += conn.pendingBytes;
    return { connections: this.#inbound.size, dropped: this.#dropped, refused: this.#refused, pendingBytes };
  }

  /** Stop listening, close every connection, clear every timer. Idempotent; resolves when all is closed. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // A start in progress finishes (or fails) first, so its server is seen and closed.
    await this.#listening?.catch(() => {});
    const waits: Promise<void>[] = [];
    const server = this.#server;
    if (server !== null && server.listening) waits.push(new Promise((resolve) => server.close(() => resolve())));
    for (const link of this.#links.values()) waits.push(link.close());
    for (const conn of this.#inbound) waits.push(conn.destroy());
    waits.push(...this.#removed);
    await Promise.all(waits);
    // Let libuv run the close callbacks of the handles just closed.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.#log('transport closed', {});
  }

  #submit(link: PeerLink, batch: Message[]): void {
    const frame = encodeBatchFrame(batch);
    if (frame.length - 4 <= this.#maxFrameBytes) return link.submit(frame, batch.length);
    // The peer would refuse this frame; send the messages one by one and drop only those too large alone.
    if (batch.length === 1) {
      link.countDropped(1);
      this.#log('transport message too large, dropped', { peer: link.id, type: batch[0]!.type, bytes: frame.length - 4, maxFrameBytes: this.#maxFrameBytes });
      return;
    }
    for (const m of batch) this.#submit(link, [m]);
  }

  #accept(socket: net.Socket): void {
    if (this.#closing) {
      socket.destroy();
      return;
    }
    if (this.#inbound.size >= this.#limits.maxConnections) {
      // Refused before anything is read or allocated for it.
      this.#refused++;
      const suppressed = this.#limiter.take('cap');
      if (suppressed >= 0) {
        this.#warn('transport connection refused: too many connections', { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, maxConnections: this.#limits.maxConnections, suppressed });
      }
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    const conn = new InboundConnection(socket, {
      self: this.#id,
      identity: this.#identity,
      isPeer: (id) => this.#links.has(id),
      limits: this.#limits,
      filter: this.filter,
      onMessage: this.#onMessage,
      log: this.#log,
      onRefused: (fields) => this.#onRefused(fields),
      onDropped: (peer, m, reason) => this.#onDropped(peer, m, reason),
    });
    this.#inbound.add(conn);
    void conn.closed.then(() => {
      this.#inbound.delete(conn);
      if (conn.peer !== null) this.#receivedClosed.set(conn.peer, (this.#receivedClosed.get(conn.peer) ?? 0) + conn.receivedBytes);
    });
  }

  #onRefused(fields: Record<string, unknown>): void {
    this.#refused++;
    const suppressed = this.#limiter.take('refused');
    if (suppressed >= 0) this.#warn('transport closing inbound connection', { ...fields, suppressed });
  }

  #onDropped(peer: NodeId, m: Message, reason: string): void {
    this.#dropped++;
    const suppressed = this.#limiter.take('dropped');
    if (suppressed >= 0) this.#warn('transport message dropped', { peer, type: String(m.type), from: String(m.from), term: m.term, reason, suppressed });
  }

  #unknownPeer(id: NodeId): void {
    if (this.#unknownPeers.has(id)) return;
    this.#unknownPeers.add(id);
    this.#log('transport no address for peer, dropping', { peer: id });
  }
}
