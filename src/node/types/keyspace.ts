// Every key of the state machine, whatever its type: the strings (KvState's
// own map) and the values of the data types. Commands of the types read and
// change it through here, so each change of an element is also one row
// write for the batch the node persists.

import type { KvWrite } from '../kv-state.js';
import { wrongType } from './reply.js';
import { parseRowKey, rowKey } from './rows.js';
import { emptyValue, sizeOf, type HashValue, type ListValue, type SetValue, type TypeName, type TypedValue, type ZsetValue } from './values.js';

type ValueOf<T extends TypeName> = T extends 'hash' ? HashValue : T extends 'list' ? ListValue : T extends 'set' ? SetValue : ZsetValue;

export class Keyspace {
  readonly strings: Map<string, string>;
  readonly values = new Map<string, TypedValue>();
  /** Told the key of each list a command added elements to (blocked pops may be served now). */
  readonly pushListeners = new Set<(key: string) => void>();
  #writes: KvWrite[] = [];

  constructor(strings: Map<string, string>) {
    this.strings = strings;
  }

  /** Rebuild the values from stored rows (row key -> row value); list positions come back in order. */
  load(rows: Iterable<[string, string]>): void {
    const lists = new Map<string, [number, string][]>();
    for (const [k, v] of rows) {
      const row = parseRowKey(k);
      if (!row) continue;
      if (row.type === 'list') {
        let l = lists.get(row.key);
        if (!l) lists.set(row.key, (l = []));
        l.push([Number(row.member), v]);
        continue;
      }
      const value = this.values.get(row.key) ?? this.#create(row.key, row.type);
      if (value.type === 'hash') value.map.set(row.member, v);
      else if (value.type === 'set') value.set.add(row.member);
      else if (value.type === 'zset') value.z.set(row.member, Number(v));
    }
    for (const [key, items] of lists) {
      items.sort((a, b) => a[0] - b[0]);
      const l = this.#create(key, 'list') as ListValue;
      l.head = items[0]![0];
      l.items = items.map((i) => i[1]);
    }
  }

  listPushed(key: string): void {
    for (const l of this.pushListeners) l(key);
  }

  /** Where this command's row writes go. */
  begin(writes: KvWrite[]): void {
    this.#writes = writes;
  }

  typeOf(key: string): TypeName | 'string' | 'none' {
    const v = this.values.get(key);
    if (v) return v.type;
    return this.strings.has(key) ? 'string' : 'none';
  }

  exists(key: string): boolean {
    return this.values.has(key) || this.strings.has(key);
  }

  get size(): number {
    return this.values.size + this.strings.size;
  }

  /** The value of `key` if it holds a `type`; undefined if absent; WRONGTYPE if it holds another type. */
  get<T extends TypeName>(key: string, type: T): ValueOf<T> | undefined {
    const v = this.values.get(key);
    if (v === undefined) {
      if (this.strings.has(key)) throw wrongType();
      return undefined;
    }
    if (v.type !== type) throw wrongType();
    return v as ValueOf<T>;
  }

  /** Like get, creating an empty value when absent (the caller adds to it at once). */
  getOrCreate<T extends TypeName>(key: string, type: T): ValueOf<T> {
    return this.get(key, type) ?? (this.#create(key, type) as ValueOf<T>);
  }

  #create(key: string, type: TypeName): TypedValue {
    const v = emptyValue(type);
    this.values.set(key, v);
    return v;
  }

  /** Store (or delete, with null) one element's row. */
  row(type: TypeName, key: string, member: string, value: string | null): void {
    this.#writes.push({ key: rowKey(type, key, member), value });
  }

  listRow(key: string, position: number, value: string | null): void {
    this.row('list', key, String(position), value);
  }

  /** A value left empty by a command goes: Redis has no empty containers. */
  dropIfEmpty(key: string): void {
    const v = this.values.get(key);
    if (v && sizeOf(v) === 0) this.values.delete(key);
  }

  /** Delete a key of any type, every row of it; true if it existed. */
  delete(key: string): boolean {
    const v = this.values.get(key);
    if (v === undefined) {
      if (!this.strings.has(key)) return false;
      this.strings.delete(key);
      this.#writes.push({ key, value: null });
      return true;
    }
    this.#writeAll(key, v, true);
    this.values.delete(key);
    return true;
  }

  /** Put a value (a copy the caller owns) under `key`, replacing whatever was there. */
  put(key: string, v: TypedValue | string): void {
    this.delete(key);
    if (typeof v === 'string') {
      this.strings.set(key, v);
      this.#writes.push({ key, value: v });
      return;
    }
    if (sizeOf(v) === 0) return;
    this.values.set(key, v);
    this.#writeAll(key, v, false);
  }

  #writeAll(key: string, v: TypedValue, remove: boolean): void {
    switch (v.type) {
      case 'hash':
        for (const [f, x] of v.map) this.row('hash', key, f, remove ? null : x);
        break;
      case 'set':
        for (const m of v.set) this.row('set', key, m, remove ? null : '');
        break;
      case 'zset':
        for (const [m, s] of v.z.scores) this.row('zset', key, m, remove ? null : String(s));
        break;
      case 'list':
        v.items.forEach((x, i) => this.listRow(key, v.head + i, remove ? null : x));
        break;
    }
  }
}

/** A deep copy of a value (COPY, and the source of RENAME keeps its own). */
export function cloneValue(v: TypedValue): TypedValue {
  switch (v.type) {
    case 'hash':
      return { type: 'hash', map: new Map(v.map) };
    case 'set':
      return { type: 'set', set: new Set(v.set) };
    case 'list':
      return { type: 'list', head: 0, items: [...v.items] };
    case 'zset': {
      const z = emptyValue('zset') as ZsetValue;
      for (const [m, s] of v.z.scores) z.z.set(m, s);
      return z;
    }
  }
}
