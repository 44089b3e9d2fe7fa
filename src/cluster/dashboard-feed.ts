// What the dashboard shows, pushed to each open page as Server-Sent Events
// on the control server: five frames a second of every node's state, the
// link rules in force, and the new events. SSE rather than a WebSocket: the
// control API is a node:http server in the launcher (uWS lives in the node
// threads), the page only listens (its buttons are plain control API calls),
// and EventSource reconnects by itself.

import type http from 'node:http';
import type { LinkStats } from '../node/deps.js';
import type { Traffic } from '../node/request-meter.js';
import type { LinkRule } from '../node/worker-protocol.js';
import type { ClusterEvent, EventLog } from './cluster-events.js';
import type { Launcher, NodeState } from './launcher.js';

export interface FrameNode {
  id: string;
  shard?: string;
  state: NodeState;
  /** Every link to the other nodes of its shard is cut. */
  cutOff: boolean;
  failed?: string;
  http: string;
  role: string;
  term: number | null;
  leader: string;
  commit: number | null;
  applied: number | null;
  firstIndex: number | null;
  lastIndex: number | null;
  snapshotIndex: number | null;
  keys: number | null;
  links: Record<string, LinkStats>;
  traffic: Traffic | null;
}

export interface Frame {
  time: number;
  isolation: string;
  nodes: FrameNode[];
  /** The link rules in force per node: its outbound cuts (and inbound ones), delay and loss. */
  rules: Record<string, LinkRule[]>;
  events: ClusterEvent[];
}

/** Every node's state now (the nodes that do not answer within `timeoutMs` show what the launcher knows). */
export async function buildFrame(launcher: Launcher, timeoutMs: number): Promise<Omit<Frame, 'events'>> {
  const statuses = await launcher.statuses(timeoutMs);
  const nodes = launcher.ids.map((id): FrameNode => {
    const s = statuses.get(id);
    const shard = launcher.shardOf(id);
    const failed = launcher.failureOf(id);
    return {
      id,
      ...(shard !== undefined ? { shard } : {}),
      state: launcher.stateOf(id),
      cutOff: launcher.isCutOff(id),
      ...(failed !== undefined ? { failed } : {}),
      http: launcher.entry(id).http,
      role: s?.role ?? '-',
      term: s?.term ?? null,
      leader: s?.leader ?? '',
      commit: s?.commit ?? null,
      applied: s?.applied ?? null,
      firstIndex: s?.firstIndex ?? null,
      lastIndex: s?.lastIndex ?? null,
      snapshotIndex: s?.snapshotIndex ?? null,
      keys: s?.keys ?? null,
      links: s?.links ?? {},
      traffic: s?.traffic ?? null,
    };
  });
  return { time: Date.now(), isolation: launcher.isolation, nodes, rules: launcher.linkRules() };
}

interface Client {
  res: http.ServerResponse;
  /** The last event this page has. */
  seq: number;
}

export class DashboardFeed {
  readonly #launcher: Launcher;
  readonly #events: EventLog;
  readonly #intervalMs: number;
  readonly #clients = new Set<Client>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(launcher: Launcher, events: EventLog, intervalMs = 200) {
    this.#launcher = launcher;
    this.#events = events;
    this.#intervalMs = intervalMs;
  }

  /** Open pages now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Serve GET /events: this response stays open, a frame at a time; `lastSeq` (Last-Event-ID on a reconnect) skips events it has. */
  attach(res: http.ServerResponse, lastSeq: number): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    // Reconnect after a second if the launcher goes away and comes back.
    res.write('retry: 1000\n\n');
    const client: Client = { res, seq: Number.isSafeInteger(lastSeq) && lastSeq > 0 ? lastSeq : 0 };
    this.#clients.add(client);
    res.on('close', () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stop();
    });
    this.#timer ??= setInterval(() => void this.#tick(), this.#intervalMs);
    void this.#tick();
  }

  /** Close every page's stream (the control server is closing). */
  close(): void {
    this.#stop();
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    // A slow answer (a paused node waits out its timeout) skips frames rather than piling them up.
    if (this.#busy || this.#clients.size === 0) return;
    this.#busy = true;
    try {
      const frame = await buildFrame(this.#launcher, Math.max(100, this.#intervalMs * 2));
      for (const c of this.#clients) {
        const events = this.#events.since(c.seq);
        if (events.length > 0) c.seq = events[events.length - 1]!.seq;
        if (!c.res.writableEnded) c.res.write(`id: ${c.seq}\ndata: ${JSON.stringify({ ...frame, events } satisfies Frame)}\n\n`);
      }
    } catch (e) {
      this.#launcher.log('error', 'dashboard: a frame could not be built (a bug?)', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    } finally {
      this.#busy = false;
    }
  }
}
