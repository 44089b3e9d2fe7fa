// A node's worker thread is stopped with writes and captures in flight, again
// and again: the process must survive (sqlite3 aborts it if a worker dies with
// work in flight, see docs/ARCHITECTURE.md) and the data must reopen consistent.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from './helpers.js';

describe('stopping a worker that holds the store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('20 stop/restart cycles with work in flight: clean exits, consistent data', async () => {
    const d = join(dir, 'node');
    for (let i = 0; i < 20; i++) {
      const w = new Worker(new URL('./stop-worker.js', import.meta.url), { workerData: { dir: d } });
      const exited = new Promise<number>((resolve) => w.once('exit', resolve));
      const failed = new Promise<never>((_, reject) => w.once('error', reject));
      await Promise.race([new Promise((resolve) => w.once('message', resolve)), failed]);
      await new Promise((resolve) => setTimeout(resolve, 5 + (i % 5) * 10));
      w.postMessage('stop');
      assert.equal(await Promise.race([exited, failed]), 0);
    }
    const s = await SqliteStore.open(d);
    const st = await s.load();
    assert.equal(st.kv.get('applied'), String(st.applied));
    assert.equal(st.entries.length, st.entries.at(-1)!.index);
    await s.close();
  });
});
