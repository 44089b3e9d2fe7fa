// Where on-CPU time goes, from `perf record -e cpu-clock -g` of the cluster
// process (bench/cpu-per-write.ts --perf): unlike V8's sampling profiler,
// perf counts only time a thread really ran, and sees the kernel (syscalls,
// wake-ups, fsync), sqlite3's own code in the pool threads and V8's GC.
// Each sample is charged to one part, chosen from its stack:
//   - kernel: the syscall it is in (futex, epoll_wait, writev, fdatasync, ...),
//     with the part of the program that made the call;
//   - GC, sqlite3 (SQL execution in the pool, or its binding on the node's
//     thread), libuv/Node native code;
//   - JavaScript: the innermost frame of a known part of raftkv (the rules of
//     profile-groups.ts), so msgpackr or a builtin counts for its caller.
//
//   node dist/bench/perf-groups.js <perf.data> [--top N] [--threads tid=name,...]

import { execFileSync } from 'node:child_process';
import { partOfUrl } from './profile-groups.js';

interface Frame {
  sym: string;
  dso: string;
}

export interface PerfParts {
  /** Thread group -> part -> samples. */
  groups: Map<string, Map<string, number>>;
  samples: number;
}

const GC = /(^|::)(Heap|Scavenge|Scavenger|MarkCompact|Sweeper|ConcurrentMarking|MarkingVisitor|MainMarkingVisitor|GCTracer|Evacuat|IncrementalMarking|MinorMarkCompact|MemoryAllocator|PagedSpace|MarkingBarrier|WriteBarrier)|RecordWrite|heap::base|cppgc/;

const JIT = /(^|::)(compiler::|maglev::|baseline::|interpreter::|Compiler::|OptimizingCompileDispatcher|CompileTask|TurbofanCompilationJob|OptimizedCompilationJob|Parser::|Scanner::|AstNode|PreParser)/;

/** The part of a JS frame ("JS:*name file:///…/dist/src/resp/parser.js:12:3"), or undefined. */
function jsPart(sym: string): string | undefined {
  const m = /^(?:JS|LazyCompile|Function):[*~^+-]?(\S*) (\S+?)(?::\d+)*$/.exec(sym);
  if (!m) return undefined;
  return partOfUrl(m[2]!, m[1]!);
}

function userPart(frames: Frame[], from: number): string {
  let sqliteWork = false;
  let sqliteBinding = false;
  let gc = false;
  for (let i = from; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.dso.endsWith('.map')) {
      const p = jsPart(f.sym);
      if (p) return p;
      continue;
    }
    if (f.dso.includes('node_sqlite3')) {
      if (/Work_(?!Begin)|sqlite3[A-Za-z_]|^sqlite3/.test(f.sym) || f.sym.startsWith('0x')) sqliteWork = true;
      else sqliteBinding = true;
      continue;
    }
    if (GC.test(f.sym)) gc = true;
  }
  if (gc) return 'GC';
  if (sqliteWork) return 'sqlite3: SQL execution';
  if (sqliteBinding) return 'sqlite3: binding on the calling thread';
  return 'native, no JS caller (libuv, Node, V8)';
}

function classify(frames: Frame[]): string {
  if (frames.length === 0) return 'unknown';
  // Leaf first. Kernel frames come before the user-space ones.
  let k = 0;
  while (k < frames.length && frames[k]!.dso.includes('kernel')) k++;
  const user = userPart(frames, k);
  // GC and sqlite3 are what they are, whoever called them.
  const gcLeaf = frames.slice(k).some((f) => GC.test(f.sym));
  const jit = frames.slice(k).some((f) => JIT.test(f.sym));
  if (k === 0) {
    if (gcLeaf) return 'GC';
    if (jit) return 'V8 JIT compiler';
    if (frames[0]!.dso.includes('node_sqlite3') || user.startsWith('sqlite3')) return user;
    return user.startsWith('native') ? user : `JS: ${user}`;
  }
  let syscall: string | undefined;
  for (let i = 0; i < k; i++) {
    const m = /^(?:__x64_sys_|__do_sys_|__se_sys_|ksys_)(\w+)/.exec(frames[i]!.sym);
    if (m) syscall = m[1]!;
  }
  if (!syscall) {
    const kernelOnly = frames.slice(0, k).map((f) => f.sym).join(' ');
    syscall = /page_fault|exc_page/.test(kernelOnly) ? 'page faults' : /schedule|finish_task_switch/.test(kernelOnly) ? 'scheduling (preempted)' : 'irq/other';
  }
  if (syscall === 'fdatasync' || syscall === 'fsync') syscall = 'fsync';
  return `kernel ${syscall} ← ${gcLeaf ? 'GC' : jit ? 'V8 JIT compiler' : user}`;
}

/** Parse `perf script` output: samples separated by blank lines, a header line then frames "addr sym (dso)". */
export function perfParts(file: string, groupOf: (tid: number) => string): PerfParts {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const groups = new Map<string, Map<string, number>>();
  let samples = 0;
  let tid = -1;
  let frames: Frame[] = [];
  const flush = (): void => {
    if (tid < 0) return;
    const part = classify(frames);
    const g = groupOf(tid);
    const m = groups.get(g) ?? new Map<string, number>();
    m.set(part, (m.get(part) ?? 0) + 1);
    groups.set(g, m);
    samples++;
    tid = -1;
    frames = [];
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      flush();
      continue;
    }
    // A sample's header is its thread id alone (right-aligned: it may start with spaces).
    if (/^\s*\d+\s*$/.test(line)) {
      flush();
      tid = Number(line.trim());
      continue;
    }
    const m = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line);
    if (m) frames.push({ sym: m[1]!, dso: m[2]! });
  }
  flush();
  return { groups, samples };
}

/** Coarse areas of the write path, from the parts above (first match wins). */
const AREAS: readonly [string, RegExp][] = [
  ['fsync (kernel, pool)', /^kernel fsync/],
  ['sqlite3 in the pool (SQL parse and run, WAL writes, locks)', /← sqlite3: SQL execution$|^sqlite3: SQL execution$/],
  ['socket syscalls (client and peer reads, writes)', /^kernel (write|writev|read|sendmsg|recvfrom) ← (socket I\/O|native)/],
  ['thread wake-ups (futex, epoll, scheduling, irq)', /^kernel (futex|epoll_pwait|scheduling|irq)/],
  ['GC', /^GC$|← GC$/],
  ['V8 JIT compiler', /JIT compiler/],
  ['RESP front (parse, commands, replies, connection)', /RESP/],
  ['Node streams, libuv, V8 glue (no raftkv caller)', /^native|^JS: socket I\/O|^JS: other JS|^kernel .* ← native/],
  ['sqlite3 calls on the node threads (binding, promises)', /storage \(store, sqlite3 calls\)/],
  ['peer codec and links (msgpack, framing, validation)', /peer /],
  ['node runtime (ready loop, proposals, apply loop, timers)', /node: |timers/],
  ['raft core', /raft core/],
  ['SQL text building', /SQL text/],
  ['KvState apply, envelope decode, validation', /KvState|envelope|validation/],
];

/** Lines summing the parts of all threads into AREAS, with µs given the cluster's CPU per request. */
export function formatAreas(p: PerfParts, usPerRequest?: number): string[] {
  const sums = new Map<string, number>();
  let n = 0;
  for (const m of p.groups.values()) {
    for (const [part, c] of m) {
      const area = AREAS.find(([, re]) => re.test(part))?.[0] ?? 'other';
      sums.set(area, (sums.get(area) ?? 0) + c);
      n += c;
    }
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([area, c]) => `  ${((c / n) * 100).toFixed(1).padStart(5)}%${usPerRequest !== undefined ? ` ${((c / n) * usPerRequest).toFixed(1).padStart(5)} µs` : ''}  ${area}`);
}

/** Lines of a report: per group, each part's share and, given the group's CPU per request, its µs. */
export function formatPerfParts(p: PerfParts, top: number, usPerGroup?: Record<string, number>): string[] {
  const lines: string[] = [];
  const total = new Map<string, number>();
  for (const m of p.groups.values()) for (const [k, n] of m) total.set(k, (total.get(k) ?? 0) + n);
  const order = ['all', ...[...p.groups.keys()].sort()];
  for (const g of order) {
    const m = g === 'all' ? total : p.groups.get(g)!;
    const n = [...m.values()].reduce((a, b) => a + b, 0);
    const us = g === 'all' ? (usPerGroup ? Object.entries(usPerGroup).reduce((a, [k, v]) => a + (p.groups.has(k) ? v : 0), 0) : undefined) : usPerGroup?.[g];
    lines.push(`${g}: ${n} samples${us !== undefined ? `, ${us.toFixed(1)} µs/request` : ''}`);
    for (const [k, c] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(`  ${((c / n) * 100).toFixed(1).padStart(5)}%${us !== undefined ? ` ${((c / n) * us).toFixed(2).padStart(6)} µs` : ''}  ${k}`);
    }
  }
  return lines;
}

function main(): void {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const top = Number(opt('--top') ?? 30);
  const names = new Map<number, string>();
  for (const kv of (opt('--threads') ?? '').split(',').filter(Boolean)) {
    const [tid, name] = kv.split('=');
    names.set(Number(tid), name!);
  }
  for (const file of args) {
    console.log(`# ${file}`);
    console.log(formatAreas(perfParts(file, () => 'all')).join('\n'));
    console.log(formatPerfParts(perfParts(file, (tid) => names.get(tid) ?? (names.size ? 'other' : String(tid))), top).join('\n'));
  }
}

if (process.argv[1]?.endsWith('perf-groups.js')) main();
