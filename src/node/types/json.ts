// The data types as JSON. For people (GET /key/k): a hash is an object, a
// list an array, a set an array of its members in byte order, a sorted set an
// array of [member, score] pairs in rank order. Between the router and its
// shards: a tagged form that reads back into the same value.

import { compareMembers, emptyValue, type TypedValue, type TypeName } from './values.js';

export type FriendlyJson = Record<string, string> | string[] | [string, number | string][];

/** Scores as JSON numbers; the infinities, which JSON has no number for, as "inf" and "-inf". */
function scoreJson(s: number): number | string {
  return Number.isFinite(s) ? s : s > 0 ? 'inf' : '-inf';
}

export function friendlyJson(v: TypedValue): FriendlyJson {
  switch (v.type) {
    case 'hash': {
      const o: Record<string, string> = Object.create(null);
      for (const [f, x] of v.map) o[f] = x;
      return o;
    }
    case 'list':
      return [...v.items];
    case 'set':
      return [...v.set].sort(compareMembers);
    case 'zset':
      return v.z.slice(0, v.z.size - 1).map((m): [string, number | string] => [m, scoreJson(v.z.scores.get(m)!)]);
  }
}

export interface TaggedValue {
  t: TypeName;
  /** hash: [field, value] pairs; list, set: members; zset: [member, score as String()] pairs. */
  v: (string | [string, string])[];
}

export function toTagged(v: TypedValue): TaggedValue {
  switch (v.type) {
    case 'hash':
      return { t: 'hash', v: [...v.map] };
    case 'list':
      return { t: 'list', v: [...v.items] };
    case 'set':
      return { t: 'set', v: [...v.set] };
    case 'zset':
      return { t: 'zset', v: [...v.z.scores].map(([m, s]) => [m, String(s)]) };
  }
}

const pair = (x: unknown): x is [string, string] => Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string';

/** The value a tagged form stands for; undefined when it is not one. */
export function fromTagged(x: unknown): TypedValue | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const { t, v } = x as { t?: unknown; v?: unknown };
  if ((t !== 'hash' && t !== 'list' && t !== 'set' && t !== 'zset') || !Array.isArray(v)) return undefined;
  const value = emptyValue(t);
  for (const item of v) {
    if (value.type === 'hash' && pair(item)) value.map.set(item[0], item[1]);
    else if (value.type === 'list' && typeof item === 'string') value.items.push(item);
    else if (value.type === 'set' && typeof item === 'string') value.set.add(item);
    else if (value.type === 'zset' && pair(item) && !Number.isNaN(Number(item[1]))) value.z.set(item[0], Number(item[1]));
    else return undefined;
  }
  return value;
}
