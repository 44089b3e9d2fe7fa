// The outbound side of one peer: a single TCP connection this node dials and
// sends on, re-dialed with exponential backoff when it breaks. Frames sent
// while it is down wait in a bounded queue; frames the filter delays wait in
// a FIFO of their own, so a delayed link never reorders.

import net from 'node:net';
import tls from 'node:tls';
import type { TlsMaterial } from '../security/tls-material.js';
import { performance } from 'node:perf_hooks';
import type { Message, NodeId } from '../raft/types.js';
import { parseHostPort, type HostPort } from './address.js';
import type { LinkFilter } from './link-filter.js';

const BACKOFF_MIN_MS = 20;
const BACKOFF_MAX_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;
const KEEPALIVE_MS = 5000;

export interface PeerStats {
  /** Connected and greeted: frames go straight to the socket. */
  connected: boolean;
  /** Messages handed to the socket. */
  sentMsgs: number;
  /** Frame bytes handed to the socket (headers included). */
  sentBytes: number;
  /** Messages dropped: filtered (cut, loss), over the queue bound, or discarded on close. */
  dropped: number;
  /** Connections made after the first one. */
  reconnects: number;
}

export interface PeerLinkEnv {
  maxQueuedBytes: number;
  filter: LinkFilter;
  /** This node's hello frame, written first on every connection. */
  hello: Buffer;
  log: (event: string, fields: Record<string, unknown>) => void;
  /** An established connection to the peer closed (its process died, or it closed the link). */
  onDown?: (peer: NodeId) => void;
  /** Mutual TLS: this node shows its certificate and accepts only a peer certificate of the cluster CA naming the address dialed. */
  tls?: TlsMaterial;
}

interface HeldFrame {
  due: number;
  frame: Buffer;
  count: number;
}

export class PeerLink {
  readonly id: NodeId;
  /** Messages gathered for this peer by one TcpTransport.send call (reused). */
  readonly batch: Message[] = [];
  readonly #env: PeerLinkEnv;
  #addr: string;
  #hostPort: HostPort;
  #started = false;
  #closed = false;

  #socket: net.Socket | null = null;
  /** Sockets destroyed but not yet closed. */
  readonly #retiring = new Set<Promise<void>>();
  #connected = false;
  /** The socket is corked until the end of this tick. */
  #corked = false;
  #everConnected = false;
  /** Failed dials since the last connection; drives the backoff. */
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  /** A failure was logged and the link has not come up since (log once per outage). */
  #downLogged = false;
  /** Frames are being dropped over the bound (log once per episode). */
  #overflowing = false;

  // Frames waiting for a connection, oldest first.
  #queue: Buffer[] = [];
  #queueCounts: number[] = [];
  #queuedBytes = 0;

  // Frames held back by a delay rule, oldest (earliest due) first; `due` never decreases.
  #held: (HeldFrame | undefined)[] = [];
  #heldHead = 0;
  #heldBytes = 0;
  #lastDue = 0;
  #delayTimer: NodeJS.Timeout | null = null;

  #sentMsgs = 0;
  #sentBytes = 0;
  #dropped = 0;
  #reconnects = 0;

  constructor(id: NodeId, addr: string, env: PeerLinkEnv) {
    this.id = id;
    this.#env = env;
    this.#addr = addr;
    this.#hostPort = parseHostPort(addr);
  }

  get addr(): string {
    return this.#addr;
  }

  stats(): PeerStats {
    return { connected: this.#connected, sentMsgs: this.#sentMsgs, sentBytes: this.#sentBytes, dropped: this.#dropped, reconnects: this.#reconnects };
  }

  /** Begin dialing (frames submitted before this wait in the queue). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#dial();
  }

  /** Point the link at a new address: the current connection is dropped and re-dialed at once. */
  setAddr(addr: string): void {
    if (addr === this.#addr) return;
    this.#hostPort = parseHostPort(addr);
    this.#addr = addr;
    this.#attempt = 0;
    if (!this.#started || this.#closed) return;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    // Detach the old socket first, so nothing more is written to it and its close handler stays out.
    const old = this.#socket;
    this.#socket = null;
    this.#connected = false;
    if (old !== null) this.#retire(old);
    this.#dial();
  }

  countDropped(n: number): void {
    this.#dropped += n;
  }

  /** Send one encoded frame holding `count` messages, after the link's delay if one is set. */
  submit(frame: Buffer, count: number): void {
    if (this.#closed) {
      this.#dropped += count;
      return;
    }
    const delay = this.#env.filter.delayTo(this.id);
    if (delay > 0 || this.#heldHead < this.#held.length) this.#hold(frame, count, delay);
    else this.#transmit(frame, count);
  }

  /** Stop for good: drop what waits, clear every timer, destroy the socket; resolves once it is closed. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (this.#delayTimer !== null) clearTimeout(this.#delayTimer);
    this.#retryTimer = this.#delayTimer = null;
    for (const n of this.#queueCounts) this.#dropped += n;
    for (let i = this.#heldHead; i < this.#held.length; i++) this.#dropped += this.#held[i]!.count;
    this.#queue = [];
    this.#queueCounts = [];
    this.#queuedBytes = 0;
    this.#held = [];
    this.#heldHead = 0;
    this.#heldBytes = 0;
    if (this.#socket !== null) this.#retire(this.#socket);
    this.#socket = null;
    this.#connected = false;
    return Promise.all(this.#retiring).then(() => {});
  }

  /** Destroy a socket no longer used; close() waits for it to finish closing. */
  #retire(s: net.Socket): void {
    const closed = new Promise<void>((resolve) => {
      if (s.closed) resolve();
      else s.once('close', () => resolve());
    });
    this.#retiring.add(closed);
    void closed.then(() => this.#retiring.delete(closed));
    s.destroy();
  }

  #transmit(frame: Buffer, count: number): void {
    const max = this.#env.maxQueuedBytes;
    // A socket that failed but has not emitted 'close' yet counts as down: queue for the next one.
    if (this.#connected && !this.#socket!.destroyed) {
      const s = this.#socket!;
      // A slow or stalled peer: its unsent bytes count against the same bound.
      if (s.writableLength + frame.length > max) return this.#overflow(count, s.writableLength);
      // Frames written in the same tick leave in one writev (one syscall), not one write each.
      if (!this.#corked) {
        this.#corked = true;
        s.cork();
        process.nextTick(() => this.#uncork(s));
      }
      s.write(frame);
      this.#sentMsgs += count;
      this.#sentBytes += frame.length;
    } else {
      if (this.#queuedBytes + frame.length > max) return this.#overflow(count, this.#queuedBytes);
      this.#queue.push(frame);
      this.#queueCounts.push(count);
      this.#queuedBytes += frame.length;
    }
    this.#overflowing = false;
  }

  #uncork(s: net.Socket): void {
    this.#corked = false;
    s.uncork();
  }

  #overflow(count: number, waiting: number): void {
    this.#dropped += count;
    if (this.#overflowing) return;
    this.#overflowing = true;
    this.#env.log('transport queue full, dropping', { peer: this.id, connected: this.#connected, waitingBytes: waiting, maxQueuedBytes: this.#env.maxQueuedBytes });
  }

  #hold(frame: Buffer, count: number, delay: number): void {
    if (this.#heldBytes + frame.length > this.#env.maxQueuedBytes) return this.#overflow(count, this.#heldBytes);
    const now = performance.now();
    // Never due before an earlier frame: a shorter delay set later must not overtake.
    const due = Math.max(now + delay, this.#lastDue);
    this.#lastDue = due;
    this.#held.push({ due, frame, count });
    this.#heldBytes += frame.length;
    if (this.#delayTimer === null) this.#armDelay(due - now);
  }

  #armDelay(ms: number): void {
    this.#delayTimer = setTimeout(() => this.#release(), Math.max(0, Math.ceil(ms)));
  }

  #release(): void {
    this.#delayTimer = null;
    const now = performance.now();
    const held = this.#held;
    while (this.#heldHead < held.length && held[this.#heldHead]!.due <= now + 0.5) {
      const h = held[this.#heldHead]!;
      held[this.#heldHead++] = undefined;
      this.#heldBytes -= h.frame.length;
      // A cut made while the frame was in flight drops it, like a real partition.
      if (this.#env.filter.isCutTo(this.id)) this.#dropped += h.count;
      else this.#transmit(h.frame, h.count);
    }
    if (this.#heldHead === held.length) {
      this.#held = [];
      this.#heldHead = 0;
    } else {
      if (this.#heldHead > 1024 && this.#heldHead * 2 > held.length) {
        this.#held = held.slice(this.#heldHead);
        this.#heldHead = 0;
      }
      this.#armDelay(this.#held[this.#heldHead]!.due - now);
    }
  }

  #dial(): void {
    this.#retryTimer = null;
    if (this.#closed) return;
    const { host, port } = this.#hostPort;
    const secure = this.#env.tls;
    const s = secure
      ? tls.connect({ host, port, ca: secure.ca, cert: secure.cert, key: secure.key }).setNoDelay(true).setKeepAlive(true, KEEPALIVE_MS)
      : net.connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEPALIVE_MS });
    this.#socket = s;
    s.setTimeout(CONNECT_TIMEOUT_MS);
    // With TLS the link is up once both sides accepted each other's certificate.
    s.once(secure ? 'secureConnect' : 'connect', () => this.#onConnect(s));
    s.on('timeout', () => s.destroy(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`)));
    s.on('error', (err) => this.#onError(err));
    // The peer never writes on this connection; reading keeps us told of its end.
    s.on('data', () => {});
    s.once('close', () => this.#onClose(s));
  }

  #onConnect(s: net.Socket): void {
    if (s !== this.#socket) return;
    s.setTimeout(0);
    s.setNoDelay(true);
    this.#connected = true;
    if (this.#everConnected) this.#reconnects++;
    this.#everConnected = true;
    this.#attempt = 0;
    this.#downLogged = false;
    this.#env.log('transport peer connected', { peer: this.id, addr: this.#addr, queuedMsgs: this.#queueCounts.reduce((a, b) => a + b, 0) });
    s.cork();
    s.write(this.#env.hello);
    const queue = this.#queue;
    const counts = this.#queueCounts;
    this.#queue = [];
    this.#queueCounts = [];
    this.#queuedBytes = 0;
    for (let i = 0; i < queue.length; i++) {
      s.write(queue[i]!);
      this.#sentMsgs += counts[i]!;
      this.#sentBytes += queue[i]!.length;
    }
    s.uncork();
  }

  #onError(err: Error): void {
    if (this.#downLogged || this.#closed) return;
    this.#downLogged = true;
    this.#env.log(this.#connected ? 'transport peer connection failed' : 'transport peer unreachable', { peer: this.id, addr: this.#addr, error: err.message });
  }

  #onClose(s: net.Socket): void {
    if (s !== this.#socket) return;
    const wasConnected = this.#connected;
    this.#socket = null;
    this.#connected = false;
    if (this.#closed) return;
    if (wasConnected) {
      this.#env.log('transport peer disconnected', { peer: this.id, addr: this.#addr });
      this.#env.onDown?.(this.id);
    }
    // Backoff doubles from 20 ms to 1 s, with jitter so that peers do not dial in lockstep.
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#retryTimer = setTimeout(() => this.#dial(), base / 2 + Math.random() * (base / 2));
  }
}
