// The one mapping from error codes to RESP error replies. The first word of
// a Redis error is its code: clients match on ERR, TRYAGAIN, ...

import { toNodeError, type NodeErrorCode } from '../common/errors.js';
import { RedisError } from '../node/types/reply.js';
import { errorReply } from './encoder.js';

const PREFIX: Record<NodeErrorCode, string> = {
  RAFTKV_ERR_NOT_LEADER: 'NOTLEADER',
  // Redis Cluster's word for "a transient condition: retry".
  RAFTKV_ERR_NO_LEADER: 'TRYAGAIN',
  RAFTKV_ERR_PROPOSAL_DROPPED: 'TRYAGAIN',
  RAFTKV_ERR_BUSY: 'TRYAGAIN',
  RAFTKV_ERR_SHUTTING_DOWN: 'TRYAGAIN',
  RAFTKV_ERR_TIMEOUT: 'TIMEOUT',
  RAFTKV_ERR_COMPACTED: 'ERR',
  RAFTKV_ERR_CONF_CHANGE: 'ERR',
  RAFTKV_ERR_TRANSFER: 'ERR',
  RAFTKV_ERR_BAD_REQUEST: 'ERR',
  RAFTKV_ERR_NOT_INTEGER: 'ERR',
  RAFTKV_ERR_WRONGTYPE: 'WRONGTYPE',
  RAFTKV_ERR_NOT_FOUND: 'ERR',
  RAFTKV_ERR_METHOD: 'ERR',
  RAFTKV_ERR_TOO_LARGE: 'ERR',
  RAFTKV_ERR_INTERNAL: 'ERR',
  RAFTKV_ERR_FORBIDDEN: 'NOPERM',
  RAFTKV_ERR_UNAUTHENTICATED: 'NOAUTH',
  RAFTKV_ERR_NODE_FAILED: 'ERR',
  // Redis Cluster's word for keys of one command in different slots.
  RAFTKV_ERR_CROSSSLOT: 'CROSSSLOT',
  // Not MOVED: cluster-aware clients would parse our message as a redirect.
  RAFTKV_ERR_WRONG_SHARD: 'WRONGSHARD',
};

/** An error only the Redis protocol has, with its own code word (NOPROTO, WRONGTYPE...): the data types' RedisError. */
export { RedisError as RespError };

/**
 * The error reply for anything a command threw. `leaderResp` gives the
 * leader's RESP address for a NOTLEADER answer, so a client can go there.
 */
export function respErrorReply(e: unknown, leaderResp?: (id: string) => string | undefined): string {
  if (e instanceof RedisError) return errorReply(`${e.word} ${e.message}`);
  const err = toNodeError(e);
  const at = err.code === 'RAFTKV_ERR_NOT_LEADER' && err.leader ? leaderResp?.(err.leader) : undefined;
  return errorReply(`${PREFIX[err.code]} ${err.message}${at ? ` (RESP ${at})` : ''}`);
}
