// What runs a node for the launcher, whether in a worker thread or a child
// process: it answers the launcher's messages and, on any stop, closes the
// node's uWS and sqlite3 handles before its thread or process ends (docs/ARCHITECTURE.md:
// ending with those handles open aborts the whole launcher).

import { readlinkSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { makeLogger, type LogLevel, type Logger } from '../common/logger.js';
import { runNode, type NodeRunOptions, type RunningNode } from './run-node.js';
import { applyLinkRule, type CrashKind, type ParentToWorker, type WorkerToParent } from '../node/worker-protocol.js';

export interface HostData {
  options: NodeRunOptions;
  logLevel: LogLevel;
}

/** The link to the launcher: a MessagePort in a worker, the IPC channel in a child process. */
export interface HostChannel {
  post(m: WorkerToParent): void;
  onMessage(fn: (m: ParentToWorker) => void): void;
  /** The node's handles are closed: let the thread or process end. */
  end(): void;
}

export async function hostNode(channel: HostChannel, data: HostData): Promise<void> {
  const logger = makeLogger((record) => channel.post({ type: 'log', record }), data.logLevel, { id: data.options.id });
  let running: RunningNode | undefined;
  let dead = false;
  let failed: string | undefined;

  const stop = (reason: string): void => {
    if (dead) return;
    dead = true;
    logger.info('node stopping', { reason });
    const done = running ? running.stop() : Promise.resolve();
    done.catch((e: unknown) => logger.error('error while stopping', { error: String(e) })).finally(() => channel.end());
  };

  // A crashed request or timer is a bug to log, never a reason to stop a
  // node that can go on: its state lives in the Raft log and the store,
  // which an exception in some callback does not touch. A node that really
  // cannot go on says so itself (RaftNode's onFail).
  process.on('uncaughtException', (e) => {
    logger.error('uncaught exception (a bug); the node keeps serving', { error: stackOf(e) });
  });
  process.on('unhandledRejection', (e) => {
    logger.error('unhandled rejection (a bug); the node keeps serving', { error: stackOf(e) });
  });

  channel.onMessage((m) => {
    if (dead) return;
    switch (m.type) {
      case 'stop':
        stop(m.reason ?? 'stop requested');
        return;
      case 'status':
        channel.post({ type: 'status', reqId: m.reqId, status: running?.node.status() });
        return;
      case 'memory': {
        const h = getHeapStatistics();
        channel.post({ type: 'memory', reqId: m.reqId, memory: { heapUsed: h.used_heap_size, heapTotal: h.total_heap_size, external: h.external_memory, ...osThread() } });
        return;
      }
      case 'pause':
        running?.node.pause();
        return;
      case 'resume':
        // A failed node stands still like a paused one, and must stay so.
        if (failed === undefined) running?.node.resume();
        return;
      case 'kill':
        // A thread cannot be killed outright (docs/ARCHITECTURE.md), so this is the
        // closest: no hand-off, pending requests fail, and the disk keeps
        // only what was already issued. A child process gets SIGKILL instead.
        stop('killed');
        return;
      case 'filter':
        if (running) applyLinkRule(running.node.transport.filter, m.rule);
        return;
      case 'crash-test':
        crashTest(m.kind, logger);
        return;
    }
  });

  try {
    const onFail = (reason: string): void => {
      failed = reason;
      channel.post({ type: 'failed', reason });
    };
    running = await runNode({ ...data.options, onFail }, logger);
    if (dead) await running.stop();
    else channel.post({ type: 'ready', httpPort: running.http.port, ...(running.resp ? { respPort: running.resp.port } : {}), httpServer: running.http.serverDescription });
  } catch (e) {
    channel.post({ type: 'fatal', error: e instanceof Error ? e.message : String(e) });
    stop('start-up failed');
  }
}

/** The test hook behind `crash-test`: a crash of the kind asked for, outside any request. */
function crashTest(kind: CrashKind, logger: Logger): void {
  if (process.env.RAFTKV_TEST_HOOKS !== '1') {
    logger.warn('crash-test ignored: test hooks are off (RAFTKV_TEST_HOOKS=1 turns them on)');
    return;
  }
  if (kind === 'exception') {
    setImmediate(() => {
      throw new Error('crash-test: an uncaught exception in the node');
    });
  } else {
    void Promise.reject(new Error('crash-test: an unhandled rejection in the node'));
  }
}

/**
 * This thread's id as the kernel knows it (Linux): /proc/<pid>/task/<tid>
 * then tells how much CPU this node's thread used, apart from the other
 * nodes and the thread pool they share (bench/cpu-per-write.ts).
 */
function osThread(): { osThreadId?: number } {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) ? { osThreadId: tid } : {};
  } catch {
    return {};
  }
}

function stackOf(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
