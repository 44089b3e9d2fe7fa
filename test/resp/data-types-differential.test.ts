// The data types against a real redis-server (Debian's redis-server, started
// here on a free port): fast-check generates sequences of commands over a few
// keys, both servers run them, and every reply must match byte for byte,
// errors included. Replies Redis gives in no defined order (set members, the
// members SPOP takes) are compared as sorted lists. Afterwards every key is
// read back on a follower and compared again. The number of runs is bounded
// for CI; RAFTKV_DIFF_RUNS=500 runs more.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { RawRespClient, RedisServer, dumpCommands } from '../helpers/raw-resp.js';
import { parseReply, type RespValue } from '../helpers/resp-client.js';
import { KEY_SLOTS, UNORDERED, commands } from '../helpers/type-commands.js';
import { TestCluster } from '../helpers/test-cluster.js';

const RUNS = Number(process.env.RAFTKV_DIFF_RUNS ?? 40);


function normalize(name: string, raw: Buffer): string {
  const parsed = parseReply(raw, 0)!.value;
  if (!UNORDERED.has(name)) return raw.toString('latin1');
  const sortDeep = (v: RespValue): unknown => {
    if (!Array.isArray(v)) return Buffer.isBuffer(v) ? v.toString('latin1') : v;
    return v.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  };
  return JSON.stringify(sortDeep(parsed));
}


describe('data types: differential test against redis-server', () => {
  let c: TestCluster;
  let redis: RedisServer;
  let dir: string;
  let ours: RawRespClient;
  let follower: RawRespClient;
  let theirs: RawRespClient;
  let run = 0;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'raftkv-redis-'));
    [c, redis] = await Promise.all([TestCluster.start(), RedisServer.start(dir)]);
    const leader = await c.waitForLeader();
    ours = await RawRespClient.connect(c.respPort(leader));
    follower = await RawRespClient.connect(c.respPort(c.followers(leader)[0]!));
    theirs = await RawRespClient.connect(redis.port);
  });
  after(async () => {
    ours?.close();
    follower?.close();
    theirs?.close();
    redis?.stop();
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(`${RUNS} generated command sequences answer as redis-server does, and read back the same on a follower`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commands(KEY_SLOTS), { minLength: 1, maxLength: 30 }),
        async (generated) => {
          // Fresh keys for every attempt, shrinking included: no attempt sees another's data.
          run++;
          const keys = KEY_SLOTS.map((k) => `diff${run}:${k}`);
          const cmds = generated.map((cmd) => cmd.map((a) => (typeof a === 'string' && KEY_SLOTS.includes(a) ? keys[KEY_SLOTS.indexOf(a)]! : a)));
          const [a, b] = await Promise.all([ours.send(cmds), theirs.send(cmds)]);
          for (let i = 0; i < cmds.length; i++) {
            const name = String(cmds[i]![0]);
            assert.equal(normalize(name, a[i]!), normalize(name, b[i]!), `command ${i + 1} of ${cmds.length}: ${cmds[i]!.map(String).join(' ')}`);
          }
          const dump = keys.flatMap(dumpCommands);
          const [f, r, l] = await Promise.all([follower.send(dump), theirs.send(dump), ours.send(dump)]);
          for (let i = 0; i < dump.length; i++) {
            const name = String(dump[i]![0]) === 'smembers' ? 'smembers' : '';
            assert.equal(normalize(name, f[i]!), normalize(name, r[i]!), `follower read ${dump[i]!.join(' ')} (the leader reads ${JSON.stringify(l[i]!.toString('latin1'))})`);
          }
        },
      ),
      { numRuns: RUNS, includeErrorInReport: true },
    );
  });
});
