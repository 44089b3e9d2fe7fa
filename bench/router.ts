// Writes through the router, in one run: 64 connections (wrk) writing unique
// keys through the router to 1 shard and to 2 shards (3 nodes each, the
// default config's Raft timing and durability), each next to the same load
// sent straight to the shards' leaders (no router) as the reference. Then the failover time of one shard as
// seen through the router: kill its leader, probe writes of that shard's
// keys through the router every 10 ms, time to the first acknowledged one.
//
//   npm run bench:router [-- --seconds 10 --connections 64 --kills 5 --durability fsync]

import { cac } from 'cac';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseClusterConfig, type ClusterConfig } from '../src/cluster/config.js';
import { freePorts } from '../src/kit/ports.js';
import { Launcher } from '../src/cluster/launcher.js';
import { makeLogger } from '../src/node/logger.js';
import { runRouter, type RunningRouter } from '../src/start/run-router.js';
import { SlotMap } from '../src/common/slot-map.js';
import { InternalClient } from '../src/node/internal-client.js';
import { firstSuccess } from '../src/kit/probe.js';
import { waitForLeaders as agreedLeaders } from '../src/kit/wait.js';

interface Options {
  seconds: number;
  connections: number;
  kills: number;
  durability: 'fsync' | 'os';
}


// Every request a new key: the thread id and a counter.
const POST_LUA = `
local n = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  n = n + 1
  return wrk.format("POST", "/key", { ["Content-Type"] = "application/json" }, '{"' .. PREFIX .. tid .. '-' .. n .. '":"value"}')
end
`;

interface Cluster {
  config: ClusterConfig;
  launcher: Launcher;
  router: RunningRouter;
  dir: string;
}

async function startCluster(shards: number, durability: Options['durability']): Promise<Cluster> {
  const n = shards * 3;
  const ports = await freePorts(n * 2 + 2);
  const { config } = parseClusterConfig({
    durability,
    control: `127.0.0.1:${ports[n * 2]}`,
    router: { http: `127.0.0.1:${ports[n * 2 + 1]}` },
    shards: Array.from({ length: shards }, (_, s) => ({
      id: `s${s}`,
      nodes: [0, 1, 2].map((j) => {
        const i = s * 3 + j;
        return { id: `node${i}`, http: `127.0.0.1:${ports[i * 2]}`, raft: `127.0.0.1:${ports[i * 2 + 1]}` };
      }),
    })),
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-router-'));
  const launcher = new Launcher({ config, baseDir: dir, logLevel: 'warn', onLog: () => {} });
  await launcher.start();
  const router = await runRouter({ config, clusterToken: launcher.clusterToken, logger: makeLogger(() => {}, 'error') });
  await waitForLeaders(launcher, config);
  return { config, launcher, router, dir };
}

async function stopCluster(c: Cluster): Promise<void> {
  await c.router.stop();
  await c.launcher.stop();
  rmSync(c.dir, { recursive: true, force: true });
}

async function waitForLeaders(launcher: Launcher, config: ClusterConfig): Promise<Map<string, string>> {
  const shards = config.shards!;
  const leaders = await agreedLeaders(() => launcher.statuses(), shards.map((s) => s.nodes.map((m) => m.id)), { timeoutMs: 15_000 });
  return new Map(shards.map((s, i) => [s.id, leaders[i]!]));
}

function wrk(url: string, o: Options, prefix: string, dir: string): Promise<{ rps: number; non2xx: number; errors: string; latency: string }> {
  const script = path.join(dir, `post-${prefix}.lua`);
  writeFileSync(script, `PREFIX = "${prefix}"\n${POST_LUA}`);
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t2', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '-s', script, url], (err, stdout) => {
      if (err) return reject(new Error(`wrk failed (is it installed?): ${err.message}`));
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
      const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
      const errors = /Socket errors:.*/.exec(stdout)?.[0] ?? '';
      const p50 = /\s50%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
      const p99 = /\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
      resolve({ rps, non2xx, errors, latency: `p50 ${p50}, p99 ${p99}` });
    });
  });
}

/** A hash tag whose keys belong to `shard`. */
function tagOn(map: SlotMap, shard: string): string {
  for (let i = 0; ; i++) if (map.shardOfKey(`t${i}`).id === shard) return `t${i}`;
}

const HTTP = new InternalClient();

async function post(url: string, body: unknown, ms: number): Promise<boolean> {
  return (await HTTP.request('POST', url, { body, timeoutMs: ms }).catch(() => undefined))?.ok === true;
}

/** Kill shard s0's leader; every 10 ms a write of an s0 key through the router (each bounded to 2 s); ms to the first success. */
async function failoverOnce(c: Cluster, round: number): Promise<number | undefined> {
  const leaders = await waitForLeaders(c.launcher, c.config);
  const victim = leaders.get('s0')!;
  const tag = tagOn(new SlotMap(c.config.shards!), 's0');
  const url = `http://${c.router.httpAddr}/key`;
  // The router has just written to this shard: it knows the leader before the kill.
  if (!(await post(url, { [`{${tag}}warm-${round}`]: 'x' }, 2000))) throw new Error('the warm-up write failed');
  const started = performance.now();
  const killed = c.launcher.killNode(victim);
  const probe = async (n: number): Promise<true | string> => (await post(url, { [`{${tag}}probe-${round}-${n}`]: 'x' }, 2000)) || 'failed';
  const { ms: done } = await firstSuccess(probe, { started, boundMs: 10_000, everyMs: 10, overlap: true });
  await killed;
  await c.launcher.startNode(victim);
  await waitForLeaders(c.launcher, c.config);
  return done;
}

async function main(o: Options): Promise<void> {
  const say = (s: string): void => void process.stdout.write(s + '\n');
  say(`bench:router: ${o.connections} connections (wrk -t2), ${o.seconds} s per run, unique keys, 3 nodes per shard, durability ${o.durability}, worker threads`);
  const work = mkdtempSync(path.join(tmpdir(), 'raftkv-bench-wrk-'));
  const rows: string[] = [];
  try {
    for (const shards of [1, 2]) {
      const c = await startCluster(shards, o.durability);
      try {
        // The reference: the same load straight to the shards' leaders (each its own keys), no router.
        const leaders = await waitForLeaders(c.launcher, c.config);
        const map = new SlotMap(c.config.shards!);
        const direct = c.config.shards!.map((s) => ({ url: `http://${c.launcher.entry(leaders.get(s.id)!).http}/key`, tag: tagOn(map, s.id) }));
        const each = { ...o, connections: Math.floor(o.connections / shards) };
        await Promise.all(direct.map((d, i) => wrk(d.url, { ...each, seconds: 2 }, `{${d.tag}}warm-direct-${i}-`, work)));
        const parts = await Promise.all(direct.map((d, i) => wrk(d.url, each, `{${d.tag}}direct-${i}-`, work)));
        rows.push(
          `${shards} shard${shards > 1 ? 's' : ''}, straight to ${shards > 1 ? 'each leader' : 'its leader'} (no router${shards > 1 ? `, ${each.connections} connections each` : ''}): ` +
            `${Math.round(parts.reduce((n, r) => n + r.rps, 0))} writes/s (${parts.map((r) => r.latency).join(' / ')}; non-2xx ${parts.reduce((n, r) => n + r.non2xx, 0)}) ${parts.map((r) => r.errors).join(' ')}`,
        );
        say(rows[rows.length - 1]!);
        const url = `http://${c.router.httpAddr}/key`;
        await wrk(url, { ...o, seconds: 2 }, `warm-${shards}-`, work);
        const r = await wrk(url, o, `router-${shards}-`, work);
        rows.push(`${shards} shard${shards > 1 ? 's' : ''} through the router: ${Math.round(r.rps)} writes/s (${r.latency}; non-2xx ${r.non2xx}) ${r.errors}`);
        say(rows[rows.length - 1]!);
        if (shards === 2 && o.kills > 0) {
          const times: number[] = [];
          let timeouts = 0;
          for (let k = 0; k < o.kills; k++) {
            const ms = await failoverOnce(c, k);
            if (ms === undefined) timeouts++;
            else times.push(ms);
            say(`  kill ${k + 1}/${o.kills} of shard s0's leader: ${ms === undefined ? 'no write within 10 s' : `first write through the router after ${Math.round(ms)} ms`}`);
          }
          times.sort((a, b) => a - b);
          const med = times.length > 0 ? times[Math.floor((times.length - 1) / 2)]! : NaN;
          rows.push(
            `failover of shard s0 through the router (leader killed -> first acknowledged write, probed every 10 ms): n ${times.length}, min ${Math.round(times[0] ?? NaN)} ms, median ${Math.round(med)} ms, max ${Math.round(times[times.length - 1] ?? NaN)} ms${timeouts > 0 ? `, ${timeouts} without a write in 10 s` : ''}`,
          );
          say(rows[rows.length - 1]!);
        }
      } finally {
        await stopCluster(c);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  say('--');
  for (const r of rows) say(r);
}

const cli = cac('bench-router');
cli
  .command('', 'writes through the router with 1 and 2 shards, then failover of one shard')
  .option('--seconds <s>', 'seconds per throughput run', { default: 10 })
  .option('--connections <n>', 'wrk connections', { default: 64 })
  .option('--kills <n>', 'leader kills for the failover figure', { default: 5 })
  .option('--durability <d>', 'fsync or os', { default: 'fsync' })
  .action(async (opts: Record<string, unknown>) => {
    const durability = String(opts.durability);
    if (durability !== 'fsync' && durability !== 'os') throw new Error('--durability must be fsync or os');
    await main({ seconds: Number(opts.seconds), connections: Number(opts.connections), kills: Number(opts.kills), durability });
  });
cli.help();
cli.parse(process.argv, { run: false });
await cli.runMatchedCommand();
