// The receiving side of one accepted connection: the first frame is the
// dialer's hello, which must come within the hello timeout, be small, and
// show a member of this cluster that is a peer of this node (hello-check.ts);
// anything else closes the connection. Every later frame is a batch of
// messages, each validated (validate.ts) and handed on in arrival order.
//
// A message that fails validation is dropped and the connection stays open:
// its sender has proved it is a member, the other messages of its batch may
// be good, and closing would only make it re-dial and re-send. Unreadable
// frames do close it (the stream cannot be trusted past them).

import type net from 'node:net';
import type { ClusterIdentity } from '../common/cluster-identity.js';
import type { Limits } from '../common/limits.js';
import type { Message, NodeId } from '../raft/types.js';
import { decodeBatch, decodeHello, MAX_HELLO_BYTES } from './codec.js';
import { badHello, TransportError } from './errors.js';
import { FrameDecoder } from './framing.js';
import { refuseHello } from './hello-check.js';
import type { LinkFilter } from './link-filter.js';
import { validateMessage, type ValidationContext } from './validate.js';

/** The limits the peer port enforces. */
export type PeerLimits = Pick<Limits, 'maxPeerFrameBytes' | 'snapshotChunkBytes' | 'maxSnapshotBytes' | 'maxConnections' | 'helloTimeoutMs'>;

export interface InboundEnv {
  self: NodeId;
  identity: ClusterIdentity;
  /** Whether `id` is one of this node's peers now. */
  isPeer: (id: NodeId) => boolean;
  limits: PeerLimits;
  filter: LinkFilter;
  onMessage: (m: Message) => void;
  log: (event: string, fields: Record<string, unknown>) => void;
  /** A connection refused or closed for what its sender did (rate limited by the transport). */
  onRefused: (fields: Record<string, unknown>) => void;
  /** A message dropped by validation. */
  onDropped: (peer: NodeId, m: Message, reason: string) => void;
}

export class InboundConnection {
  readonly #socket: net.Socket;
  readonly #env: InboundEnv;
  readonly #decoder: FrameDecoder;
  readonly #closed: Promise<void>;
  /** The dialer, once its hello has been accepted. */
  #peer: NodeId | null = null;
  /** Made once at the hello, reused for every message. */
  #validation: ValidationContext | null = null;
  #helloTimer: NodeJS.Timeout | null;
  #failed = false;
  /** Frame bytes received after the hello (headers included): the transport sums them per peer. */
  receivedBytes = 0;

  constructor(socket: net.Socket, env: InboundEnv) {
    this.#socket = socket;
    this.#env = env;
    // Until it is known who is dialing, a frame larger than a hello is refused.
    this.#decoder = new FrameDecoder(Math.min(MAX_HELLO_BYTES, env.limits.maxPeerFrameBytes), (payload) => this.#onFrame(payload));
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.#helloTimer = setTimeout(() => this.#fail(badHello(`no hello within ${env.limits.helloTimeoutMs} ms`)), env.limits.helloTimeoutMs);
    socket.once('close', () => this.#clearHelloTimer());
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      if (!this.#failed) env.log('transport inbound connection error', { peer: this.#peer, remote: this.#remote(), error: err.message });
    });
  }

  get peer(): NodeId | null {
    return this.#peer;
  }

  /** Bytes held for a frame that has not fully arrived. */
  get pendingBytes(): number {
    return this.#decoder.pendingBytes;
  }

  /** Resolves once the socket is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  destroy(): Promise<void> {
    this.#clearHelloTimer();
    this.#decoder.stop();
    this.#socket.destroy();
    return this.#closed;
  }

  #onData(chunk: Buffer): void {
    try {
      this.#decoder.push(chunk);
    } catch (e) {
      // Only the decoder's own refusal is ours to handle; an error thrown by
      // onMessage is the node's and must surface, not be taken for bad input.
      if (e instanceof TransportError && e.code === 'RAFTKV_ERR_FRAME_TOO_LARGE') this.#fail(e);
      else throw e;
    }
  }

  #onFrame(payload: Buffer): void {
    if (this.#failed) return;
    if (this.#peer === null) return this.#onHello(payload);
    this.receivedBytes += payload.length + 4;
    let msgs: Message[];
    try {
      msgs = decodeBatch(payload);
    } catch (e) {
      return this.#fail(e);
    }
    const peer = this.#peer;
    if (this.#env.filter.isCutFrom(peer)) return;
    const onMessage = this.#env.onMessage;
    const ctx = this.#validation!;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const why = validateMessage(m, ctx);
      if (why === undefined) onMessage(m);
      else this.#env.onDropped(peer, m, why);
    }
  }

  #onHello(payload: Buffer): void {
    let refused: string | undefined;
    let id: NodeId;
    try {
      const hello = decodeHello(payload);
      id = hello.id;
      refused = refuseHello(hello, { self: this.#env.self, identity: this.#env.identity, isPeer: this.#env.isPeer });
    } catch (e) {
      return this.#fail(e);
    }
    if (refused !== undefined) return this.#fail(badHello(refused));
    this.#clearHelloTimer();
    this.#peer = id;
    const limits = this.#env.limits;
    this.#validation = {
      self: this.#env.self,
      peer: id,
      maxSnapshotBytes: limits.maxSnapshotBytes,
      // Slack for a leader whose chunks are configured somewhat larger than ours.
      maxChunkBytes: limits.snapshotChunkBytes * 2,
    };
    this.#decoder.maxFrameBytes = limits.maxPeerFrameBytes;
    this.#env.log('transport inbound connection', { peer: id, remote: this.#remote() });
  }

  #fail(e: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#clearHelloTimer();
    this.#decoder.stop();
    const code = e instanceof TransportError ? e.code : undefined;
    this.#env.onRefused({ peer: this.#peer, remote: this.#remote(), code, error: e instanceof Error ? e.message : String(e) });
    this.#socket.destroy();
  }

  #clearHelloTimer(): void {
    if (this.#helloTimer === null) return;
    clearTimeout(this.#helloTimer);
    this.#helloTimer = null;
  }

  #remote(): string {
    return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? '?'}`;
  }
}
