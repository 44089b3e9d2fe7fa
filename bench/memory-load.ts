// Loading many keys (1 million of 100 bytes by default) into a raftkv
// cluster, 1,000 keys per write (one log entry each), for the memory figures.

import { valueOf } from './load/requests.js';
import type { RaftkvCluster } from './systems/raftkv-cluster.js';
import { sleep } from '../src/kit/wait.js';
import { InternalClient } from '../src/node/internal-client.js';

export interface MemoryLoadResult {
  keysLoaded: number;
  seconds: number;
  /** Every node applied everything before memory was read. */
  caughtUp: boolean;
  rssBytes: number | undefined;
  heapUsedBytes: Record<string, number>;
  keysPerNode: Record<string, number>;
  errors: number;
}

const KEYS_PER_WRITE = 1000;
const IN_FLIGHT = 4;

export async function loadAndMeasureMemory(cluster: RaftkvCluster, leaderHttp: string, keys: number, valueBytes: number, timeoutMs: number, progress: (loaded: number) => void): Promise<MemoryLoadResult> {
  const value = JSON.stringify(valueOf(valueBytes));
  const client = new InternalClient({ timeoutMs: 30_000 });
  const started = performance.now();
  const deadline = started + timeoutMs;
  let next = 0;
  let loaded = 0;
  let errors = 0;
  const writer = async (): Promise<void> => {
    while (next < keys && performance.now() < deadline) {
      const from = next;
      const to = Math.min(keys, from + KEYS_PER_WRITE);
      next = to;
      const parts: string[] = [];
      for (let i = from; i < to; i++) parts.push(`"m${String(i).padStart(7, '0')}":${value}`);
      let done = false;
      for (let attempt = 0; !done && attempt < 5 && performance.now() < deadline; attempt++) {
        done = (await client.call('POST', leaderHttp, '/key', { rawBody: `{${parts.join(',')}}`, headers: { 'content-type': 'application/json' } }).catch(() => undefined))?.ok === true;
        if (!done) {
          errors++;
          await sleep(100);
        }
      }
      if (done) loaded += to - from;
      progress(loaded);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
  const seconds = (performance.now() - started) / 1000;

  // Followers apply a little behind the leader: read memory once all have caught up.
  let caughtUp = false;
  const keysPerNode: Record<string, number> = {};
  const waitUntil = performance.now() + 30_000;
  while (performance.now() < waitUntil) {
    const statuses = await cluster.statuses();
    const commit = Math.max(0, ...statuses.map((s) => s.commit));
    for (const s of statuses) keysPerNode[s.id] = s.keys;
    if (statuses.length === cluster.https.size && statuses.every((s) => s.applied >= commit)) {
      caughtUp = true;
      break;
    }
    await sleep(200);
  }
  const mem = await cluster.memory();
  return { keysLoaded: loaded, seconds, caughtUp, rssBytes: mem?.rss, heapUsedBytes: mem?.heapUsed ?? {}, keysPerNode, errors };
}
