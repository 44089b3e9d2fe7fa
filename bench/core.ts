// Throughput of the consensus core alone: a 3-node cluster in memory, no I/O,
// messages delivered at once, "persistence" instantaneous. Prints a last line
// `entries/s: N` for entries committed on the leader with 64-entry proposal batches.

import { cac } from 'cac';
import { RawNode, Role, SeededRand, type Message } from '../src/raft/index.js';

interface Options { seconds: number; batch: number; size: number; nodes: number }

function run(opts: Options): { entries: number; seconds: number; commits: number } {
  const ids = Array.from({ length: opts.nodes }, (_, i) => `n${i + 1}`);
  const rand = new SeededRand(42);
  const nodes = new Map(ids.map((id) => [id, new RawNode({ id, rand: rand.fork(), bootstrap: ids, electionTicks: [10, 20], maxInflightMsgs: 4096, compactionTrailing: 1000 })]));
  let queue: Message[] = [];
  const applied = new Map(ids.map((id) => [id, 0]));

  const pump = (): void => {
    for (let busy = true; busy; ) {
      busy = false;
      for (const [id, n] of nodes) {
        if (!n.hasReady()) continue;
        busy = true;
        const rd = n.ready();
        for (const m of rd.messages) queue.push(m);
        for (const m of rd.persistedMessages) queue.push(m);
        if (rd.committed.length > 0) applied.set(id, rd.committed[rd.committed.length - 1]!.index);
        n.advance(rd);
      }
      if (queue.length > 0) {
        busy = true;
        const q = queue;
        queue = [];
        for (const m of q) nodes.get(m.to)?.step(m);
      }
    }
  };

  // Elect n1.
  nodes.get('n1')!.campaign();
  pump();
  const leader = nodes.get('n1')!;
  if (leader.status().role !== Role.Leader) throw new Error('n1 did not become leader');

  const payload = Array.from({ length: opts.batch }, (_, i) => new Uint8Array(opts.size).fill(i & 0xff));
  const startCommit = leader.status().commit;
  const start = performance.now();
  const deadline = start + opts.seconds * 1000;
  let rounds = 0;
  while (performance.now() < deadline) {
    for (let k = 0; k < 16; k++) {
      leader.proposeBatch(payload);
      rounds++;
    }
    pump();
    // Keep memory flat: capture a "snapshot" every so often, as the runtime would.
    for (const [id, n] of nodes) {
      const a = applied.get(id)!;
      if (a - n.status().snapshotIndex > 50_000) n.snapshotCaptured(a, 0);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const entries = leader.status().commit - startCommit;
  return { entries, seconds, commits: rounds };
}

const cli = cac('bench:core');
cli
  .option('--seconds <s>', 'how long to run', { default: 3 })
  .option('--batch <n>', 'entries per proposal', { default: 64 })
  .option('--size <bytes>', 'bytes per entry', { default: 16 })
  .option('--nodes <n>', 'cluster size', { default: 3 });
const { options } = cli.parse();
const opts: Options = { seconds: Number(options.seconds), batch: Number(options.batch), size: Number(options.size), nodes: Number(options.nodes) };
run({ ...opts, seconds: 0.5 }); // warm-up
const r = run(opts);
console.log(`nodes: ${opts.nodes}, batch: ${opts.batch}, entry bytes: ${opts.size}, seconds: ${r.seconds.toFixed(2)}, proposals: ${r.commits}`);
console.log(`entries/s: ${Math.round(r.entries / r.seconds)}`);
