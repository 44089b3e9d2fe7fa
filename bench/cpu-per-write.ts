// CPU per replicated write: starts a 3-node cluster (durability fsync, one
// process, free loopback ports), runs redis-benchmark against the leader's
// RESP port and reports writes/s and the CPU each write cost: the cluster
// process, split by thread (launcher, each node's worker, the libuv pool and
// V8's helper threads), plus redis-benchmark's own. CPU is read from the
// kernel (/proc/<pid>/task/<tid>/schedstat, nanoseconds on CPU) before and
// after each run, so nothing in the measured process has to cooperate.
//
//   npm run build && node dist/bench/cpu-per-write.js [options]
//
//   --seconds S        length of each measured run (default 6)
//   --warmup S         an unmeasured run of about S seconds before a variant's first run of each
//                      workload (default 8): three isolates compile the same code, and V8's JIT
//                      is still busy for 10-20 s after start
//   --rounds R         rounds; each round runs every workload once (default 3)
//   --only a,b         workloads: set1 (-P 1), set16 (-P 16), get1 (-P 1)
//   --clients C        redis-benchmark -c (default 50)
//   --random-keys K    redis-benchmark -r K (default: none, one key as in `redis-benchmark -t set`)
//   --threadpool N     UV_THREADPOOL_SIZE of the cluster process (default: what the process picks)
//   --variant name=cli  another build to compare, e.g. base=/tmp/base/dist/src/cli.js; repeatable
//                      (name= alone: this build). Rounds alternate between the variants, so they
//                      see the same machine load.
//   --variant-arg name=ARG   an option for node itself in that variant's cluster (e.g.
//                      --max-semi-space-size=32); repeatable
//   --variant-env name=K=V   an environment variable of that variant's cluster (e.g.
//                      UV_THREADPOOL_SIZE=2); repeatable
//   --prof DIR         write V8 CPU profiles of the cluster process (every thread) to DIR
//   --perf DIR         record each measured run with `perf record -e cpu-clock -g` (on-CPU time
//                      only, every thread, kernel and native code included) into DIR; the cluster
//                      runs with --perf-basic-prof so JavaScript frames have names
//   --syscalls         count syscalls per thread with `perf stat` (tracepoints: fsync, write,
//                      futex, ...) and report them per request and thread group
//   --label L          a name for this run in the report
//   --out FILE         append the report to FILE (default bench/results/<date>-cpu-per-write.txt)
//
// Every process it starts is stopped by its PID; each redis-benchmark run is
// killed if it takes three times its planned length.

import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClusterConfig } from '../src/cluster/config.js';
import { ChildProcesses } from './systems/child-processes.js';
import { formatAreas, formatPerfParts, perfParts } from './perf-groups.js';
import { RaftkvCluster } from './systems/raftkv-cluster.js';
import { sleep } from '../src/kit/wait.js';
import { InternalClient } from '../src/node/internal-client.js';

const REDIS_BENCHMARK = '/usr/bin/redis-benchmark';
const CLK_TCK = 100;

interface Workload {
  id: string;
  test: 'set' | 'get';
  pipeline: number;
}

const WORKLOADS: readonly Workload[] = [
  { id: 'set1', test: 'set', pipeline: 1 },
  { id: 'set16', test: 'set', pipeline: 16 },
  { id: 'get1', test: 'get', pipeline: 1 },
];

interface Options {
  seconds: number;
  warmup: number;
  rounds: number;
  only: string[];
  clients: number;
  randomKeys: number | undefined;
  threadpool: number | undefined;
  variants: { name: string; cli: string | undefined; nodeArgs: string[]; env: Record<string, string> }[];
  prof: string | undefined;
  perf: string | undefined;
  syscalls: boolean;
  label: string;
  out: string;
}

/** Of one thread: CPU nanoseconds, and write/read syscalls (/proc/…/io: write, writev, read, … but not sendmsg). */
interface ThreadSample {
  ns: number;
  syscw: number;
  syscr: number;
}

interface ProcSample {
  threads: Map<number, ThreadSample>;
}

/** What one redis-benchmark run cost. */
interface RunResult {
  variant: string;
  workload: string;
  requests: number;
  wallMs: number;
  /** redis-benchmark's own figure. */
  rps: number;
  p50Ms: number;
  /** µs of CPU per request, by thread group, plus the client's. */
  us: Record<string, number>;
  syscwPerReq: number;
  syscrPerReq: number;
  /** Write syscalls per request by thread group. */
  writes: Record<string, number>;
  loadavg: number;
  /** Where the time went, from perf (--perf). */
  perf?: string[];
  /** Syscall -> thread group -> calls per request (--syscalls). */
  syscalls?: Map<string, Record<string, number>>;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 6,
    warmup: 8,
    rounds: 3,
    only: WORKLOADS.map((w) => w.id),
    clients: 50,
    randomKeys: undefined,
    threadpool: undefined,
    variants: [],
    prof: undefined,
    perf: undefined,
    syscalls: false,
    label: '',
    out: path.join('bench', 'results', `${new Date().toISOString().slice(0, 10)}-cpu-per-write.txt`),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${a} needs a value`);
      return next;
    };
    const positive = (s: string): number => {
      const n = Number(s);
      if (!(n > 0)) throw new Error(`${a} needs a positive number, not ${s}`);
      return n;
    };
    if (a === '--seconds') o.seconds = positive(v());
    else if (a === '--warmup') o.warmup = positive(v());
    else if (a === '--rounds') o.rounds = Math.round(positive(v()));
    else if (a === '--only') o.only = v().split(',');
    else if (a === '--clients') o.clients = Math.round(positive(v()));
    else if (a === '--random-keys') o.randomKeys = Math.round(positive(v()));
    else if (a === '--threadpool') o.threadpool = Math.round(positive(v()));
    else if (a === '--variant') {
      const spec = v();
      const at = spec.indexOf('=');
      const name = at < 0 ? spec : spec.slice(0, at);
      const cli = at < 0 ? '' : spec.slice(at + 1);
      o.variants.push({ name, cli: cli ? path.resolve(cli) : undefined, nodeArgs: [], env: {} });
    } else if (a === '--variant-arg' || a === '--variant-env') {
      const spec = v();
      const at = spec.indexOf('=');
      const variant = o.variants.find((x) => x.name === spec.slice(0, at));
      if (at < 0 || !variant) throw new Error(`${a} ${spec}: name a --variant given before it`);
      const value = spec.slice(at + 1);
      if (a === '--variant-arg') variant.nodeArgs.push(value);
      else {
        const eq = value.indexOf('=');
        if (eq < 0) throw new Error(`${a} ${spec}: expected name=KEY=VALUE`);
        variant.env[value.slice(0, eq)] = value.slice(eq + 1);
      }
    } else if (a === '--prof') o.prof = path.resolve(v());
    else if (a === '--perf') o.perf = path.resolve(v());
    else if (a === '--syscalls') o.syscalls = true;
    else if (a === '--label') o.label = v();
    else if (a === '--out') o.out = v();
    else throw new Error(`unknown option ${a}`);
  }
  for (const id of o.only) if (!WORKLOADS.some((w) => w.id === id)) throw new Error(`unknown workload ${id}; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
  if (o.variants.length === 0) o.variants.push({ name: 'this', cli: undefined, nodeArgs: [], env: {} });
  return o;
}

/** Fields of a /proc stat line after the command name (which may hold spaces): [0] is the state. */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function readNumber(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').split(' ')[0]);
  } catch {
    return undefined;
  }
}

function sampleProcess(pid: number): ProcSample {
  const threads = new Map<number, ThreadSample>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    const ns = readNumber(`/proc/${pid}/task/${t}/schedstat`);
    let io: string;
    try {
      io = readFileSync(`/proc/${pid}/task/${t}/io`, 'utf8');
    } catch {
      continue;
    }
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)`, 'm').exec(io)?.[1] ?? 0);
    if (ns !== undefined) threads.set(Number(t), { ns, syscw: field('syscw'), syscr: field('syscr') });
  }
  return { threads };
}

/** CPU of this process's children that have exited and been waited for (redis-benchmark), ns. */
function reapedChildrenNs(): number {
  const f = statFields(readFileSync('/proc/self/stat', 'utf8'));
  // cutime and cstime are fields 16 and 17 of stat; [0] here is field 3.
  return ((Number(f[13]) + Number(f[14])) / CLK_TCK) * 1e9;
}

interface ThreadRoles {
  main: number;
  /** Node id -> its worker's thread id. */
  nodes: Map<string, number>;
  leader: string;
  /** Threads every Node process starts with (V8's platform workers, the signal watcher). */
  startup: Set<number>;
}

/**
 * How many threads a Node process has before it runs anything that uses
 * libuv's pool (a CommonJS -e script never does): the main thread, V8's
 * platform workers, the inspector's signal watcher.
 */
function startupThreadCount(): number {
  const out = execFileSync(process.execPath, ['--input-type=commonjs', '-e', "process.stdout.write(String(require('fs').readdirSync('/proc/self/task').length))"], { encoding: 'utf8' });
  return Number(out);
}

/**
 * Which thread is what. The node workers say their thread ids; the threads
 * a process starts with are the lowest ids after the main thread's (ids only
 * grow); every other thread was made later, in one burst, by libuv's pool
 * (the first file read of the ES module loader, or of a node).
 */
function threadRoles(pid: number, nodes: Map<string, number>, leader: string, startupCount: number): ThreadRoles {
  const workers = new Set(nodes.values());
  const others = [...sampleProcess(pid).threads.keys()].filter((t) => t !== pid && !workers.has(t)).sort((a, b) => a - b);
  return { main: pid, nodes, leader, startup: new Set(others.slice(0, startupCount - 1)) };
}

/** CPU by thread group: launcher main thread, leader, followers, libuv pool, V8's threads. */
function groupOf(roles: ThreadRoles): (tid: number) => string {
  const byTid = new Map<number, string>();
  byTid.set(roles.main, 'main');
  let f = 0;
  for (const [id, tid] of [...roles.nodes].sort()) byTid.set(tid, id === roles.leader ? 'leader' : `follower${++f}`);
  for (const tid of roles.startup) byTid.set(tid, 'v8');
  return (tid) => byTid.get(tid) ?? 'pool';
}

/** Per thread group, the growth of one counter between two samples. */
function groupDelta(before: ProcSample, after: ProcSample, roles: ThreadRoles, field: keyof ThreadSample): Record<string, number> {
  const group = groupOf(roles);
  const out: Record<string, number> = { main: 0, leader: 0, follower1: 0, follower2: 0, pool: 0, v8: 0 };
  for (const [tid, t] of after.threads) {
    const g = group(tid);
    out[g] = (out[g] ?? 0) + t[field] - (before.threads.get(tid)?.[field] ?? 0);
  }
  return out;
}

interface BenchOutput {
  rps: number;
  p50Ms: number;
}

/** redis-benchmark's --csv: a header line, then "SET","19000.00","2.3",...; undefined when it printed none. */
function parseCsv(text: string): BenchOutput | undefined {
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
    if (cells.length >= 5 && (cells[0] === 'SET' || cells[0] === 'GET')) return { rps: Number(cells[1]), p50Ms: Number(cells[4]) };
  }
  return undefined;
}

async function runRedisBenchmark(port: number, w: Workload, requests: number, o: Options, limitMs: number): Promise<{ out: BenchOutput; wallMs: number; cpuNs: number }> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(o.clients), '-n', String(requests), '-P', String(w.pipeline), '-t', w.test, '--csv'];
  if (o.randomKeys !== undefined) args.push('-r', String(o.randomKeys));
  const cpuBefore = reapedChildrenNs();
  const t0 = performance.now();
  const child = spawn(REDIS_BENCHMARK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }, limitMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  const out = parseCsv(stdout);
  if (code !== 0 || !out) throw new Error(`redis-benchmark ${args.join(' ')} exited ${code} after ${wallMs.toFixed(0)} ms: ${stderr.trim().slice(0, 300) || stdout.trim().slice(-300)}`);
  return { out, wallMs, cpuNs: reapedChildrenNs() - cpuBefore };
}

class Session {
  readonly name: string;
  readonly cluster: RaftkvCluster;
  /** The leader's RESP port and thread roles: they change when another node is elected. */
  port: number;
  roles: ThreadRoles;
  /** Runs that failed (a leader change under the load), as text. */
  readonly failures: string[] = [];
  readonly idleUsPerSec: number;
  /** The idle CPU by thread group, as text. */
  idleGroups = '';
  /** Requests per second seen last per workload, to size the next run. */
  readonly rates = new Map<string, number>();

  constructor(name: string, cluster: RaftkvCluster, port: number, roles: ThreadRoles, idleUsPerSec: number) {
    this.name = name;
    this.cluster = cluster;
    this.port = port;
    this.roles = roles;
    this.idleUsPerSec = idleUsPerSec;
  }

  get pid(): number {
    return this.cluster.child!.pid;
  }

  /** Find the leader again (after a run failed on NOTLEADER). */
  async relead(): Promise<void> {
    const topology = await this.cluster.topology();
    const resp = await this.cluster.respOf(topology.leader.id);
    if (!resp.endpoint) throw new Error(resp.note);
    this.port = resp.endpoint.port;
    this.roles = { ...this.roles, leader: topology.leader.id };
  }
}

async function startSession(variant: Options['variants'][number], o: Options, procs: ChildProcesses, tmp: string, startupCount: number): Promise<Session> {
  const { name, cli } = variant;
  const dir = mkdtempSync(path.join(tmp, `${name}-`));
  const nodes = [0, 1, 2].map((i) => ({ id: `node${i}`, http: `127.0.0.1:${11000 + i}`, raft: `127.0.0.1:${12000 + i}` }));
  const base = parseClusterConfig({ nodes }, 'cpu-per-write').config;
  const env = { ...process.env, ...variant.env };
  if (o.threadpool !== undefined) env.UV_THREADPOOL_SIZE = String(o.threadpool);
  const profDir = o.prof ? path.join(o.prof, name) : undefined;
  if (profDir) mkdirSync(profDir, { recursive: true });
  const nodeArgs = [...(o.perf ? ['--perf-basic-prof'] : []), ...variant.nodeArgs];
  const cluster = await RaftkvCluster.start({ base, durability: 'fsync', procs, dir, env, nodeArgs, ...(cli ? { cli } : {}), ...(profDir ? { cpuProfDir: profDir } : {}) });
  const topology = await cluster.topology();
  const resp = await cluster.respOf(topology.leader.id);
  if (!resp.endpoint) throw new Error(resp.note);
  const memory = await new InternalClient({ timeoutMs: 10_000 }).json<{ nodes: Record<string, { osThreadId?: number } | null> }>('GET', cluster.config!.control, '/memory');
  const tids = new Map<string, number>();
  for (const [id, m] of Object.entries(memory.nodes)) if (m?.osThreadId !== undefined) tids.set(id, m.osThreadId);
  if (tids.size !== 3) throw new Error(`${name}: the nodes did not say their thread ids (an older build?); got ${JSON.stringify(memory.nodes)}`);
  const roles = threadRoles(cluster.child!.pid, tids, topology.leader.id, startupCount);
  // The cluster's own background (ticks, heartbeats), to tell it apart from the cost of the load.
  const a = sampleProcess(roles.main);
  const t0 = performance.now();
  await sleep(2000);
  const b = sampleProcess(roles.main);
  const seconds = (performance.now() - t0) / 1000;
  const idle = groupDelta(a, b, roles, 'ns');
  const idleUsPerSec = Object.values(idle).reduce((x, y) => x + y, 0) / 1000 / seconds;
  const session = new Session(name, cluster, resp.endpoint.port, roles, idleUsPerSec);
  session.idleGroups = Object.entries(idle)
    .map(([g, ns]) => `${g} ${(ns / 1e7 / seconds).toFixed(1)}%`)
    .join(', ');
  return session;
}

/** `perf record` of every thread of `pid` until stopped; resolves when perf has written its file. */
function startPerf(pid: number, file: string): { stop(): Promise<void> } {
  mkdirSync(path.dirname(file), { recursive: true });
  const child = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '997', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGINT');
      await exited;
    },
  };
}

function perfLines(parts: ReturnType<typeof perfParts>, us: Record<string, number>): string[] {
  return ['by area, all threads:', ...formatAreas(parts, us.cluster), 'by thread group and part:', ...formatPerfParts(parts, 25, us)];
}

const SYSCALLS = ['fsync', 'fdatasync', 'pwrite64', 'pread64', 'fcntl', 'write', 'writev', 'read', 'futex', 'epoll_pwait'];

/** `perf stat` of syscall tracepoints, per thread of `pid`, until stopped: thread id -> syscall -> calls. */
function startSyscallCount(pid: number, file: string): { stop(): Promise<Map<number, Map<string, number>>> } {
  const events = SYSCALLS.map((c) => `syscalls:sys_enter_${c}`).join(',');
  const child = spawn('perf', ['stat', '-x', ',', '--per-thread', '-e', events, '-p', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    stop: async () => {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGINT');
      await exited;
      const out = new Map<number, Map<string, number>>();
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [thread, count, , event] = line.split(',');
        const m = /-(\d+)$/.exec(thread ?? '');
        const name = /^syscalls:sys_enter_(\w+)$/.exec(event ?? '')?.[1];
        if (!m || !name || !/^\d+$/.test(count ?? '')) continue;
        const t = out.get(Number(m[1])) ?? new Map<string, number>();
        t.set(name, Number(count));
        out.set(Number(m[1]), t);
      }
      return out;
    },
  };
}

async function measureRun(s: Session, w: Workload, o: Options, round: number): Promise<RunResult> {
  let rate = s.rates.get(w.id);
  if (rate === undefined) {
    // Unmeasured: a short run sizes a warm-up of about o.warmup seconds, which sizes the measured run.
    const probe = await runRedisBenchmark(s.port, w, 5000 * w.pipeline, o, 60_000);
    const warm = await runRedisBenchmark(s.port, w, Math.max(5000, Math.round(probe.out.rps * o.warmup)), o, Math.max(60_000, o.warmup * 4000));
    rate = warm.out.rps;
  }
  const requests = Math.max(5000, Math.round((rate * o.seconds) / 1000) * 1000);
  const loadavg = os.loadavg()[0]!;
  const perfFile = o.perf ? path.join(o.perf, `${s.name}-${w.id}-r${round}.data`) : undefined;
  const perf = perfFile ? startPerf(s.pid, perfFile) : undefined;
  const counting = o.syscalls ? startSyscallCount(s.pid, path.join(os.tmpdir(), `raftkv-cpw-syscalls-${process.pid}.csv`)) : undefined;
  // perf attaches to the threads in the background: give it a moment, so the run is counted whole.
  if (perf || counting) await sleep(300);
  const before = sampleProcess(s.pid);
  const run = await runRedisBenchmark(s.port, w, requests, o, Math.max(30_000, o.seconds * 3000));
  const after = sampleProcess(s.pid);
  await perf?.stop();
  const counts = await counting?.stop();
  let syscalls: Map<string, Record<string, number>> | undefined;
  if (counts) {
    syscalls = new Map();
    const group = groupOf(s.roles);
    for (const [tid, calls] of counts) {
      for (const [name, n] of calls) {
        const row = syscalls.get(name) ?? {};
        row[group(tid)] = (row[group(tid)] ?? 0) + n / requests;
        syscalls.set(name, row);
      }
    }
  }
  s.rates.set(w.id, run.out.rps);
  const groups = groupDelta(before, after, s.roles, 'ns');
  const writes: Record<string, number> = {};
  let syscw = 0;
  for (const [g, n] of Object.entries(groupDelta(before, after, s.roles, 'syscw'))) {
    writes[g] = n / requests;
    syscw += n;
  }
  const syscr = Object.values(groupDelta(before, after, s.roles, 'syscr')).reduce((a, b) => a + b, 0);
  const us: Record<string, number> = {};
  let cluster = 0;
  for (const [g, ns] of Object.entries(groups)) {
    us[g] = ns / 1000 / requests;
    cluster += ns;
  }
  us.cluster = cluster / 1000 / requests;
  us.client = run.cpuNs / 1000 / requests;
  us.total = us.cluster + us.client;
  return {
    variant: s.name,
    workload: w.id,
    requests,
    wallMs: run.wallMs,
    rps: run.out.rps,
    p50Ms: run.out.p50Ms,
    us,
    syscwPerReq: syscw / requests,
    syscrPerReq: syscr / requests,
    writes,
    loadavg,
    ...(perfFile ? { perf: perfLines(perfParts(perfFile, groupOf(s.roles)), us) } : {}),
    ...(syscalls ? { syscalls } : {}),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "median [min-max]" */
function spread(xs: number[], digits = 1): string {
  const f = (x: number): string => x.toFixed(digits);
  return xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} [${f(Math.min(...xs))}-${f(Math.max(...xs))}]`;
}

function report(results: RunResult[], sessions: Session[], o: Options, header: string[]): string[] {
  const lines = [...header];
  const cols = ['total', 'cluster', 'client', 'main', 'leader', 'follower1', 'follower2', 'pool', 'v8'];
  for (const w of WORKLOADS.filter((x) => o.only.includes(x.id))) {
    lines.push('', `## ${w.id}: redis-benchmark -t ${w.test} -c ${o.clients} -P ${w.pipeline}${o.randomKeys ? ` -r ${o.randomKeys}` : ''}; medians [min-max] of ${o.rounds} runs of ~${o.seconds} s`);
    for (const s of sessions) {
      const rs = results.filter((r) => r.variant === s.name && r.workload === w.id);
      if (rs.length === 0) continue;
      lines.push(`${s.name}: ${spread(rs.map((r) => r.rps), 0)} req/s (redis-benchmark), p50 ${spread(rs.map((r) => r.p50Ms), 2)} ms; load avg ${rs.map((r) => r.loadavg.toFixed(2)).join(' ')}`);
      lines.push(`  CPU µs per request: ${cols.map((c) => `${c} ${spread(rs.map((r) => r.us[c] ?? 0))}`).join(' | ')}`);
      lines.push(
        `  syscalls per request (cluster, /proc/<pid>/task/*/io): writes ${spread(rs.map((r) => r.syscwPerReq), 2)} (${['leader', 'follower1', 'follower2', 'pool'].map((g) => `${g} ${spread(rs.map((r) => r.writes[g] ?? 0), 2)}`).join(', ')}), reads ${spread(rs.map((r) => r.syscrPerReq), 2)}`,
      );
      lines.push(`  cluster busy ${spread(rs.map((r) => (r.us.cluster! * r.requests) / r.wallMs / 10), 0)}% of one core, client ${spread(rs.map((r) => (r.us.client! * r.requests) / r.wallMs / 10), 0)}%`);
      const counted = rs.filter((r) => r.syscalls);
      if (counted.length > 0) {
        lines.push(`  syscalls per request (perf stat), by thread group:`);
        for (const name of SYSCALLS) {
          const groups = ['leader', 'follower1', 'follower2', 'pool', 'v8', 'main'];
          const per = groups.map((g) => counted.map((r) => r.syscalls!.get(name)?.[g] ?? 0));
          const total = counted.map((_, i) => per.reduce((a, xs) => a + xs[i]!, 0));
          if (Math.max(...total) < 0.005) continue;
          const shown = groups.map((g, j) => [g, per[j]!] as const).filter(([, xs]) => Math.max(...xs) >= 0.0005);
          lines.push(`    ${name.padEnd(12)} ${spread(total, 3)}: ${shown.map(([g, xs]) => `${g} ${spread(xs, 3)}`).join(', ')}`);
        }
      }
      for (const [i, r] of rs.entries()) if (r.perf) lines.push(`  perf, run ${i + 1} (shares of on-CPU samples; µs scaled to the measured CPU of each thread group):`, ...r.perf.map((l) => `    ${l}`));
    }
  }
  return lines;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const procs = new ChildProcesses();
  const stopAll = (): void => procs.killAllNow();
  process.on('exit', stopAll);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftkv-cpw-'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  const commit = (cli: string | undefined): string => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: cli ? path.dirname(cli) : here, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const header = [
    `# cpu-per-write ${o.label} — ${new Date().toISOString()}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load avg at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `# ${o.variants
      .map((v) => `${v.name} = ${v.cli ?? 'this build'} (${commit(v.cli)}${v.cli ? '' : ' + working tree'})${v.nodeArgs.length ? ` node ${v.nodeArgs.join(' ')}` : ''}${Object.keys(v.env).length ? ` env ${Object.entries(v.env).map(([k, x]) => `${k}=${x}`).join(' ')}` : ''}`)
      .join('; ')}; UV_THREADPOOL_SIZE ${o.threadpool ?? process.env.UV_THREADPOOL_SIZE ?? 'unset'}`,
  ];
  for (const l of header) console.log(l);
  const sessions: Session[] = [];
  const results: RunResult[] = [];
  const startupCount = startupThreadCount();
  try {
    for (const v of o.variants) {
      const s = await startSession(v, o, procs, tmp, startupCount);
      sessions.push(s);
      const pool = sampleProcess(s.pid).threads.size - 1 - s.roles.nodes.size - s.roles.startup.size;
      console.log(
        `${v.name}: cluster PID ${s.pid}, leader ${s.roles.leader} (RESP port ${s.port}), node threads ${[...s.roles.nodes].map(([id, t]) => `${id}=${t}`).join(' ')}, ` +
          `${pool} pool threads, ${s.roles.startup.size} V8/startup threads, idle ${(s.idleUsPerSec / 1e4).toFixed(1)}% of a core`,
      );
    }
    const workloads = WORKLOADS.filter((w) => o.only.includes(w.id));
    for (let round = 1; round <= o.rounds; round++) {
      for (const w of workloads) {
        // Alternate which variant goes first, so neither always follows the other.
        const order = round % 2 ? sessions : [...sessions].reverse();
        for (const s of order) {
          let r: RunResult;
          try {
            r = await measureRun(s, w, o, round);
          } catch (e) {
            // Under a heavily loaded machine a node may starve past its election timeout: note it, find the leader, go on.
            const why = `round ${round} ${w.id}: ${(e as Error).message.slice(0, 200)}`;
            s.failures.push(why);
            console.log(`${s.name} ${why}`);
            s.rates.delete(w.id);
            await s.relead();
            continue;
          }
          results.push(r);
          console.log(`round ${round} ${s.name} ${w.id}: ${r.rps.toFixed(0)} req/s, ${r.us.total!.toFixed(1)} µs/req (cluster ${r.us.cluster!.toFixed(1)}: leader ${r.us.leader!.toFixed(1)}, followers ${(r.us.follower1! + r.us.follower2!).toFixed(1)}, pool ${r.us.pool!.toFixed(1)}, v8 ${r.us.v8!.toFixed(1)}, main ${r.us.main!.toFixed(1)}; client ${r.us.client!.toFixed(1)}), writes ${r.syscwPerReq.toFixed(2)}/req, load ${r.loadavg.toFixed(2)}`);
        }
      }
    }
  } catch (e) {
    console.log(`stopped early: ${(e as Error).stack ?? String(e)}`);
    header.push(`# stopped early: ${(e as Error).message.slice(0, 300)}`);
  } finally {
    for (const s of sessions) {
      await s.cluster.stop();
      // --perf-basic-prof's symbol map; every run was analysed already.
      if (o.perf) rmSync(`/tmp/perf-${s.pid}.map`, { force: true });
    }
    await procs.stopAll();
    rmSync(tmp, { recursive: true, force: true });
  }
  const lines = report(results, sessions, o, header);
  for (const s of sessions) for (const f of s.failures) lines.push(`# ${s.name}: failed run, not counted: ${f}`);
  lines.push(`# idle cluster CPU (2 s before the runs, % of one core; included above): ${sessions.map((s) => `${s.name} ${(s.idleUsPerSec / 1e4).toFixed(1)}% (${s.idleGroups})`).join('; ')}`);
  console.log(lines.slice(header.length).join('\n'));
  mkdirSync(path.dirname(o.out), { recursive: true });
  appendFileSync(o.out, lines.join('\n') + '\n\n');
  console.log(`appended to ${o.out}`);
}

await main();
