// Helpers for the transport tests: messages of every type, transports on
// port 0 of loopback that the test closes, and polling waits.

import { clusterIdentity } from '../../src/common/cluster-identity.js';
import { EntryKind, MessageType, type Message, type NodeId } from '../../src/raft/types.js';
import { TcpTransport, type TransportLogLevel, type TransportOptions } from '../../src/transport/tcp-transport.js';

/** The cluster every test transport belongs to (unless a test says otherwise). */
export const TEST_IDENTITY = clusterIdentity('transport-tests-cluster-token');

export const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs);

/** A heartbeat whose `context` numbers it, to check order and duplicates. */
export function numbered(from: NodeId, to: NodeId, n: number): Message {
  return { type: MessageType.Heartbeat, from, to, term: 1, index: 0, logTerm: 0, commit: 0, context: n };
}

/** One message of every type, each with the fields that type uses. */
export function everyMessageType(from: NodeId, to: NodeId): Message[] {
  const base = { from, to, term: 7, index: 0, logTerm: 0, commit: 0 };
  const meta = { index: 100, term: 6, size: 4096, confState: { voters: ['n1', 'n2', 'n3'], learners: ['n4'], removed: ['n0'] } };
  return [
    { ...base, type: MessageType.PreVote, term: 8, index: 41, logTerm: 6 },
    { ...base, type: MessageType.PreVoteResp, term: 8, reject: false },
    { ...base, type: MessageType.Vote, index: 41, logTerm: 6, force: true },
    { ...base, type: MessageType.VoteResp, reject: true },
    {
      ...base,
      type: MessageType.App,
      index: 40,
      logTerm: 6,
      commit: 39,
      entries: [
        { index: 41, term: 7, kind: EntryKind.Noop, data: new Uint8Array(0) },
        { index: 42, term: 7, kind: EntryKind.Normal, data: bytes(0, 1, 2, 255) },
        { index: 43, term: 7, kind: EntryKind.ConfChange, data: new TextEncoder().encode('{"type":"add-voter","node":"n4"}') },
        { index: 44, term: 7, kind: EntryKind.Normal, data: new Uint8Array(70_000).fill(7) },
      ],
    },
    { ...base, type: MessageType.App, index: 43, logTerm: 7, commit: 43, entries: [] },
    { ...base, type: MessageType.AppResp, index: 43 },
    { ...base, type: MessageType.AppResp, index: 40, reject: true, rejectHint: 35, logTerm: 5 },
    { ...base, type: MessageType.Heartbeat, commit: 43, context: 12 },
    { ...base, type: MessageType.HeartbeatResp, context: 12 },
    { ...base, type: MessageType.Snap, snapshot: meta, offset: 1024, chunkSize: 1024, data: new Uint8Array(1024).map((_, i) => i & 0xff), checksum: 0xdeadbeef, last: false },
    { ...base, type: MessageType.Snap, snapshot: meta, offset: 3072, data: bytes(9, 8, 7), checksum: 1, last: true },
    { ...base, type: MessageType.SnapResp, index: 100, offset: 2048, reject: false },
    { ...base, type: MessageType.TimeoutNow },
    { ...base, type: MessageType.ReadIndex, context: 2 ** 31 + 5 },
    { ...base, type: MessageType.ReadIndexResp, index: 43, context: 2 ** 31 + 5 },
  ];
}

export interface TestNode {
  transport: TcpTransport;
  addr: string;
  port: number;
  received: Message[];
  logs: { event: string; fields: Record<string, unknown>; level: TransportLogLevel }[];
}

/**
 * Starts a transport on 127.0.0.1 (port 0 unless given) that records what it
 * receives and logs. It accepts connections only from its peers: a test
 * whose node is dialed by one it does not dial itself introduces them with
 * `meet`.
 */
export async function startNode(id: NodeId, peers: Record<NodeId, string> = {}, opts: Partial<TransportOptions> = {}): Promise<TestNode> {
  const received: Message[] = [];
  const logs: TestNode['logs'] = [];
  const transport = new TcpTransport({
    id,
    identity: TEST_IDENTITY,
    listen: '127.0.0.1:0',
    peers,
    onMessage: (m) => received.push(m),
    logger: (event, fields, level) => logs.push({ event, fields, level }),
    ...opts,
  });
  const { host, port } = await transport.start();
  return { transport, addr: `${host}:${port}`, port, received, logs };
}

/** Makes each node a peer of the others (every member of a cluster knows every other). */
export function meet(...nodes: TestNode[]): void {
  for (const n of nodes) for (const other of nodes) if (other !== n) n.transport.setPeer(other.transport.id, other.addr);
}

import { sleep } from '../../src/kit/wait.js';
export { sleep };

/** Polls until `cond` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** The `context` numbers of received messages, in arrival order. */
export const contexts = (ms: readonly Message[]): number[] => ms.map((m) => m.context ?? -1);

/** Whether xs is strictly increasing (no duplicates, no reordering). */
export function strictlyIncreasing(xs: readonly number[]): boolean {
  for (let i = 1; i < xs.length; i++) if (xs[i]! <= xs[i - 1]!) return false;
  return true;
}

/**
 * A target `b` and its healthy peer `a`, talking (both pushed to `open` for
 * closing); `check(n)` proves a's message n still reaches b.
 */
export async function healthyPair(open: TestNode[], bOpts: Partial<TransportOptions> = {}): Promise<{ a: TestNode; b: TestNode; check: (n: number) => Promise<void> }> {
  const b = await startNode('b', {}, bOpts);
  const a = await startNode('a', { b: b.addr });
  open.push(a, b);
  meet(a, b);
  const check = async (n: number): Promise<void> => {
    a.transport.send([numbered('a', 'b', n)]);
    await waitFor(() => b.received.at(-1)?.context === n, `message ${n} from the healthy peer`);
  };
  await check(0);
  return { a, b, check };
}
