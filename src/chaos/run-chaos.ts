// `raftkv chaos`: a real cluster on free loopback ports, clients recording a
// history while the nemesis breaks things, then every acknowledged write is
// read back and the history is checked for linearizability. With `secure`,
// the cluster runs TLS on every link and tokens (development certificates
// made in its directory), and every client, probe and hostile input goes
// through the handshake and the login.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { checkKvHistory, type Operation } from '../check/linearizability.js';
import { parseClusterConfig, type ClusterConfig } from '../cluster/config.js';
import { configCertPlan } from '../cluster/secure-start.js';
import { makeDevCerts } from '../security/dev-certs.js';
import { Authenticator } from '../security/auth.js';
import { freePorts } from '../kit/ports.js';
import { startControlServer, type ControlServer } from '../cluster/control-server.js';
import { Launcher } from '../cluster/launcher.js';
import type { Isolation } from '../cluster/node-proc.js';
import { makeLogger, type LogRecord } from '../node/logger.js';
import { SeededRand } from '../raft/rand.js';
import { runRouter, type RunningRouter } from '../start/run-router.js';
import { SlotMap, type ShardSlots } from '../common/slot-map.js';
import { NodeLogWatch, runHostile, newHostileLog, type HostileLog, type HostileSecurity } from './hostile-nemesis.js';
import type { Listener } from './hostile/common.js';
import { History } from './history.js';
import { ChaosHttp } from './http-client.js';
import { SERIAL_FAULTS, directProbe, newNemesisLog, restart, runKillCycles, runNemesis, type FaultKind, type NemesisLog, type ProbeTarget } from './nemesis.js';
import { TimelineRecorder, type ChaosTimeline } from './timeline.js';
import { newClientStats, runHistoryClient, runWriter, type ClientStats, type StopAt, type Target } from './workload.js';
import { sleep, waitForLeaders } from '../kit/wait.js';
import { parseHostPort } from '../transport/address.js';

export interface ChaosOptions {
  durationS: number;
  isolation: Isolation;
  seed: number;
  /** Nodes (per shard, with `shards`). */
  nodes: number;
  /** Run this many shards behind a router, and every client through the router (0: one group, clients on the nodes). */
  shards?: number;
  /** History clients (checked for linearizability). */
  clients: number;
  /** Extra write load: connections writing unique keys. */
  writers: number;
  keys: number;
  faults: readonly FaultKind[];
  /** With the 'hostile' fault: only these listeners get hostile input (default: all), to look past one known crash. */
  hostileListeners?: readonly Listener[];
  /** Instead of random faults: this many kill/restart cycles (the duration then only bounds them). */
  cycles?: number;
  durability: 'fsync' | 'os';
  /** TLS on every listener and link, and an admin token that every client sends. */
  secure?: boolean;
  /** Deliberately broken node behaviour: the run must then report violations. */
  unsafe?: 'stale-reads';
  opTimeoutMs: number;
  checkTimeoutMs: number;
  /** Progress lines. */
  say: (line: string) => void;
  /** Node log records at warn and above (default: dropped). */
  onNodeLog?: (r: LogRecord) => void;
}

export interface ChaosReport {
  options: Omit<ChaosOptions, 'say' | 'onNodeLog'>;
  ops: number;
  clientStats: ClientStats;
  availability: number;
  writes: { ok: number; failed: number };
  nemesis: NemesisLog;
  /** With the 'hostile' fault: what was sent, and the nodes it stopped (must be none). */
  hostile?: HostileLog;
  cyclesDone?: number;
  leaderChanges: number;
  violations: number;
  violationDetails: string[];
  checkTimedOut: string[];
  checkMs: number;
  lost: number;
  lostExamples: string[];
  ackedChecked: number;
  /** When each fault, leader and answer happened (reports saved before 2026-12-07 have none). */
  timeline?: ChaosTimeline;
}

export const DEFAULT_CHAOS: Omit<ChaosOptions, 'say'> = {
  durationS: 60,
  isolation: 'thread',
  seed: 1,
  nodes: 3,
  clients: 6,
  writers: 8,
  keys: 8,
  faults: SERIAL_FAULTS,
  durability: 'fsync',
  opTimeoutMs: 3000,
  checkTimeoutMs: 120_000,
};

/** A secure chaos cluster's files, under its directory (made there before it starts). */
const SECURE_FILES = {
  tls: { ca: 'certs/ca.pem', cert: 'certs/cluster.pem', key: 'certs/cluster-key.pem' },
  auth: { tokenFile: 'certs/admin.token' },
};

/** Development certificates and the admin token for a secure chaos cluster: what its clients, probes and hostile inputs need. */
async function makeSecrets(config: ClusterConfig, dir: string): Promise<HostileSecurity> {
  await makeDevCerts(configCertPlan(config, dir));
  const read = (f: string): string => readFileSync(path.join(dir, f), 'utf8');
  // The launcher's certificate is a client one too: the hostile peer inputs show it to get past the handshake.
  return { ca: read(SECURE_FILES.tls.ca), cert: read(SECURE_FILES.tls.cert), key: read(SECURE_FILES.tls.key), token: read(SECURE_FILES.auth.tokenFile).trim() };
}

/**
 * Limits of a hostile run: small, so that inputs at and one past each limit
 * are cheap to send, and a connection flood past maxConnections is a few
 * hundred sockets. Still far above what the history clients and writers need.
 */
const HOSTILE_LIMITS = {
  maxBodyBytes: 64 * 1024,
  limits: { maxKeyBytes: 1024, maxValueBytes: 16 * 1024, maxArgs: 1024, maxCommandBytes: 256 * 1024, maxInlineBytes: 4096, maxPeerFrameBytes: 4 << 20, maxConnections: 256, helloTimeoutMs: 2000 },
};

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const shards = opts.shards ?? 0;
  const total = opts.nodes * Math.max(1, shards);
  const hostile = opts.faults.includes('hostile') && opts.cycles === undefined;
  // A hostile run also opens every RESP front (node and router): more doors to knock on.
  const ports = await freePorts(total * 2 + 2 + (hostile ? total + 1 : 0));
  const resp = (i: number) => (hostile ? { resp: `127.0.0.1:${ports[total * 2 + 2 + i]}` } : {});
  const nodeEntry = (i: number) => ({ id: `node${i}`, http: `127.0.0.1:${ports[i * 2]}`, raft: `127.0.0.1:${ports[i * 2 + 1]}`, ...resp(i) });
  // The default config's Raft timing: the failover figures are for it.
  const { config } = parseClusterConfig(
    {
      durability: opts.durability,
      control: `127.0.0.1:${ports[total * 2]}`,
      ...(hostile ? HOSTILE_LIMITS : {}),
      ...(opts.secure ? SECURE_FILES : {}),
      ...(shards > 0
        ? {
            router: { http: `127.0.0.1:${ports[total * 2 + 1]}`, ...resp(total) },
            shards: Array.from({ length: shards }, (_, s) => ({ id: `s${s}`, nodes: Array.from({ length: opts.nodes }, (_, j) => nodeEntry(s * opts.nodes + j)) })),
          }
        : { nodes: Array.from({ length: opts.nodes }, (_, i) => nodeEntry(i)) }),
    },
    'chaos cluster',
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-chaos-'));
  const secrets = opts.secure ? await makeSecrets(config, dir) : undefined;
  const http = new ChaosHttp(secrets);
  const nodeLogs = new NodeLogWatch();
  const launcher = new Launcher({
    config,
    baseDir: dir,
    isolation: opts.isolation,
    logLevel: 'warn',
    onLog: (r) => {
      nodeLogs.noteLog(r);
      opts.onNodeLog?.(r);
    },
    ...(opts.unsafe === 'stale-reads' ? { unsafe: { staleReads: true } } : {}),
  });
  const rand = new SeededRand(opts.seed);
  let router: RunningRouter | undefined;
  let control: ControlServer | undefined;
  try {
    await launcher.start();
    const { tls, auth } = launcher.security;
    if (hostile && (opts.hostileListeners ?? ['control']).includes('control')) {
      // The launcher's control API gets hostile input too (never a valid fault request).
      const { host, port } = parseHostPort(config.control);
      control = await startControlServer(launcher, host, port, {
        ...(tls ? { tls: tls.launcher } : {}),
        ...(auth ? { auth: new Authenticator(auth) } : {}),
      });
    }
    if (shards > 0) {
      router = await runRouter({ config, clusterToken: launcher.clusterToken, logger: makeLogger((r) => opts.onNodeLog?.(r), 'warn', { id: 'router' }), ...(tls ? { tls: tls.launcher } : {}), ...(auth ? { auth } : {}) });
      opts.say(`chaos: ${shards} shards of ${opts.nodes} nodes behind the router ${router.httpAddr} (${opts.isolation} isolation, ${opts.durability}${opts.secure ? ', TLS and tokens' : ''}) in ${dir}; seed ${opts.seed}`);
    } else {
      opts.say(`chaos: ${opts.nodes} nodes (${opts.isolation} isolation, ${opts.durability}${opts.secure ? ', TLS and tokens' : ''}) in ${dir}; seed ${opts.seed}`);
    }
    await waitForLeader(launcher, 10_000);

    // Through the router every client sends to it; otherwise to any node not known dead.
    const routerUrl = router ? http.base(router.httpAddr) : undefined;
    const target: Target = {
      live: () => (routerUrl ? [routerUrl] : launcher.ids.filter((id) => launcher.stateOf(id) !== 'dead' && launcher.stateOf(id) !== 'failed').map((id) => http.base(launcher.entry(id).http))),
      http,
    };
    const probe = routerUrl ? routerProbe(launcher, config.shards!, routerUrl, http) : directProbe(launcher, http);
    const history = new History();
    const clientStats = newClientStats();
    const writes = { ok: 0, failed: 0 };
    const acked = new Map<string, string>();
    const keys = Array.from({ length: opts.keys }, (_, i) => `k${i}`);
    const until = Date.now() + opts.durationS * 1000;
    const stop: StopAt = { at: until };
    const timeline = new TimelineRecorder();
    const monitor = watchLeaders(launcher, timeline);
    const nemesisLog = newNemesisLog();
    const say = (line: string): void => opts.say(`  ${((opts.durationS * 1000 - (until - Date.now())) / 1000).toFixed(1).padStart(5)} s  ${line}`);

    const load = [
      ...Array.from({ length: opts.clients }, (_, i) =>
        runHistoryClient({ id: i, keys, rand: new SeededRand(opts.seed * 1000 + i), history, target, stop, timeoutMs: opts.opTimeoutMs, stats: clientStats, timeline }),
      ),
      ...Array.from({ length: opts.writers }, (_, i) =>
        runWriter({ id: i, rand: new SeededRand(opts.seed * 1000 + 500 + i), target, stop, timeoutMs: opts.opTimeoutMs, acked, stats: writes }),
      ),
    ];
    let cyclesDone: number | undefined;
    // Nodes the nemesis took down on purpose: the hostile nemesis must not count them.
    const down = new Set<string>();
    const hostileLog = hostile ? newHostileLog() : undefined;
    const hostileRun = hostileLog
      ? runHostile({
          launcher,
          config,
          seed: opts.seed,
          until,
          log: hostileLog,
          onEvent: say,
          intentional: down,
          logs: nodeLogs,
          ...(opts.hostileListeners ? { listeners: opts.hostileListeners } : {}),
          ...(secrets ? { security: secrets } : {}),
          ...(control ? { control: config.control } : {}),
          ...(router ? { router: { http: router.httpAddr, ...(router.respAddr ? { resp: router.respAddr } : {}) } } : {}),
        })
      : Promise.resolve();
    if (opts.cycles !== undefined) {
      cyclesDone = await runKillCycles({ launcher, rand, cycles: opts.cycles, until, log: nemesisLog, onEvent: say, down, timeline, probe });
    } else {
      await runNemesis({ launcher, rand, faults: opts.faults, until, log: nemesisLog, onEvent: say, down, timeline, probe });
    }
    await hostileRun;
    // With kill cycles the load stops once they are done.
    if (opts.cycles !== undefined) stop.at = Math.min(stop.at, Date.now());
    await Promise.all(load);
    const leaderChanges = monitor.stop();
    const timelineData = timeline.snapshot();

    opts.say('chaos: healing every node, then reading every acknowledged write back');
    let leader: string;
    try {
      launcher.heal();
      for (const id of launcher.ids) {
        if (launcher.stateOf(id) === 'paused') launcher.resumeNode(id);
        // A failed node (its disk failed, say) is stopped for good first, then started like a dead one.
        if (launcher.stateOf(id) === 'failed') await launcher.killNode(id);
        if (launcher.stateOf(id) === 'dead') await restart(launcher, id);
      }
      leader = await waitForLeader(launcher, 15_000);
      await waitForApplied(launcher, 15_000);
    } catch (e) {
      // Hostile input that stopped nodes may leave no cluster to check: say what stopped them.
      const f = hostileLog?.failures ?? [];
      if (f.length === 0) throw e;
      throw new Error(`${(e as Error).message}, after ${f.length} hostile node failures:\n${f.slice(0, 5).map((x) => `  ${x.node} ${x.how} at ${x.atS.toFixed(1)} s (${x.error ?? 'no error logged'}); last input ${x.lastInputs[x.lastInputs.length - 1] ?? '-'}`).join('\n')}`);
    }

    // Final reads of the hot keys go into the history: the end state must fit it too.
    const finalClient = opts.clients;
    for (const key of keys) {
      const done = history.begin(finalClient, { op: 'get', key });
      const r = await http.call('GET', `${routerUrl ?? http.base(launcher.entry(leader).http)}/key/${key}?level=linearizable`, undefined, 5000);
      if ('answer' in r && r.answer.status === 200 && typeof r.answer.json?.[key] === 'string') done({ ok: true, value: r.answer.json[key] });
      else if ('answer' in r && r.answer.status === 404) done({ ok: true, value: null });
      else throw new Error(`final read of ${key} failed: ${JSON.stringify(r)}`);
    }
    const lostExamples: string[] = [];
    const lost = await readBack(http, routerUrl ? [routerUrl] : launcher.ids.map((id) => http.base(launcher.entry(id).http)), acked, lostExamples);

    opts.say(`chaos: checking ${history.ops.length} operations on ${keys.length} keys for linearizability`);
    const started = performance.now();
    const { violations, details, timedOut } = checkPerKey(history.ops, opts.checkTimeoutMs);
    const checkMs = performance.now() - started;
    const ops = history.ops.length;
    const attempted = clientStats.ok + clientStats.failed;
    return {
      options: stripCallbacks(opts),
      ops,
      clientStats,
      availability: attempted === 0 ? 0 : clientStats.ok / attempted,
      writes,
      nemesis: nemesisLog,
      ...(hostileLog ? { hostile: hostileLog } : {}),
      ...(cyclesDone !== undefined ? { cyclesDone } : {}),
      leaderChanges,
      violations,
      violationDetails: details,
      checkTimedOut: timedOut,
      checkMs,
      lost,
      lostExamples,
      ackedChecked: acked.size,
      timeline: timelineData,
    };
  } finally {
    await control?.close();
    await router?.stop();
    await launcher.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Failover probes through the router: keys of the killed node's shard (a hash tag that lands there). */
function routerProbe(launcher: Launcher, shards: readonly ShardSlots[], routerUrl: string, http: ChaosHttp): ProbeTarget {
  const map = new SlotMap(shards);
  const tags = new Map<string, string>();
  for (let i = 0; tags.size < shards.length; i++) {
    const tag = `probe${i}`;
    const shard = map.shardOfKey(tag).id;
    if (!tags.has(shard)) tags.set(shard, tag);
  }
  return (killed) => {
    const tag = tags.get(launcher.shardOf(killed) ?? '')!;
    return { urls: [routerUrl], http, key: (n) => `{${tag}}__failover-probe-${killed}-${n}` };
  };
}

function stripCallbacks(o: ChaosOptions): ChaosReport['options'] {
  const { say: _say, onNodeLog: _log, ...rest } = o;
  return rest;
}

/** Check each key on its own so that every bad key is counted (and a slow key does not hide the others). */
function checkPerKey(ops: readonly Operation[], timeoutMs: number): { violations: number; details: string[]; timedOut: string[] } {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const list = byKey.get(op.input.key) ?? [];
    list.push(op);
    byKey.set(op.input.key, list);
  }
  let violations = 0;
  const details: string[] = [];
  const timedOut: string[] = [];
  for (const [key, list] of byKey) {
    const r = checkKvHistory(list, { timeoutMs });
    if (r.timedOut) timedOut.push(key);
    if (!r.ok) {
      violations++;
      details.push(`key ${JSON.stringify(key)}: ${r.explanation ?? 'not linearizable'}`);
    }
  }
  return { violations, details, timedOut };
}

async function readBack(http: ChaosHttp, urls: string[], acked: Map<string, string>, examples: string[]): Promise<number> {
  const entries = [...acked];
  let lost = 0;
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < entries.length) {
      const i = next++;
      const [key, value] = entries[i]!;
      let got: string | undefined;
      let why = '';
      // A node may refuse for a while (it just restarted and has not heard
      // from the leader yet): try every node in turn for up to 30 s.
      const deadline = Date.now() + 30_000;
      for (let attempt = 0; got === undefined && Date.now() < deadline; attempt++) {
        const r = await http.call('GET', `${urls[(i + attempt) % urls.length]}/key/${key}?level=linearizable`, undefined, 5000);
        if ('answer' in r && (r.answer.status === 200 || r.answer.status === 404)) {
          const v = r.answer.json?.[key];
          got = typeof v === 'string' ? v : '(absent)';
        } else {
          why = 'failure' in r ? r.failure : `${r.answer.status} ${String(r.answer.json?.code ?? '')}`;
          await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
        }
      }
      if (got !== value) {
        lost++;
        if (examples.length < 10) examples.push(`${key}: wrote ${JSON.stringify(value)}, read ${got === undefined ? `nothing in 30 s (last answer: ${why})` : JSON.stringify(got)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 32 }, reader));
  return lost;
}

/** Wait until each Raft group (each shard) has a leader all its nodes agree on; returns the first group's. */
async function waitForLeader(launcher: Launcher, timeoutMs: number): Promise<string> {
  return (await waitForLeaders(() => launcher.statuses(), groupsOf(launcher), { timeoutMs }))[0]!;
}

/** The node ids of each Raft group: one group, or one per shard. */
function groupsOf(launcher: Launcher): string[][] {
  const groups = new Map<string, string[]>();
  for (const id of launcher.ids) {
    const g = launcher.shardOf(id) ?? '';
    groups.set(g, [...(groups.get(g) ?? []), id]);
  }
  return [...groups.values()];
}

/** Wait (bounded) until every node has applied what its group committed (log indexes differ between shards). */
async function waitForApplied(launcher: Launcher, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const groups = groupsOf(launcher);
  while (Date.now() < deadline) {
    const all = await launcher.statuses();
    const caughtUp = groups.every((ids) => {
      const statuses = ids.map((id) => all.get(id));
      const top = Math.max(...statuses.map((s) => s?.commit ?? 0));
      return statuses.every((s) => s !== undefined && s.applied >= top);
    });
    if (caughtUp) return;
    await sleep(50);
  }
}

/** Counts changes of leadership (in every shard) seen by polling every node's status; each leader seen goes into the timeline. */
function watchLeaders(launcher: Launcher, timeline: TimelineRecorder): { stop(): number } {
  const groups = groupsOf(launcher);
  const last: ({ id: string; term: number } | undefined)[] = groups.map(() => undefined);
  let changes = 0;
  let running = true;
  void (async () => {
    while (running) {
      const all = await launcher.statuses(500);
      groups.forEach((ids, g) => {
        let best: { id: string; term: number } | undefined;
        for (const id of ids) {
          const s = all.get(id);
          if (s && s.role === 'leader' && (!best || s.term > best.term)) best = { id: s.id, term: s.term };
        }
        const prev = last[g];
        if (best && prev && best.term > prev.term) changes++;
        if (best && (!prev || best.term > prev.term)) timeline.leader(g, best.id, best.term);
        if (best && (!prev || best.term >= prev.term)) last[g] = best;
      });
      await sleep(50);
    }
  })();
  return {
    stop: () => {
      running = false;
      return changes;
    },
  };
}
