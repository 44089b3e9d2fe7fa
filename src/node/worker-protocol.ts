import type { LogRecord } from './logger.js';
import type { NodeStatus } from './types.js';

export type ParentToWorker =
  | { type: 'stop'; reason?: string }
  | { type: 'status'; reqId: number }
  | { type: 'pause' }
  | { type: 'resume' };

export type WorkerToParent =
  | { type: 'ready'; httpPort: number; native: boolean }
  | { type: 'fatal'; error: string }
  | { type: 'log'; record: LogRecord }
  | { type: 'status'; reqId: number; status: NodeStatus | undefined };
