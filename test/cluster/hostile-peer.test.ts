// Hostile input on the peer ports of a real cluster: the issue's
// reproduction (a Heartbeat at the leader's own term, sent to the leader by
// a correctly authenticated member) and the rest of the bad input, aimed at
// every node. Afterwards every node is alive, takes a write, and still
// holds what was written before.

import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { clusterIdentity } from '../../src/common/cluster-identity.js';
import { EntryKind, MessageType, type Message } from '../../src/raft/types.js';
import { encodeBatchFrame, encodeHelloFrame } from '../../src/transport/codec.js';
import { TestCluster, http, sleep, writeMany } from '../helpers/test-cluster.js';

/** Connects to `addr`, writes `frames`, and closes after `holdMs` (or when the node closes it). */
function session(addr: string, frames: Buffer[], holdMs = 200): Promise<void> {
  const colon = addr.lastIndexOf(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: addr.slice(0, colon), port: Number(addr.slice(colon + 1)) });
    s.on('error', () => {});
    s.on('data', () => {});
    s.once('close', () => resolve());
    s.once('connect', () => {
      for (const f of frames) s.write(f);
      setTimeout(() => s.destroy(), holdMs);
    });
  });
}

const base = (from: string, to: string, term: number): Message => ({ type: MessageType.Heartbeat, from, to, term, index: 0, logTerm: 0, commit: 0 });

test('hostile peers stop no node: a Heartbeat at the leader term to the leader, forged hellos and impossible messages', async () => {
  const c = await TestCluster.start();
  try {
    const leader = await c.waitForLeader();
    const before = await writeMany(c.url(leader, ''), 'before-', 50, 8);
    assert.equal(before.length, 50);
    const identity = clusterIdentity(c.launcher.clusterToken);
    const ids = c.launcher.ids;

    // The reproduction: a member's authenticated hello, then a Heartbeat at the leader's own term.
    // (Retried if an election moves the term in between: the machine may be loaded.)
    const impossibleSeen = () => c.logs.some((r) => r.msg === 'impossible message dropped' && r.level === 'warn' && String(r.reason).includes('two leaders'));
    for (let attempt = 0; attempt < 5 && !impossibleSeen(); attempt++) {
      const lead = await c.waitForLeader();
      const member = c.followers(lead)[0]!;
      const term = (await http('GET', c.url(lead, '/status'))).json.term as number;
      const hb: Message = { ...base(member, lead, term), commit: 1_000_000 };
      await session(c.launcher.entry(lead).raft, [encodeHelloFrame(member, identity), encodeBatchFrame([hb, hb, hb])]);
      await c.waitFor(async () => impossibleSeen(), 2000, 'the leader to drop the impossible heartbeat').catch(() => {});
    }
    assert.ok(impossibleSeen(), 'the leader logged the impossible message at warn');

    // The rest, at every node.
    const other = clusterIdentity('another-clusters-token-123');
    for (const target of ids) {
      const member = ids.find((id) => id !== target)!;
      const addr = c.launcher.entry(target).raft;
      const term = (await http('GET', c.url(target, '/status'))).json.term as number;
      const entry = (index: number) => ({ index, term, kind: EntryKind.Normal, data: new Uint8Array(4) });
      const hello = encodeHelloFrame(member, identity);
      await Promise.all([
        session(addr, [encodeHelloFrame('mallory', identity), encodeBatchFrame([base('mallory', target, term + 5)])]),
        session(addr, [encodeHelloFrame(member, other), encodeBatchFrame([base(member, target, term + 5)])]),
        session(addr, [Buffer.from('GET / HTTP/1.1\r\n\r\n')]),
        session(addr, [
          hello,
          encodeBatchFrame([
            { ...base(member, target, term + 5), type: MessageType.Snap, offset: 0, data: new Uint8Array(8), checksum: 0, last: true },
            { ...base(member, target, term), type: MessageType.App, index: 1, logTerm: 1, entries: [entry(2), entry(4)] },
            { ...base(member, target, NaN) },
            { ...base(member, target, 2 ** 60) },
            { ...base(member, target, -1) },
            { ...base('someone-else', target, term + 5) },
            { ...base(member, 'someone-else', term + 5) },
          ]),
        ]),
      ]);
      const drops = c.logs.filter((r) => r.msg === 'transport message dropped' && r.id === target);
      assert.ok(drops.length >= 1, `${target} logged its dropped messages`);
    }
    await sleep(200);

    for (const id of ids) assert.equal(c.launcher.stateOf(id), 'alive', `${id} is alive`);
    await c.waitForLeader();
    for (const id of ids) {
      const r = await http('POST', c.url(id, '/key'), { [`after-${id}`]: id });
      assert.equal(r.status, 200, `a write through ${id}: ${r.text}`);
    }
    for (const id of ids) {
      for (const key of [before[0]!, before[25]!, before[49]!, `after-${ids[0]}`]) {
        const r = await http('GET', c.url(id, `/key/${key}`));
        assert.equal(r.status, 200, `${key} on ${id}`);
      }
    }
    for (const key of before) {
      const i = Number(key.slice('before-'.length));
      assert.deepEqual((await http('GET', c.url(ids[0]!, `/key/${key}`))).json, { [key]: `v${i}` });
    }
    assert.ok(c.logs.some((r) => r.msg === 'transport closing inbound connection' && String(r.error).includes('another cluster')));
    assert.ok(c.logs.some((r) => r.msg === 'transport closing inbound connection' && String(r.error).includes('not a peer')));
    assert.ok(!c.logs.some((r) => r.msg === 'node failed'), 'no node failed');
  } finally {
    await c.stop();
  }
});
