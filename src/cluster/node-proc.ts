// A running node as the launcher sees it: a worker thread or a child
// process, behind one small interface so every control command works the
// same in both isolation modes.

import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import type { HostData } from '../start/node-host.js';
import type { ParentToWorker, WorkerToParent } from '../node/worker-protocol.js';

export type Isolation = 'thread' | 'process';

export interface NodeProc {
  readonly pid: number | undefined;
  post(m: ParentToWorker): void;
  onMessage(fn: (m: WorkerToParent) => void): void;
  onError(fn: (e: Error) => void): void;
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  /** End the node abruptly: SIGKILL for a process; for a thread, the node drops everything and closes its handles. */
  kill(): void;
}

export function spawnNode(isolation: Isolation, data: HostData): NodeProc {
  return isolation === 'process' ? spawnProcess(data) : spawnThread(data);
}

function spawnThread(data: HostData): NodeProc {
  const worker = new Worker(new URL('../start/worker.js', import.meta.url), { workerData: data });
  return {
    pid: process.pid,
    post: (m) => worker.postMessage(m),
    onMessage: (fn) => worker.on('message', fn),
    onError: (fn) => worker.on('error', fn),
    onExit: (fn) => worker.on('exit', (code) => fn(code, null)),
    // Never worker.terminate(): it aborts the launcher while uWS or sqlite3 handles are open.
    kill: () => worker.postMessage({ type: 'kill' } satisfies ParentToWorker),
  };
}

function spawnProcess(data: HostData): NodeProc {
  const child = fork(new URL('../start/child.js', import.meta.url), [], {
    env: { ...process.env, RAFTKV_NODE_HOST: JSON.stringify(data) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  return {
    pid: child.pid,
    post: (m) => {
      // A message to a child that just died would throw ERR_IPC_CHANNEL_CLOSED.
      if (child.connected) child.send(m, (err) => void err);
    },
    onMessage: (fn) => child.on('message', (m) => fn(m as WorkerToParent)),
    onError: (fn) => child.on('error', fn),
    onExit: (fn) => child.on('exit', (code, signal) => fn(code, signal)),
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
}
