// Not a test: the writer process that crash.test.ts kills with SIGKILL at a
// random moment. It drives the store as the node runtime does (persist a
// ready, apply it, now and then capture + record a snapshot and compact) and
// prints `ack <applied>` after each applyBatch resolved.
//
// Every batch sets `applied` = its applied index and `k<i % 50>` = i, so after
// a crash the kv rows must agree with the stored applied index.

import { SqliteStore, type Durability } from '../../src/storage/sqlite-store.js';
import { EntryKind } from '../../src/raft/types.js';

const [dir, durability] = process.argv.slice(2);
if (dir && !process.env.NODE_TEST_CONTEXT) await run(dir, (durability as Durability) ?? 'fsync');

async function run(dir: string, durability: Durability): Promise<void> {
  const store = await SqliteStore.open(dir, { durability });
  const st = await store.load();
  let last = st.entries.length > 0 ? st.entries[st.entries.length - 1]!.index : st.applied;
  let term = st.hardState.term + 1;
  let applied = st.applied;
  const enc = new TextEncoder();
  for (let round = 0; ; round++) {
    // Every 7th round a new term overwrites the last 3 uncommitted entries, as a new leader would.
    const from = round % 7 === 6 ? Math.max(applied + 1, last - 2) : last + 1;
    if (round % 7 === 6) term++;
    const entries = Array.from({ length: 64 }, (_, i) => ({ index: from + i, term, kind: EntryKind.Normal, data: enc.encode(`e${from + i}`) }));
    last = from + 63;
    const commit = last - 3;
    await store.persist({ entries, hardState: { term, vote: 'n1', commit } });
    const writes = [];
    for (let i = applied + 1; i <= commit; i++) writes.push({ key: `k${i % 50}`, value: String(i) });
    writes.push({ key: 'applied', value: String(commit) });
    await store.applyBatch(writes, [{ client: 'c', seq: commit, result: String(commit) }], commit);
    applied = commit;
    process.stdout.write(`ack ${applied}\n`);
    if (round % 10 === 9) {
      const snap = await store.captureSnapshot();
      await store.recordSnapshot({ index: snap.index, term: snap.term!, confState: { voters: ['n1'], learners: [], removed: [] }, size: snap.size });
      await store.compactLog(snap.index - 20);
    }
  }
}
