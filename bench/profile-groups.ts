// Where a thread's CPU time goes, by part of the write path: the self time of
// every sample in a V8 CPU profile (`--cpu-prof`, one file per thread) is
// charged to the innermost frame that belongs to a known part — raftkv's own
// files by folder and function, Node's socket and timer internals — so time
// spent inside msgpackr or a native call counts for the raftkv code that
// called it (the peer codec's msgpack apart from the log entries').
//
//   node dist/bench/profile-groups.js <profile or directory> [--top N]

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

/** A part of the write path; the first rule that matches a frame names it. */
const RULES: readonly { part: string; url: RegExp; fn?: RegExp }[] = [
  { part: 'envelope encode/decode (msgpack)', url: /\/node\/kv-state\.js$/, fn: /^(encodeEnvelope|decodeEnvelope)$/ },
  { part: 'KvState apply + sessions', url: /\/node\/(kv-state|stored-bytes)\.js$/ },
  { part: 'validation', url: /\/(node\/command-validation|api\/kv-rules|shard\/shard-guard)\.js$/ },
  { part: 'RESP parse', url: /\/resp\/parser\.js$/ },
  { part: 'RESP commands/reply', url: /\/resp\/(encoder|command|errors-resp|commands\/[^/]+)\.js$/ },
  { part: 'RESP connection', url: /\/resp\/(connection|server)\.js$/ },
  { part: 'raft core', url: /\/src\/raft\// },
  { part: 'node: apply loop', url: /\/node\/raft-node\.js$/, fn: /apply|sessionsToStore/ },
  { part: 'node: ready loop + proposals', url: /\/node\/raft-node\.js$/ },
  { part: 'node: other runtime', url: /\/node\/(forwarder|clock|node-host|worker|logger)\.js$/ },
  { part: 'peer codec (msgpack)', url: /\/transport\/codec\.js$/ },
  { part: 'peer validate', url: /\/transport\/validate\.js$/ },
  { part: 'peer framing/links', url: /\/transport\// },
  { part: 'SQL text building', url: /\/storage\/(sql-script|multi-row)\.js$/ },
  { part: 'storage (store, sqlite3 calls)', url: /\/storage\/|\/sqlite3\// },
  { part: 'HTTP front', url: /\/api\// },
  { part: 'socket I/O (node streams, net)', url: /^node:(net|stream|internal\/(stream_base_commons|streams\/|net))/ },
  { part: 'timers', url: /^node:internal\/timers/ },
  { part: 'worker messaging', url: /^node:internal\/worker/ },
];

const SPECIAL: Record<string, string> = {
  '(garbage collector)': 'GC (on this thread)',
  '(program)': 'native, unattributed (libuv, V8 internals)',
  '(idle)': 'idle',
};

/** The part of the write path a function of this file (a file: or node: URL) belongs to, if any. */
export function partOfUrl(url: string, functionName: string): string | undefined {
  for (const r of RULES) if (r.url.test(url) && (!r.fn || r.fn.test(functionName))) return r.part;
  return undefined;
}

function partOf(frame: ProfileNode['callFrame']): string | undefined {
  const special = SPECIAL[frame.functionName];
  if (special) return special;
  return frame.url ? partOfUrl(frame.url, frame.functionName) : undefined;
}

export interface ProfileParts {
  file: string;
  totalMs: number;
  /** Part -> sampled ms. */
  parts: Map<string, number>;
  /** Self time of functions, "name (file:line)" -> ms. */
  functions: Map<string, number>;
  busyMs: number;
}

export function profileParts(file: string): ProfileParts {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let hits = 0;
  for (const n of prof.nodes) hits += n.hitCount ?? 0;
  const totalMs = (prof.endTime - prof.startTime) / 1000;
  const msPerHit = hits > 0 ? totalMs / hits : 0;
  let busyMs = 0;
  // Depth-first from the root, each node inheriting its caller's part.
  const root = prof.nodes[0]!;
  const stack: [ProfileNode, string][] = [[root, 'other JS (unattributed)']];
  while (stack.length > 0) {
    const [n, inherited] = stack.pop()!;
    const part = partOf(n.callFrame) ?? inherited;
    const ms = (n.hitCount ?? 0) * msPerHit;
    if (ms > 0) {
      parts.set(part, (parts.get(part) ?? 0) + ms);
      if (part !== 'idle') {
        busyMs += ms;
        const f = n.callFrame;
        const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : 'native';
        const key = `${f.functionName || '(anonymous)'} (${where})`;
        functions.set(key, (functions.get(key) ?? 0) + ms);
      }
    }
    for (const c of n.children ?? []) stack.push([byId.get(c)!, part]);
  }
  return { file: path.basename(file), totalMs, parts, functions, busyMs };
}

function shortUrl(u: string): string {
  const s = u.replace(/^file:\/\//, '');
  const d = s.lastIndexOf('/dist/');
  if (d >= 0) return s.slice(d + 6);
  const nm = s.lastIndexOf('/node_modules/');
  return nm >= 0 ? s.slice(nm + 14) : s;
}

export function formatParts(p: ProfileParts, top: number): string[] {
  const lines = [`${p.file}: ${p.totalMs.toFixed(0)} ms profiled, busy ${p.busyMs.toFixed(0)} ms (${((p.busyMs / p.totalMs) * 100).toFixed(0)}%)`];
  const parts = [...p.parts].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1]);
  for (const [k, ms] of parts) lines.push(`  ${((ms / p.busyMs) * 100).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(6)} ms  ${k}`);
  lines.push(`  top functions by self time (share of busy):`);
  for (const [k, ms] of [...p.functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${((ms / p.busyMs) * 100).toFixed(1).padStart(5)}%  ${k}`);
  return lines;
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  for (const arg of args) {
    const files = statSync(arg).isDirectory()
      ? readdirSync(arg)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()
          .map((f) => path.join(arg, f))
      : [arg];
    for (const f of files) console.log(formatParts(profileParts(f), top).join('\n') + '\n');
  }
}

if (process.argv[1]?.endsWith('profile-groups.js')) main();
