// How each element of a hash, list, set or sorted set is stored: one row of
// the kv table per element, under a key the cluster reserves (it starts with
// NUL, which no client key may), so one element changes one row and the
// snapshot, restart and install paths that carry the kv table carry every
// type too. The row key is NUL, a type tag, the key's length (base 36), ':',
// the key, then the member (hash field, set or sorted set member, or list
// position in decimal). The length makes the split unambiguous whatever
// bytes key and member hold.

import type { TypeName } from './values.js';

const TAG: Record<TypeName, string> = { hash: 'H', list: 'L', set: 'S', zset: 'Z' };
const TYPE_OF_TAG: Record<string, TypeName> = { H: 'hash', L: 'list', S: 'set', Z: 'zset' };

export function rowKey(type: TypeName, key: string, member: string): string {
  return `\u0000${TAG[type]}${key.length.toString(36)}:${key}${member}`;
}

export interface Row {
  type: TypeName;
  key: string;
  member: string;
}

/** The element a row key stands for, or undefined for any other key. */
export function parseRowKey(k: string): Row | undefined {
  if (k.charCodeAt(0) !== 0) return undefined;
  const type = TYPE_OF_TAG[k[1] ?? ''];
  if (type === undefined) return undefined;
  const colon = k.indexOf(':', 2);
  if (colon < 0) return undefined;
  const length = parseInt(k.slice(2, colon), 36);
  if (!Number.isSafeInteger(length) || colon + 1 + length > k.length) return undefined;
  return { type, key: k.slice(colon + 1, colon + 1 + length), member: k.slice(colon + 1 + length) };
}

/**
 * The head row of a typed key: its type as the value, and the key's
 * revision in the row's revision column. NUL, '#', then the key.
 */
export function headKey(key: string): string {
  return `\u0000#${key}`;
}

/** The key a head row stands for, or undefined for any other row. */
export function parseHeadKey(k: string): string | undefined {
  return k.charCodeAt(0) === 0 && k[1] === '#' ? k.slice(2) : undefined;
}
