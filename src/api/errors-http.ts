// The one mapping from error codes to HTTP statuses.

import { NodeError, toNodeError, type NodeErrorCode } from '../common/errors.js';

const STATUS: Record<NodeErrorCode, number> = {
  RAFTKV_ERR_NOT_LEADER: 503,
  RAFTKV_ERR_NO_LEADER: 503,
  RAFTKV_ERR_PROPOSAL_DROPPED: 503,
  RAFTKV_ERR_BUSY: 503,
  RAFTKV_ERR_SHUTTING_DOWN: 503,
  // A watch from a revision this node no longer holds (the log's own compaction never reaches clients).
  RAFTKV_ERR_COMPACTED: 410,
  RAFTKV_ERR_CONF_CHANGE: 409,
  RAFTKV_ERR_TRANSFER: 409,
  RAFTKV_ERR_TIMEOUT: 504,
  RAFTKV_ERR_BAD_REQUEST: 400,
  RAFTKV_ERR_NOT_INTEGER: 400,
  RAFTKV_ERR_WRONGTYPE: 409,
  RAFTKV_ERR_NOT_FOUND: 404,
  RAFTKV_ERR_METHOD: 405,
  RAFTKV_ERR_TOO_LARGE: 413,
  RAFTKV_ERR_WRONG_SHARD: 421,
  RAFTKV_ERR_CROSSSLOT: 400,
  RAFTKV_ERR_FORBIDDEN: 403,
  RAFTKV_ERR_UNAUTHENTICATED: 401,
  RAFTKV_ERR_NODE_FAILED: 503,
  RAFTKV_ERR_INTERNAL: 500,
};

const REASON: Record<number, string> = {
  200: 'OK', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 410: 'Gone',
  413: 'Payload Too Large', 421: 'Misdirected Request', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusLine(status: number): string {
  return `${status} ${REASON[status] ?? ''}`.trim();
}

export interface HttpError {
  status: number;
  body: { error: string; code: NodeErrorCode; leader?: string; [detail: string]: string | number | undefined };
  /** Seconds, for 503 answers the client should retry. */
  retryAfter?: number;
}

export function httpError(e: unknown): HttpError {
  const err: NodeError = toNodeError(e);
  const status = STATUS[err.code];
  return {
    status,
    body: { ...err.details, error: err.message, code: err.code, ...(err.leader ? { leader: err.leader } : {}) },
    retryAfter: status === 503 ? 1 : undefined,
  };
}
