// The one error base of raftkv, and the errors a client is answered with.
// Every error raftkv throws on purpose is a RaftkvError with a stable code
// (RAFTKV_ERR_...): logs and tests match on the code, never on the message.
// The kinds whose handling differs get their own subclass in their own layer
// (StorageError, TransportError, ConfigError, LauncherError, ...). The codes a
// client may see are NodeErrorCode: the HTTP front maps each to a status
// (api/errors-http.ts), the RESP front to a reply word (resp/errors-resp.ts),
// both in a Record the compiler keeps exhaustive. Any other error reaches a
// client as RAFTKV_ERR_INTERNAL with its message.

export type RaftkvErrorCode = `RAFTKV_ERR_${string}`;

export class RaftkvError<C extends RaftkvErrorCode = RaftkvErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

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

// The codes at run time, to recognise one on an error from elsewhere (the Raft core's, a peer's answer).
const CODE_SET: Record<NodeErrorCode, true> = {
  RAFTKV_ERR_NOT_LEADER: true,
  RAFTKV_ERR_NO_LEADER: true,
  RAFTKV_ERR_PROPOSAL_DROPPED: true,
  RAFTKV_ERR_BUSY: true,
  RAFTKV_ERR_COMPACTED: true,
  RAFTKV_ERR_CONF_CHANGE: true,
  RAFTKV_ERR_TRANSFER: true,
  RAFTKV_ERR_TIMEOUT: true,
  RAFTKV_ERR_BAD_REQUEST: true,
  RAFTKV_ERR_NOT_FOUND: true,
  RAFTKV_ERR_METHOD: true,
  RAFTKV_ERR_TOO_LARGE: true,
  RAFTKV_ERR_SHUTTING_DOWN: true,
  RAFTKV_ERR_NOT_INTEGER: true,
  RAFTKV_ERR_WRONGTYPE: true,
  RAFTKV_ERR_WRONG_SHARD: true,
  RAFTKV_ERR_CROSSSLOT: true,
  RAFTKV_ERR_FORBIDDEN: true,
  RAFTKV_ERR_UNAUTHENTICATED: true,
  RAFTKV_ERR_NODE_FAILED: true,
  RAFTKV_ERR_INTERNAL: true,
};

export const NODE_ERROR_CODES = Object.keys(CODE_SET) as readonly NodeErrorCode[];

export function isNodeErrorCode(code: unknown): code is NodeErrorCode {
  return typeof code === 'string' && Object.hasOwn(CODE_SET, code);
}

/** An error a request is answered with, by a node or the router, over HTTP or RESP. */
export class NodeError extends RaftkvError<NodeErrorCode> {
  /** For NOT_LEADER: the leader's id, when known. */
  readonly leader: string;
  /** Machine-readable facts for the answer body (for WRONG_SHARD: the owning shard and the slot). */
  readonly details: Readonly<Record<string, string | number>> | undefined;

  constructor(code: NodeErrorCode, message: string, leader = '', details?: Record<string, string | number>) {
    super(code, message);
    this.leader = leader;
    this.details = details;
  }
}

/**
 * What a client is told of anything thrown. The Raft core's RaftError cannot
 * extend NodeError (src/raft/ imports nothing outside itself), so it is
 * recognised by its shape: a client code, and the leader it knows of.
 */
export function toNodeError(e: unknown): NodeError {
  if (e instanceof NodeError) return e;
  if (e instanceof Error && 'code' in e && isNodeErrorCode(e.code)) {
    const leader = 'leader' in e && typeof e.leader === 'string' ? e.leader : '';
    if (e.code === 'RAFTKV_ERR_NOT_LEADER' && !leader) return noLeader();
    return new NodeError(e.code, e.message, leader);
  }
  return internal(e instanceof Error ? e.message : String(e));
}

export const badRequest = (message: string): NodeError => new NodeError('RAFTKV_ERR_BAD_REQUEST', message);
export const notFound = (message: string): NodeError => new NodeError('RAFTKV_ERR_NOT_FOUND', message);
export const keyNotFound = (key: string): NodeError => notFound(`key ${JSON.stringify(key)} not found`);
export const methodNotAllowed = (message: string): NodeError => new NodeError('RAFTKV_ERR_METHOD', message);
export const tooLarge = (message: string): NodeError => new NodeError('RAFTKV_ERR_TOO_LARGE', message);
export const forbidden = (message: string): NodeError => new NodeError('RAFTKV_ERR_FORBIDDEN', message);
export const unauthenticated = (message: string): NodeError => new NodeError('RAFTKV_ERR_UNAUTHENTICATED', message);
export const internal = (message: string): NodeError => new NodeError('RAFTKV_ERR_INTERNAL', message);
export const notIntegerError = (message = 'value is not an integer or out of range'): NodeError => new NodeError('RAFTKV_ERR_NOT_INTEGER', message);
export const wrongTypeError = (message = 'Operation against a key holding the wrong kind of value'): NodeError => new NodeError('RAFTKV_ERR_WRONGTYPE', message);
export const noLeader = (message = 'no leader is known; retry shortly'): NodeError => new NodeError('RAFTKV_ERR_NO_LEADER', message);
/** The leader's id, so a client can go there; no leader known is NO_LEADER. */
export const notLeader = (leader: string): NodeError =>
  leader ? new NodeError('RAFTKV_ERR_NOT_LEADER', `not the leader; the leader is ${leader}`, leader) : noLeader();
export const confChangeRefused = (message: string): NodeError => new NodeError('RAFTKV_ERR_CONF_CHANGE', message);
export const transferFailed = (message: string): NodeError => new NodeError('RAFTKV_ERR_TRANSFER', message);
/** A watch from a revision this node no longer holds; `oldest` is where it can start. */
export const revisionCompacted = (message: string, oldest: number): NodeError => new NodeError('RAFTKV_ERR_COMPACTED', message, '', { oldest });
export const timedOut = (message: string): NodeError => new NodeError('RAFTKV_ERR_TIMEOUT', message);
export const timeout = (what: string, ms: number): NodeError => timedOut(`${what} did not finish within ${ms} ms`);
export const shuttingDown = (reason = 'the node is shutting down'): NodeError => new NodeError('RAFTKV_ERR_SHUTTING_DOWN', reason);
export const nodeFailed = (reason: string): NodeError => new NodeError('RAFTKV_ERR_NODE_FAILED', `node failed: ${reason}`);
export const proposalOverwritten = (): NodeError => new NodeError('RAFTKV_ERR_PROPOSAL_DROPPED', 'the proposal was overwritten by a new leader; it was not applied');
/** A key another shard owns; `where` names the owner (shard, slot) for the answer body. */
export const wrongShard = (message: string, where: { shard: string; slot: number }): NodeError => new NodeError('RAFTKV_ERR_WRONG_SHARD', message, '', where);
export const crossSlot = (message: string, details?: Record<string, string | number>): NodeError => new NodeError('RAFTKV_ERR_CROSSSLOT', message, '', details);
