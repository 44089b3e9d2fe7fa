// Not a test: the worker thread of worker-stop.test.ts. It writes as a node
// does (persist + applyBatch, a capture now and then) until told to stop, then
// stops the way docs/ARCHITECTURE.md prescribes: close the store, then close the port.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { EntryKind } from '../../src/raft/types.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';

if (!isMainThread && parentPort && workerData?.dir) await run(workerData.dir as string);

async function run(dir: string): Promise<void> {
  const port = parentPort!;
  const store = await SqliteStore.open(dir);
  const st = await store.load();
  let last = st.entries.at(-1)?.index ?? 0;
  let dead = false;
  port.on('message', () => {
    dead = true;
    void store.close().then(() => setImmediate(() => port.close()));
  });
  port.postMessage('ready');
  for (let round = 0; !dead; round++) {
    const entries = Array.from({ length: 64 }, (_, j) => ({ index: last + j + 1, term: 1, kind: EntryKind.Normal, data: new Uint8Array(100) }));
    try {
      const persisted = store.persist({ entries, hardState: { term: 1, vote: '', commit: last } });
      const applied = store.applyBatch([{ key: 'applied', value: String(last) }], [], last);
      if (round % 8 === 0) store.captureSnapshot().catch(() => undefined);
      await Promise.all([persisted, applied]);
      last += 64;
    } catch (e) {
      if (!dead) throw e;
    }
  }
}
