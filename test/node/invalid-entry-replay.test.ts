// A committed entry the state machine cannot apply (written by an older
// version, or by a bug) must not stop the node that replays it: it is skipped
// with an error result, identically on every replica, and the node serves.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encodeEnvelope } from '../../src/node/kv-state.js';
import { makeLogger, type LogRecord } from '../../src/node/logger.js';
import { runNode, type NodeRunOptions, type RunningNode } from '../../src/start/run-node.js';
import { newClusterToken } from '../../src/common/cluster-identity.js';
import { EntryKind } from '../../src/raft/index.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { freePorts } from '../../src/kit/ports.js';
import { http } from '../helpers/test-cluster.js';
import { until } from '../../src/kit/wait.js';

test('a database holding invalid committed entries starts, skips them with an error result, and serves', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-replay-'));
  const [hp, rp] = await freePorts(2);
  const addrs = { http: `127.0.0.1:${hp}`, raft: `127.0.0.1:${rp}` };
  const logs: LogRecord[] = [];
  const opts: NodeRunOptions = {
    id: 'solo', dir, durability: 'os', addrs, founders: { solo: addrs }, clusterToken: newClusterToken(),
    tickMs: 10, heartbeatTicks: 3, electionTicks: [20, 40], snapshotEvery: 10_000, maxBodyBytes: 1 << 20,
  };
  const url = `http://${addrs.http}`;
  let node: RunningNode | undefined;
  try {
    node = await runNode(opts, makeLogger((r) => logs.push(r), 'info'));
    await until('a leader', async () => ((await http('GET', `${url}/status`)).json.role === 'leader' ? true : undefined), { timeoutMs: 15_000, everyMs: 20 });
    assert.equal((await http('POST', `${url}/key`, { before: 'kept' })).status, 200);
    await node.stop();
    node = undefined;

    // Append, as a bug or an older version might have, entries no front would
    // propose, and mark them committed.
    const store = await SqliteStore.open(dir, { durability: 'os' });
    const loaded = await store.load();
    const last = loaded.entries[loaded.entries.length - 1]!;
    const bad = [
      encodeEnvelope({ cmd: { op: 'set', kv: [['k', true]] } } as never),
      encodeEnvelope({ cmd: { op: 'set', kv: [['\u0000member/ghost', '{"raft":"127.0.0.1:1","http":"127.0.0.1:2"}']] } }),
      encodeEnvelope({ cmd: { op: 'explode' } } as never),
      new Uint8Array([0xc1, 0xff, 0x00]),
    ];
    const entries = bad.map((data, i) => ({ index: last.index + 1 + i, term: last.term, kind: EntryKind.Normal, data }));
    await store.persist({ entries, hardState: { ...loaded.hardState, commit: last.index + bad.length } });
    await store.close();

    node = await runNode(opts, makeLogger((r) => logs.push(r), 'info'));
    await until('a leader after the restart', async () => ((await http('GET', `${url}/status`)).json.role === 'leader' ? true : undefined), { timeoutMs: 15_000, everyMs: 20 });
    const status = (await http('GET', `${url}/status`)).json;
    assert.ok(status.applied >= last.index + bad.length, `applied ${status.applied} passes the invalid entries`);
    const skipped = logs.filter((r) => r.msg === 'invalid entry skipped' || r.msg === 'undecodable entry skipped');
    assert.equal(skipped.length, bad.length, skipped.map((r) => JSON.stringify(r)).join('\n'));
    assert.deepEqual((await http('GET', `${url}/key/before`)).json, { before: 'kept' });
    assert.equal((await http('GET', `${url}/key/k`)).status, 404);
    assert.equal(status.members.ghost, undefined, 'no client entry can write a member record');
    assert.equal((await http('POST', `${url}/key`, { after: 'written' })).status, 200);
    assert.deepEqual((await http('GET', `${url}/key/after`)).json, { after: 'written' });
  } finally {
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
