// Recoverable conditions are RaftErrors with stable codes; the fronts map these
// codes to HTTP statuses and RESP replies in one place. A broken invariant is
// an InvariantError: it means a bug, and the node must stop.
//
// Both have the shape of raftkv's RaftkvError (src/common/errors.ts: a name
// and a stable RAFTKV_ERR_ code) without extending it: the core imports
// nothing outside src/raft/, so that it stays a pure state machine anyone can
// lift out. The fronts recognise a RaftError by its code (toNodeError), and
// its codes are a subset of the client codes (test/common/errors.test.ts).

import type { NodeId } from './types.js';

export type RaftErrorCode =
  | 'RAFTKV_ERR_NOT_LEADER'
  | 'RAFTKV_ERR_PROPOSAL_DROPPED'
  | 'RAFTKV_ERR_BUSY'
  | 'RAFTKV_ERR_COMPACTED'
  | 'RAFTKV_ERR_CONF_CHANGE'
  | 'RAFTKV_ERR_TRANSFER';

export class RaftError extends Error {
  readonly code: RaftErrorCode;
  /** For NOT_LEADER: the leader this node knows of ('' when none). */
  readonly leader: NodeId;

  constructor(code: RaftErrorCode, message: string, leader: NodeId = '') {
    super(message);
    this.name = 'RaftError';
    this.code = code;
    this.leader = leader;
  }
}

export const notLeader = (leader: NodeId): RaftError =>
  new RaftError('RAFTKV_ERR_NOT_LEADER', leader ? `not the leader; the leader is ${leader}` : 'not the leader; no leader is known', leader);

export const proposalDropped = (why: string): RaftError => new RaftError('RAFTKV_ERR_PROPOSAL_DROPPED', `proposal dropped: ${why}`);

export const busy = (why: string): RaftError => new RaftError('RAFTKV_ERR_BUSY', `busy: ${why}`);

export const compacted = (index: number, first: number): RaftError =>
  new RaftError('RAFTKV_ERR_COMPACTED', `index ${index} is compacted; the log starts at ${first}`);

export class InvariantError extends Error {
  readonly code = 'RAFTKV_ERR_INVARIANT';

  constructor(message: string) {
    super(`raft invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}

export function invariant(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvariantError(message());
}
