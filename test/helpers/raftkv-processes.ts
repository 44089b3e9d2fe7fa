// `raftkv` commands as a user runs them: child processes, each stopped by
// its PID, with their output kept for the failure message.

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../../src/kit/ports.js';
import { until as untilDone } from '../../src/kit/wait.js';

export const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** Every process a test started; `stopAll` ends them (SIGTERM, then SIGKILL) and waits. */
export class Procs {
  readonly #all: Proc[] = [];

  /** `raftkv ARGS...` */
  raftkv(name: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
    return this.spawn(name, process.execPath, [CLI, ...args], opts);
  }

  spawn(name: string, file: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const p: Proc = { name, child, exited, output: () => out };
    this.#all.push(p);
    return p;
  }

  /** The last lines of every process's output, for a failure message. */
  outputs(): string {
    return this.#all.map((p) => `--- ${p.name} (pid ${p.child.pid}) ---\n${p.output().split('\n').slice(-15).join('\n')}`).join('\n');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#all.map((p) => stop(p)));
  }
}

export function isRunning(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** SIGTERM (a clean stop), SIGKILL after 10 s. */
export async function stop(p: Proc): Promise<void> {
  if (!isRunning(p)) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(timer);
}

/** Poll `f` until it returns a value (errors count as "not yet"). */
export function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000, context: () => string = () => ''): Promise<T> {
  return untilDone(what, f, { timeoutMs: ms, context });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** `n` free loopback ports p whose p + `offset` is free too (hraftd's Raft port is the HTTP port + 1000). */
export async function freePortsWithPartner(n: number, offset = 1000): Promise<number[]> {
  const found: number[] = [];
  while (found.length < n) {
    for (const p of await freePorts(n)) {
      // Every port and every partner must be distinct: a port that is another's partner (43789 → 44789 beside a
      // picked 44789) makes two nodes of one test bind the same address.
      const taken = found.flatMap((f) => [f, f + offset]);
      const fits = found.length < n && p + offset <= 65535 && !taken.includes(p) && !taken.includes(p + offset);
      if (fits && (await portIsFree(p + offset))) found.push(p);
    }
  }
  return found;
}
