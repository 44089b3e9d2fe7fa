// The receiving side of one accepted connection: the first frame names the
// dialing node (hello), every later frame is a batch of messages, handed on
// in arrival order. Anything unreadable closes this connection only.

import type net from 'node:net';
import type { Message, NodeId } from '../raft/types.js';
import { decodeBatch, decodeHello } from './codec.js';
import { TransportError } from './errors.js';
import { FrameDecoder } from './framing.js';
import type { LinkFilter } from './link-filter.js';

export interface InboundEnv {
  maxFrameBytes: number;
  filter: LinkFilter;
  onMessage: (m: Message) => void;
  log: (event: string, fields: Record<string, unknown>) => void;
}

export class InboundConnection {
  readonly #socket: net.Socket;
  readonly #env: InboundEnv;
  readonly #decoder: FrameDecoder;
  readonly #closed: Promise<void>;
  /** The dialer, once its hello has arrived. */
  #peer: NodeId | null = null;
  #failed = false;

  constructor(socket: net.Socket, env: InboundEnv) {
    this.#socket = socket;
    this.#env = env;
    this.#decoder = new FrameDecoder(env.maxFrameBytes, (payload) => this.#onFrame(payload));
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => {
      if (!this.#failed) env.log('transport inbound connection error', { peer: this.#peer, remote: this.#remote(), error: err.message });
    });
  }

  get peer(): NodeId | null {
    return this.#peer;
  }

  /** Resolves once the socket is closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  destroy(): Promise<void> {
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
    if (this.#peer === null) {
      try {
        this.#peer = decodeHello(payload);
      } catch (e) {
        return this.#fail(e);
      }
      this.#env.log('transport inbound connection', { peer: this.#peer, remote: this.#remote() });
      return;
    }
    let msgs: Message[];
    try {
      msgs = decodeBatch(payload);
    } catch (e) {
      return this.#fail(e);
    }
    if (this.#env.filter.isCutFrom(this.#peer)) return;
    const onMessage = this.#env.onMessage;
    for (let i = 0; i < msgs.length; i++) onMessage(msgs[i]!);
  }

  #fail(e: unknown): void {
    this.#failed = true;
    this.#decoder.stop();
    const code = e instanceof TransportError ? e.code : undefined;
    this.#env.log('transport closing inbound connection', { peer: this.#peer, remote: this.#remote(), code, error: e instanceof Error ? e.message : String(e) });
    this.#socket.destroy();
  }

  #remote(): string {
    return `${this.#socket.remoteAddress ?? '?'}:${this.#socket.remotePort ?? '?'}`;
  }
}
