// Kill a writer process with SIGKILL at random moments; after each crash the
// store must open and load a consistent state that holds every acknowledged
// apply (both durability levels survive a process crash).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { SqliteStore, type Durability } from '../../src/storage/sqlite-store.js';
import { tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

/** Run the writer until it acknowledged `minAcks` more applies, then SIGKILL it after `delayMs`. Returns the last ack. */
function runAndKill(dir: string, durability: Durability, minAcks: number, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, durability], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_TEST_CONTEXT: '' } });
    let acks = 0;
    let last = 0;
    let buf = '';
    let stderr = '';
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const m = /^ack (\d+)$/.exec(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m) {
          acks++;
          last = Number(m[1]);
        }
      }
      if (acks >= minAcks && !armed) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash consistency (SIGKILL of the writer process)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  for (const durability of ['fsync', 'os'] as const) {
    it(`durability ${durability}: every crash leaves a consistent state with all acknowledged applies`, async () => {
      const d = `${dir}/${durability}`;
      for (let round = 0; round < 4; round++) {
        const acked = await runAndKill(d, durability, 12 + round * 5, Math.floor(Math.random() * 40));
        const s = await SqliteStore.open(d, { durability });
        const st = await s.load(); // throws on a gap, a bad checksum, applied out of range
        if (process.env.CRASH_DEBUG) console.log({ acked, applied: st.applied, snap: st.snapshot?.index, first: st.entries[0]?.index, last: st.entries.at(-1)?.index });
        assert.ok(st.applied >= acked, `applied ${st.applied} < acknowledged ${acked}`);
        assert.equal(st.kv.get('applied'), String(st.applied), 'kv and applied index disagree');
        assert.equal(st.kv.get(`k${st.applied % 50}`), String(st.applied));
        assert.equal(st.sessions.get('c')?.seq, st.applied);
        const first = st.entries[0]?.index ?? Infinity;
        const last = st.entries[st.entries.length - 1]?.index ?? 0;
        const snapIndex = st.snapshot?.index ?? 0;
        assert.ok(first <= snapIndex + 1, `log starts at ${first}, snapshot at ${snapIndex}`);
        assert.ok(snapIndex <= st.applied && st.applied <= Math.max(last, snapIndex));
        assert.ok(st.hardState.commit <= last);
        if (st.snapshot) assert.equal((await s.readSnapshotChunk(snapIndex, 0, 16)).byteLength, 16, 'the recorded snapshot file exists');
        await s.close();
      }
    });
  }
});
