// What a command of the data types answers, before any protocol encodes it:
// plain JSON (it is kept in client sessions and travels between nodes), and
// the errors Redis words, which both fronts pass on word for word.

import { RaftkvError } from '../../common/errors.js';

/** A bulk string (stored form), an integer, nil, a status, a nil array, or an array of replies. */
export type TypedReply = string | number | null | { status: string } | { nilArray: true } | TypedReply[];

export const OK_STATUS: TypedReply = { status: 'OK' };
export const NIL_ARRAY: TypedReply = { nilArray: true };

/**
 * An error Redis answers with this code word and message (the data types'
 * errors, and the RESP front's own, which calls it RespError); a command that
 * throws one changed nothing.
 */
export class RedisError extends RaftkvError<'RAFTKV_ERR_REDIS'> {
  constructor(
    readonly word: string,
    message: string,
  ) {
    super('RAFTKV_ERR_REDIS', message);
  }
}

export const WRONGTYPE_MESSAGE = 'Operation against a key holding the wrong kind of value';

export const wrongType = (): RedisError => new RedisError('WRONGTYPE', WRONGTYPE_MESSAGE);
export const errorOf = (message: string): RedisError => new RedisError('ERR', message);
export const syntaxError = (): RedisError => errorOf('syntax error');
export const notInteger = (): RedisError => errorOf('value is not an integer or out of range');
export const notFloat = (): RedisError => errorOf('value is not a valid float');
export const noSuchKey = (): RedisError => errorOf('no such key');
