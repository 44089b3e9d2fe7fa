import type { LinkFilter } from '../transport/link-filter.js';
import type { LogRecord } from '../common/logger.js';
import type { NodeStatus } from './types.js';

export type ParentToWorker =
  | { type: 'stop'; reason?: string }
  | { type: 'status'; reqId: number }
  | { type: 'memory'; reqId: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'kill' }
  | { type: 'filter'; rule: LinkRule }
  /** Test hook, obeyed only with RAFTKV_TEST_HOOKS=1: an uncaught exception or unhandled rejection in the node's thread. */
  | { type: 'crash-test'; kind: CrashKind };

export type CrashKind = 'exception' | 'rejection';

/** A change to a node's outbound/inbound link filter (fault injection). */
export type LinkRule =
  | { op: 'cut'; peer: string }
  | { op: 'cutFrom'; peer: string }
  | { op: 'heal' }
  | { op: 'loss'; peer: string; pct: number }
  | { op: 'delay'; peer: string; ms: number };

export type WorkerToParent =
  | { type: 'ready'; httpPort: number; respPort?: number; httpServer: string }
  | { type: 'fatal'; error: string }
  | { type: 'log'; record: LogRecord }
  | { type: 'status'; reqId: number; status: NodeStatus | undefined }
  | { type: 'memory'; reqId: number; memory: HeapUsage }
  /** The node cannot go on (a storage write failed); its fronts answer 503 with the reason until it is stopped. */
  | { type: 'failed'; reason: string };

/** A node thread's own V8 heap (the process's RSS is shared by every thread). */
export interface HeapUsage {
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** The kernel's id of the node's thread (Linux only). */
  osThreadId?: number;
}

export function applyLinkRule(filter: LinkFilter, rule: LinkRule): void {
  switch (rule.op) {
    case 'cut':
      filter.cut(rule.peer);
      return;
    case 'cutFrom':
      filter.cutFrom(rule.peer);
      return;
    case 'heal':
      filter.heal();
      return;
    case 'loss':
      filter.setLoss(rule.peer, rule.pct);
      return;
    case 'delay':
      filter.setDelay(rule.peer, rule.ms);
      return;
  }
}
