// RESP2 replies. A reply is a string (written as UTF-8) whenever it can be,
// so a pipeline's replies go out as one string in one write; a value that is
// not UTF-8 text makes its reply a Buffer.

import { isBinaryForm, storedToBytes } from '../node/stored-bytes.js';

export type Reply = string | Buffer;

export const OK = '+OK\r\n';
export const NIL = '$-1\r\n';
export const NIL_ARRAY = '*-1\r\n';
export const EMPTY_ARRAY = '*0\r\n';

/** A status reply; CR and LF, which would end it early, become spaces. */
export function simple(s: string): string {
  return `+${oneLine(s)}\r\n`;
}

/** An error reply: the message starts with its code word (ERR, WRONGTYPE, ...). */
export function errorReply(message: string): string {
  return `-${oneLine(message)}\r\n`;
}

export function integer(n: number): string {
  return `:${n}\r\n`;
}

/** A bulk string of a stored value (binary-safe), or nil. */
export function bulk(stored: string | null | undefined): Reply {
  if (stored === null || stored === undefined) return NIL;
  if (isBinaryForm(stored)) return bulkBytes(storedToBytes(stored));
  return `$${Buffer.byteLength(stored, 'utf8')}\r\n${stored}\r\n`;
}

export function bulkBytes(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, CRLF]);
}

export function array(items: readonly Reply[]): Reply {
  return join([`*${items.length}\r\n`, ...items]);
}

/** Replies of a structured value: strings become bulk strings, numbers integers, arrays arrays. */
export type Structured = string | number | null | Buffer | { status: string } | readonly Structured[];

export function structured(v: Structured): Reply {
  if (v === null) return NIL;
  if (typeof v === 'number') return integer(v);
  if (typeof v === 'string') return bulk(v);
  if (Buffer.isBuffer(v)) return bulkBytes(v);
  if ('status' in v) return simple(v.status);
  return array((v as readonly Structured[]).map(structured));
}

/** One reply out of many, a string when they all are. */
export function join(parts: readonly Reply[]): Reply {
  if (parts.every((p) => typeof p === 'string')) return (parts as string[]).join('');
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));
}

const CRLF = Buffer.from('\r\n');

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}
