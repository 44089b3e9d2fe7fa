// An in-memory peer network for RaftNode.create: nodes joined to one
// MemoryNetwork reach each other by id. Sent messages are delivered on the
// sender's clock's next deferred turn (never inside send: a real network
// never calls back into the sender), cloned when sent, as bytes on a wire are.
// The filter's cuts are honoured (cut to / cut from); loss and delay are not.

import type { Message, NodeId } from '../../src/raft/index.js';
import type { Clock } from '../../src/node/clock.js';
import type { NodeTransport, TransportCallbacks, TransportFactory } from '../../src/node/deps.js';
import { LinkFilter } from '../../src/transport/link-filter.js';
import type { InboundStats } from '../../src/transport/tcp-transport.js';

export class MemoryNetwork {
  readonly #nodes = new Map<NodeId, MemoryTransport>();

  /** The transport factory for node `id` (pass as NodeDeps.transport). */
  factory(id: NodeId, clock: Clock): TransportFactory {
    return (_peers, callbacks) => new MemoryTransport(id, this, clock, callbacks);
  }

  /** Messages sent so far, by type name, over the whole network. */
  readonly sent: Message[] = [];

  /** Node `id`'s transport while it is started: its filter cuts and heals its links. */
  transport(id: NodeId): MemoryTransport {
    const t = this.#nodes.get(id);
    if (!t) throw new Error(`no started transport for ${id}`);
    return t;
  }

  attach(t: MemoryTransport): void {
    this.#nodes.set(t.id, t);
  }

  detach(t: MemoryTransport): void {
    if (this.#nodes.get(t.id) === t) this.#nodes.delete(t.id);
  }

  deliver(from: MemoryTransport, m: Message): void {
    const to = this.#nodes.get(m.to);
    if (!to || from.filter.isCutTo(m.to) || to.filter.isCutFrom(from.id)) return;
    to.receive(m);
  }
}

export class MemoryTransport implements NodeTransport {
  readonly filter = new LinkFilter();
  readonly id: NodeId;
  readonly #net: MemoryNetwork;
  readonly #clock: Clock;
  readonly #callbacks: TransportCallbacks;
  #open = false;

  constructor(id: NodeId, net: MemoryNetwork, clock: Clock, callbacks: TransportCallbacks) {
    this.id = id;
    this.#net = net;
    this.#clock = clock;
    this.#callbacks = callbacks;
  }

  start(): Promise<void> {
    this.#open = true;
    this.#net.attach(this);
    return Promise.resolve();
  }

  send(msgs: readonly Message[]): void {
    if (!this.#open) return;
    for (const m of msgs) {
      const copy = structuredClone(m);
      this.#net.sent.push(copy);
      this.#clock.defer(() => this.#net.deliver(this, copy));
    }
  }

  receive(m: Message): void {
    if (this.#open) this.#callbacks.onMessage(m);
  }

  // Peers are found by id on the network: addresses mean nothing here.
  setPeer(): void {}

  removePeer(): void {}

  inboundStats(): InboundStats {
    return { connections: 0, dropped: 0, refused: 0, pendingBytes: 0 };
  }

  close(): Promise<void> {
    this.#open = false;
    this.#net.detach(this);
    return Promise.resolve();
  }
}
