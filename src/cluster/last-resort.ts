// The launcher's safety net. Every node thread lives in the launcher's
// process, so an exception nobody caught there would end every node at once
// (and a process that exits with node threads alive aborts). A bug in the
// launcher is logged loudly instead, and the launcher keeps serving.

import type { LogRecord } from '../common/logger.js';

/** Install the process-wide handlers; returns their removal. */
export function installLastResort(log: (r: LogRecord) => void): () => void {
  const report = (what: string, e: unknown): void => {
    try {
      const message = e instanceof Error ? e.message : String(e);
      log({ level: 'error', msg: `launcher: ${what} (a bug): ${message}`, time: Date.now(), error: e instanceof Error ? (e.stack ?? message) : message });
    } catch {
      // Even the log failed (stdout gone): there is nobody left to tell.
    }
  };
  const onException = (e: Error): void => report('uncaught exception', e);
  const onRejection = (e: unknown): void => report('unhandled rejection', e);
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
