// Keys and values are JS strings in the state machine, the log and SQLite,
// while the Redis front is binary-safe. Bytes that are UTF-8 text are kept as
// that text, so the HTTP and RESP fronts see the same value; any other bytes
// (not UTF-8, or starting with NUL, which marks the store's own keys) are kept
// as U+FFFE followed by their base64. U+FFFE is a Unicode noncharacter, so no
// text a client means starts with it; a text that does is kept in base64 too,
// which keeps the mapping from bytes to strings one-to-one.

import { isUtf8 } from 'node:buffer';

export const BINARY_MARK = '\uFFFE';
const MARK_CODE = 0xfffe;

export function isBinaryForm(s: string): boolean {
  return s.charCodeAt(0) === MARK_CODE;
}

/** The string under which these bytes are stored. */
export function bytesToStored(b: Buffer): string {
  if (b.length === 0) return '';
  if (b[0] !== 0 && isUtf8(b)) {
    const s = b.toString('utf8');
    if (!isBinaryForm(s)) return s;
  }
  return BINARY_MARK + b.toString('base64');
}

/** The bytes a stored string stands for. */
export function storedToBytes(s: string): Buffer {
  return isBinaryForm(s) ? Buffer.from(s.slice(1), 'base64') : Buffer.from(s, 'utf8');
}

/** Length in bytes of the value a stored string stands for (Redis STRLEN, APPEND). */
export function storedByteLength(s: string): number {
  if (!isBinaryForm(s)) return Buffer.byteLength(s, 'utf8');
  const b64 = s.length - 1;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (b64 / 4) * 3 - pad;
}

/** The stored form of the bytes of `a` followed by the bytes of `b`. */
export function concatStored(a: string, b: string): string {
  // Two UTF-8 texts make a UTF-8 text: the common case needs no bytes.
  if (!isBinaryForm(a) && !isBinaryForm(b)) return a + b;
  return bytesToStored(Buffer.concat([storedToBytes(a), storedToBytes(b)]));
}
