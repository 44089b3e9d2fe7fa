// Errors of the transport. A peer that sends something we cannot read loses
// its connection; these errors say why, with stable codes for the logs.

import { RaftkvError } from '../common/errors.js';

export type TransportErrorCode =
  | 'RAFTKV_ERR_FRAME_TOO_LARGE'
  | 'RAFTKV_ERR_BAD_FRAME'
  | 'RAFTKV_ERR_BAD_HELLO'
  | 'RAFTKV_ERR_BAD_ADDRESS';

export class TransportError extends RaftkvError<TransportErrorCode> {}

export const frameTooLarge = (bytes: number, max: number): TransportError =>
  new TransportError('RAFTKV_ERR_FRAME_TOO_LARGE', `frame of ${bytes} bytes exceeds the limit of ${max} bytes`);

export const badFrame = (why: string): TransportError => new TransportError('RAFTKV_ERR_BAD_FRAME', `bad frame: ${why}`);

export const badHello = (why: string): TransportError => new TransportError('RAFTKV_ERR_BAD_HELLO', `bad hello: ${why}`);

export const badAddress = (addr: string): TransportError =>
  new TransportError('RAFTKV_ERR_BAD_ADDRESS', `bad address ${JSON.stringify(addr)}: expected "host:port" (IPv6 as "[::1]:port")`);
