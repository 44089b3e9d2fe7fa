// The NodeTransport the production node runs on in the simulator: one per
// node life, over the simulated network (network.ts: loss, duplication,
// reordering, delays, partitions). Peers are found by id, so addresses mean
// nothing here. The filter is the production LinkFilter, honoured on send as
// TcpTransport honours it, with a seeded random source; the simulator makes
// its faults in the network, so it is normally empty.

import type { Message, NodeId, SeededRand } from '../../src/raft/index.js';
import type { NodeTransport, TransportCallbacks } from '../../src/node/deps.js';
import { LinkFilter } from '../../src/transport/link-filter.js';
import type { InboundStats } from '../../src/transport/tcp-transport.js';
import type { Life } from './sim-clock.js';

export interface TransportHost {
  /** Put `m` on the network. */
  send(m: Message): void;
  /** Count a call into the simulated world (EventQueue.activity). */
  touch(): void;
}

export class SimTransport implements NodeTransport {
  readonly filter: LinkFilter;
  readonly #id: NodeId;
  readonly #host: TransportHost;
  readonly #life: Life;
  readonly #callbacks: TransportCallbacks;
  #open = false;

  constructor(id: NodeId, host: TransportHost, life: Life, callbacks: TransportCallbacks, rand: SeededRand) {
    this.#id = id;
    this.#host = host;
    this.#life = life;
    this.#callbacks = callbacks;
    this.filter = new LinkFilter(() => rand.next());
  }

  start(): Promise<void> {
    this.#open = true;
    return Promise.resolve();
  }

  send(msgs: readonly Message[]): void {
    this.#host.touch();
    if (!this.#open || this.#life.dead) return;
    const f = this.filter;
    for (const m of msgs) {
      if (f.active && (f.dropsTo(m.to) || f.isCutTo(m.to))) continue;
      this.#host.send(m);
    }
  }

  /** A message arrived for this node (from the network): handed over unless the process is dead, or once it thaws. */
  deliver(m: Message): void {
    if (!this.#open) return;
    this.#life.run(() => {
      if (this.#open && !(this.filter.active && this.filter.isCutFrom(m.from))) this.#callbacks.onMessage(m);
    });
  }

  /** The connection to `peer` closed (it crashed, or the link blipped). */
  peerDown(peer: NodeId): void {
    if (!this.#open) return;
    this.#life.run(() => {
      if (this.#open) this.#callbacks.onPeerDown(peer);
    });
  }

  setPeer(): void {}

  removePeer(): void {}

  inboundStats(): InboundStats {
    return { connections: 0, dropped: 0, refused: 0, pendingBytes: 0 };
  }

  close(): Promise<void> {
    this.#host.touch();
    this.#open = false;
    return Promise.resolve();
  }

  get id(): NodeId {
    return this.#id;
  }
}
