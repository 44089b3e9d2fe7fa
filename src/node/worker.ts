// Entry of a node's worker thread. The launcher talks to it by messages;
// a node holding uWS and sqlite3 handles must end by closing them (see
// STACK.md): never by worker.terminate(), which aborts the whole process.

import { parentPort, workerData } from 'node:worker_threads';
import { makeLogger, type LogLevel } from './logger.js';
import { runNode, type NodeRunOptions, type RunningNode } from './run-node.js';
import { applyLinkRule, type ParentToWorker, type WorkerToParent } from './worker-protocol.js';

const port = parentPort!;
const data = workerData as { options: NodeRunOptions; logLevel: LogLevel };
const post = (m: WorkerToParent): void => port.postMessage(m);
const logger = makeLogger((record) => post({ type: 'log', record }), data.logLevel, { id: data.options.id });

let running: RunningNode | undefined;
let dead = false;

function stop(reason: string): void {
  if (dead) return;
  dead = true;
  logger.info('node stopping', { reason });
  const done = running ? running.stop() : Promise.resolve();
  done
    .catch((e: unknown) => logger.error('error while stopping', { error: String(e) }))
    .finally(() => setImmediate(() => port.close()));
}

process.on('uncaughtException', (e) => {
  logger.error('uncaught exception; stopping the node', { error: e.stack ?? String(e) });
  stop('uncaught exception');
});
process.on('unhandledRejection', (e) => {
  logger.error('unhandled rejection; stopping the node', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  stop('unhandled rejection');
});

port.on('message', (m: ParentToWorker) => {
  if (dead) return;
  switch (m.type) {
    case 'stop':
      stop(m.reason ?? 'stop requested');
      return;
    case 'status':
      post({ type: 'status', reqId: m.reqId, status: running?.node.status() });
      return;
    case 'pause':
      running?.node.pause();
      return;
    case 'resume':
      running?.node.resume();
      return;
    case 'kill':
      // Abrupt: no hand-off, pending requests fail, the disk keeps what was issued.
      stop('killed');
      return;
    case 'filter':
      if (running) applyLinkRule(running.node.transport.filter, m.rule);
      return;
  }
});

try {
  running = await runNode(data.options, logger);
  if (dead) await running.stop();
  else post({ type: 'ready', httpPort: running.http.port, ...(running.resp ? { respPort: running.resp.port } : {}), native: running.http.native });
} catch (e) {
  post({ type: 'fatal', error: e instanceof Error ? e.message : String(e) });
  stop('start-up failed');
}
