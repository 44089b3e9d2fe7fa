// Transport throughput on loopback (a measuring script, not a test):
//
//   npx tsc -p tsconfig.build.json && node dist/test/transport/throughput.js [seconds-per-case]
//
// App messages of 64 entries x 16 bytes go from a leader transport to a
// follower transport, which answers each with an AppResp (as a follower does),
// batched once per event-loop turn (as a node's ready loop does). The leader
// keeps a bounded window of unanswered messages, like Raft's in-flight limit,
// so nothing is dropped. Cases: the codec alone; both transports in this
// thread; the follower in a worker thread (one node per thread, as the
// cluster runs them). Numbers are for comparison on one machine, not limits.

import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { EntryKind, MessageType, type Message } from '../../src/raft/types.js';
import { decodeBatch, encodeBatchFrame } from '../../src/transport/codec.js';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { clusterIdentity } from '../../src/common/cluster-identity.js';

const IDENTITY = clusterIdentity('throughput-cluster-token');

const ENTRIES = 64;
const ENTRY_BYTES = 16;
const WINDOW = 2048; // unanswered App messages

function appMessage(from: string, to: string, i: number): Message {
  const entries = Array.from({ length: ENTRIES }, (_, k) => ({
    index: 1_000_000 + i * ENTRIES + k,
    term: 3,
    kind: EntryKind.Normal,
    data: new Uint8Array(ENTRY_BYTES).fill(k),
  }));
  return { type: MessageType.App, from, to, term: 3, index: 1_000_000 + i * ENTRIES - 1, logTerm: 3, commit: 1_000_000 + i * ENTRIES - 1, entries };
}

/** A follower: answers every App with an AppResp, one send per event-loop turn. */
async function startFollower(id: string): Promise<{ transport: TcpTransport; port: number }> {
  let pending: Message[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const out = pending;
    pending = [];
    transport.send(out);
  };
  const transport = new TcpTransport({
    id,
    identity: IDENTITY,
    listen: '127.0.0.1:0',
    peers: {},
    maxQueuedBytes: 1 << 30,
    onMessage: (m) => {
      if (m.type !== MessageType.App) return;
      const last = m.entries!.at(-1)!.index;
      pending.push({ type: MessageType.AppResp, from: id, to: m.from, term: m.term, index: last, logTerm: 0, commit: 0 });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
  });
  const { port } = await transport.start();
  return { transport, port };
}

interface Result {
  msgs: number;
  seconds: number;
  wireBytes: number;
}

/** The leader side: sends `perSend` App messages per send() call for `seconds`, within the window. */
async function lead(followerAddr: string, setLeaderAddr: (addr: string) => Promise<void>, perSend: number, seconds: number): Promise<Result> {
  let acked = 0;
  let sent = 0;
  let wake: (() => void) | null = null;
  const leader = new TcpTransport({
    id: 'leader',
    identity: IDENTITY,
    listen: '127.0.0.1:0',
    peers: { f: followerAddr },
    maxQueuedBytes: 1 << 30,
    onMessage: (m) => {
      if (m.type !== MessageType.AppResp) return;
      acked++;
      if (wake !== null && (sent - acked <= WINDOW / 2 || acked === sent)) {
        const w = wake;
        wake = null;
        w();
      }
    },
  });
  const { host, port } = await leader.start();
  await setLeaderAddr(`${host}:${port}`);
  const pool = Array.from({ length: 256 }, (_, i) => appMessage('leader', 'f', i));
  const batch: Message[] = [];
  // Warm up (connections, JIT), then measure.
  const runFor = async (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      while (sent - acked < WINDOW) {
        batch.length = 0;
        for (let k = 0; k < perSend; k++) batch.push(pool[(sent + k) & 255]!);
        leader.send(batch);
        sent += perSend;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    while (acked < sent) await new Promise<void>((resolve) => (wake = resolve));
  };
  await runFor(300);
  const sent0 = sent;
  const bytes0 = leader.stats().f!.sentBytes;
  const t0 = performance.now();
  await runFor(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  const s = leader.stats().f!;
  await leader.close();
  if (s.dropped > 0) throw new Error(`dropped ${s.dropped} messages`);
  return { msgs: sent - sent0, seconds: elapsed, wireBytes: s.sentBytes - bytes0 };
}

function report(name: string, r: Result): void {
  const mps = r.msgs / r.seconds;
  const payloadMB = (mps * ENTRIES * ENTRY_BYTES) / 1e6;
  const wireMB = r.wireBytes / r.seconds / 1e6;
  console.log(
    `${name.padEnd(44)} ${Math.round(mps).toLocaleString('en').padStart(9)} msg/s  ${Math.round(mps * ENTRIES).toLocaleString('en').padStart(11)} entries/s  ` +
      `${wireMB.toFixed(1).padStart(6)} MB/s wire  ${payloadMB.toFixed(1).padStart(6)} MB/s entry data`,
  );
}

function codecBench(perFrame: number, seconds: number): void {
  const msgs = Array.from({ length: perFrame }, (_, i) => appMessage('leader', 'f', i));
  const frame = encodeBatchFrame(msgs);
  for (const [what, fn] of [
    ['encode', () => encodeBatchFrame(msgs)],
    ['decode', () => decodeBatch(frame.subarray(4))],
  ] as const) {
    let n = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    while (performance.now() < end) for (let i = 0; i < 50; i++, n++) fn();
    const elapsed = (performance.now() - t0) / 1000;
    report(`codec ${what}, ${perFrame} msg/frame`, { msgs: n * perFrame, seconds: elapsed, wireBytes: (n * frame.length) });
  }
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 2);
  const frameBytes = encodeBatchFrame([appMessage('leader', 'f', 0)]).length;
  console.log(`App message: ${ENTRIES} entries x ${ENTRY_BYTES} B = ${ENTRIES * ENTRY_BYTES} B of entry data, ${frameBytes} B framed alone; window ${WINDOW} msgs; ${seconds} s per case`);

  for (const perFrame of [1, 16]) codecBench(perFrame, seconds / 2);

  for (const perSend of [1, 16]) {
    const f = await startFollower('f');
    const r = await lead(`127.0.0.1:${f.port}`, async (addr) => f.transport.setPeer('leader', addr), perSend, seconds);
    await f.transport.close();
    report(`loopback, same thread, ${perSend} msg/send`, r);
  }

  for (const perSend of [1, 16]) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { follower: 'f' } });
    const port = await new Promise<number>((resolve) => worker.once('message', resolve));
    const r = await lead(`127.0.0.1:${port}`, (addr) => {
        worker.postMessage({ leader: addr });
        return new Promise<void>((resolve) => worker.once('message', () => resolve()));
      }, perSend, seconds);
    worker.postMessage('stop');
    await new Promise((resolve) => worker.once('exit', resolve));
    report(`loopback, follower in a worker, ${perSend} msg/send`, r);
  }
}

async function followerWorker(id: string): Promise<void> {
  const f = await startFollower(id);
  parentPort!.on('message', (m: unknown) => {
    if (m === 'stop') void f.transport.close().then(() => parentPort!.close());
    else if (typeof m === 'object' && m !== null && 'leader' in m) {
      f.transport.setPeer('leader', String(m.leader));
      parentPort!.postMessage('ready');
    }
  });
  parentPort!.postMessage(f.port);
}

if (!isMainThread) {
  await followerWorker((workerData as { follower: string }).follower);
} else if (process.env.NODE_TEST_CONTEXT !== undefined) {
  // `node --test dist/test/transport/` runs every file under a test folder; this one is not a test.
  console.log('throughput.js is a measuring script; run it with node directly');
} else {
  await main();
}
