// The one error hierarchy of the node and its fronts. Codes are stable; the
// HTTP and RESP fronts map them to statuses and replies in one place each.

import { RaftError } from '../raft/errors.js';

export type NodeErrorCode =
  | 'RAFTKV_ERR_NOT_LEADER'
  | 'RAFTKV_ERR_NO_LEADER'
  | 'RAFTKV_ERR_PROPOSAL_DROPPED'
  | 'RAFTKV_ERR_BUSY'
  | 'RAFTKV_ERR_COMPACTED'
  | 'RAFTKV_ERR_CONF_CHANGE'
  | 'RAFTKV_ERR_TRANSFER'
  | 'RAFTKV_ERR_TIMEOUT'
  | 'RAFTKV_ERR_BAD_REQUEST'
  | 'RAFTKV_ERR_NOT_FOUND'
  | 'RAFTKV_ERR_METHOD'
  | 'RAFTKV_ERR_TOO_LARGE'
  | 'RAFTKV_ERR_SHUTTING_DOWN'
  | 'RAFTKV_ERR_NOT_INTEGER'
  /** A command of one data type against a key holding another (Redis's WRONGTYPE). */
  | 'RAFTKV_ERR_WRONGTYPE'
  /** A key this node's shard does not own (sharded clusters). */
  | 'RAFTKV_ERR_WRONG_SHARD'
  /** A multi-key write whose keys belong to several shards (Redis's CROSSSLOT). */
  | 'RAFTKV_ERR_CROSSSLOT'
  /** A members-only route without the cluster token, or a user whose role does not allow the request. */
  | 'RAFTKV_ERR_FORBIDDEN'
  /** Authentication is required and the request carried no valid token. */
  | 'RAFTKV_ERR_UNAUTHENTICATED'
  /** The node stopped serving (its disk failed); the reason says why. */
  | 'RAFTKV_ERR_NODE_FAILED'
  | 'RAFTKV_ERR_INTERNAL';

export class NodeError extends Error {
  readonly code: NodeErrorCode;
  /** For NOT_LEADER: the leader's id, when known. */
  readonly leader: string;
  /** Machine-readable facts for the answer body (for WRONG_SHARD: the owning shard and the slot). */
  readonly details: Readonly<Record<string, string | number>> | undefined;

  constructor(code: NodeErrorCode, message: string, leader = '', details?: Record<string, string | number>) {
    super(message);
    this.name = 'NodeError';
    this.code = code;
    this.leader = leader;
    this.details = details;
  }
}

export function toNodeError(e: unknown): NodeError {
  if (e instanceof NodeError) return e;
  if (e instanceof RaftError) {
    if (e.code === 'RAFTKV_ERR_NOT_LEADER' && !e.leader) return new NodeError('RAFTKV_ERR_NO_LEADER', 'no leader is known; retry shortly');
    return new NodeError(e.code, e.message, e.leader);
  }
  return new NodeError('RAFTKV_ERR_INTERNAL', e instanceof Error ? e.message : String(e));
}

export const timeout = (what: string, ms: number): NodeError => new NodeError('RAFTKV_ERR_TIMEOUT', `${what} did not finish within ${ms} ms`);
export const badRequest = (message: string): NodeError => new NodeError('RAFTKV_ERR_BAD_REQUEST', message);
export const shuttingDown = (): NodeError => new NodeError('RAFTKV_ERR_SHUTTING_DOWN', 'the node is shutting down');
export const nodeFailed = (reason: string): NodeError => new NodeError('RAFTKV_ERR_NODE_FAILED', `node failed: ${reason}`);
export const proposalOverwritten = (): NodeError => new NodeError('RAFTKV_ERR_PROPOSAL_DROPPED', 'the proposal was overwritten by a new leader; it was not applied');
export const wrongTypeError = (): NodeError => new NodeError('RAFTKV_ERR_WRONGTYPE', 'Operation against a key holding the wrong kind of value');
