// How many threads libuv's pool gets. The pool runs every sqlite3 call and
// every file operation of every node in the process (worker threads share
// their process's pool), and libuv sizes it once, from UV_THREADPOOL_SIZE,
// when it is first used: main.cts sets the variable before anything runs.

import { readFileSync } from 'node:fs';

/** libuv's own default. */
export const LIBUV_DEFAULT_POOL_SIZE = 4;

/**
 * One thread per node, as a node's store runs one transaction at a time and
 * an fsync'ed one holds its thread for the disk's flush: with fewer threads
 * than nodes, one node's persist waits behind another's (2 threads for 3
 * nodes: ~12% fewer SET/s and a higher p50 than 3, 4 or 6). One more for
 * what runs beside them (a snapshot copied on its own connection, snapshot
 * files). Never fewer than libuv's 4: idle threads cost no CPU (3, 4 and 6
 * threads measured the same CPU per write). bench/results/2026-12-07-cpu-per-write.txt.
 */
export function threadPoolSize(nodes: number): number {
  return Math.max(LIBUV_DEFAULT_POOL_SIZE, Math.floor(nodes) + 1);
}

/** The value after `--name` or in `--name=value`. */
function option(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** Nodes in a cluster config (of every shard); undefined when it cannot be read (the command itself says why). */
function nodesInConfig(file: string, read: (file: string) => string): number | undefined {
  try {
    const c = JSON.parse(read(file)) as { nodes?: unknown[]; shards?: { nodes?: unknown[] }[] };
    if (Array.isArray(c.nodes)) return c.nodes.length;
    if (Array.isArray(c.shards)) return c.shards.reduce((n, s) => n + (Array.isArray(s?.nodes) ? s.nodes.length : 0), 0);
  } catch {
    // Not readable here: the command reports it.
  }
  return undefined;
}

/** How many nodes `raftkv <argv>` runs in this process: a cluster's, chaos's, or one. */
export function nodesInProcess(argv: readonly string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number {
  const command = argv[0];
  if (command === 'cluster') return nodesInConfig(option(argv, '--config') ?? 'cluster.config.json', read) ?? 1;
  if (command === 'chaos' && option(argv, '--isolation') !== 'process') {
    const nodes = Number(option(argv, '--nodes') ?? 3);
    const shards = Number(option(argv, '--shards') ?? 0);
    return Number.isFinite(nodes * shards) ? nodes * Math.max(1, shards) : 1;
  }
  return 1;
}
