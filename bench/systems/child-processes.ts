// Every process the harness starts, by PID: stopped at the end of its phase,
// and all of them on Ctrl-C, on an error, or when the harness exits.

import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  exited: Promise<number | null>;
  logFile: string;
}

export class ChildProcesses {
  readonly #children = new Map<number, Child>();
  /** Every PID ever started, running or not. */
  readonly started: number[] = [];

  /** Start `command` with its output going to `logFile`. Throws when it cannot be started. */
  spawn(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Child {
    const fd = openSync(logFile, 'a');
    let proc: ChildProcess;
    try {
      proc = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    } finally {
      closeSync(fd);
    }
    if (proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    const exited = new Promise<number | null>((resolve) => {
      proc.once('exit', (code) => resolve(code));
      proc.once('error', () => resolve(null));
    });
    const child: Child = { name, pid: proc.pid, process: proc, exited, logFile };
    this.#children.set(proc.pid, child);
    this.started.push(proc.pid);
    void exited.then(() => this.#children.delete(child.pid));
    return child;
  }

  get running(): Child[] {
    return [...this.#children.values()];
  }

  /** SIGTERM by PID, then SIGKILL by PID if it has not exited within `graceMs`. */
  async stop(child: Child, graceMs = 10_000): Promise<void> {
    if (!this.#children.has(child.pid)) return;
    signal(child.pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
    if ((await Promise.race([child.exited, timer])) === 'timeout') {
      signal(child.pid, 'SIGKILL');
      await child.exited;
    }
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(this.running.map((c) => this.stop(c, graceMs)));
  }

  /** Last resort when the harness itself exits: SIGKILL every PID still running. */
  killAllNow(): void {
    for (const c of this.running) signal(c.pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
