// Rules both fronts (HTTP and RESP) apply the same way: what a key may be,
// which read levels exist, and which results of the state machine are errors.

import { NodeError, badRequest, wrongTypeError, notIntegerError, tooLarge } from '../common/errors.js';
import { keyRuleProblem, keyTooLongMessage } from '../node/command-validation.js';
import type { KvResult } from '../node/kv-state.js';
import { DEFAULT_LIMITS } from '../common/limits.js';
import { READ_LEVELS, type ReadLevel } from '../node/types.js';

export const MAX_KEY_BYTES = DEFAULT_LIMITS.maxKeyBytes;

/** A key checked against the key rules with the default size limit. */
export function validateKey(key: string): string {
  return checkKey(key, MAX_KEY_BYTES);
}

/**
 * A key checked against the key rules and `maxKeyBytes` (limits.maxKeyBytes).
 * Not validateKey with a second parameter: `keys.map(validateKey)` would
 * pass each index as the limit.
 */
export function checkKey(key: string, maxKeyBytes: number): string {
  const problem = keyRuleProblem(key, maxKeyBytes);
  if (problem !== undefined) throw badRequest(problem);
  return key;
}

export const keyTooLong = (maxKeyBytes: number): NodeError => badRequest(keyTooLongMessage(maxKeyBytes));

export function parseReadLevel(level: string): ReadLevel {
  if (!(READ_LEVELS as readonly string[]).includes(level)) throw badRequest(`unknown read level ${JSON.stringify(level)}; use stale, leader or linearizable`);
  return level as ReadLevel;
}

/** A state machine result, or the error it stands for. */
export function checkResult(result: KvResult): KvResult {
  if (result.ok) return result;
  if (result.error === 'not-integer') throw notIntegerError();
  if (result.error === 'overflow') throw notIntegerError('increment or decrement would overflow');
  if (result.error === 'too-large') throw tooLarge(result.message);
  if (result.error === 'wrongtype') throw wrongTypeError();
  if (result.error === 'rejected') throw result.word === 'WRONGTYPE' ? wrongTypeError(result.message) : badRequest(result.message);
  if (result.error === 'invalid') throw badRequest(result.message);
  throw badRequest(`refused: ${result.error}`);
}

/** The string field `name` of a JSON body (a key's value): anything else is refused, saying what it was. */
export function stringValue(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== 'string') throw badRequest(`the value of ${JSON.stringify(name)} must be a string (got ${v === null ? 'null' : typeof v})`);
  return v;
}

/** An HTTP body that must be a JSON object (the node's and the router's routes). */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw badRequest('the request body is empty; expected a JSON object');
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(`malformed JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest('the body must be a JSON object');
  return v as Record<string, unknown>;
}
