// Every key of the state machine, whatever its type: the strings (KvState's
// own map) and the values of the data types. Commands of the types read and
// change it through here, so each change of an element is also one row
// write for the batch the node persists. Each typed key also has a head row
// (its type, with the key's revision in the row's revision column), written
// once per command that changed the key: the revision survives a restart or
// a snapshot, and watchers see one change per key and command.
//
// Keys past their deadline are hidden (`hidden`): absent to every command,
// whatever their type, until the state machine deletes them.

import type { KvWrite } from '../../common/kv-write.js';
import { wrongType } from './reply.js';
import { eventOf } from './events.js';
import { headKey, parseHeadKey, parseRowKey, rowKey } from './rows.js';
import { emptyValue, sizeOf, type HashValue, type ListValue, type SetValue, type TypeName, type TypedValue, type ZsetValue } from './values.js';

type ValueOf<T extends TypeName> = T extends 'hash' ? HashValue : T extends 'list' ? ListValue : T extends 'set' ? SetValue : ZsetValue;

/** What a key was when a command first touched it. */
export interface Touched {
  typed: boolean;
  existed: boolean;
}

/** Deadlines, kept by the state machine (expiry.ts): a replaced or deleted key loses its own. */
export interface DeadlineHost {
  deadline(key: string): number | undefined;
  setDeadline(key: string, at: number | undefined, writes: KvWrite[]): void;
}

export class Keyspace {
  readonly strings: Map<string, string>;
  readonly values = new Map<string, TypedValue>();
  /** Told the key of each list a command added elements to (blocked pops may be served now). */
  readonly pushListeners = new Set<(key: string) => void>();
  /** Keys past their deadline: absent to commands (undefined: none hidden). */
  hidden: ((key: string) => boolean) | undefined;
  /** Deadlines; absent where none are kept (the router's partial state). */
  deadlines: DeadlineHost | undefined;
  /** Revisions of typed keys as loaded from their head rows. */
  readonly loadedRevs = new Map<string, number>();
  #writes: KvWrite[] = [];
  #rev: number | undefined;
  /** The command running (its event names, events.ts), or 'del' / 'expired' for a deletion. */
  #command = '';
  #args: readonly string[] = [];
  readonly #touched = new Map<string, Touched>();

  constructor(strings: Map<string, string>) {
    this.strings = strings;
  }

  /** Rebuild the values from stored rows (row key -> row value); list positions come back in order. */
  load(rows: Iterable<[string, string]>, revs: ReadonlyMap<string, number> = new Map()): void {
    const lists = new Map<string, [number, string][]>();
    for (const [k, v] of rows) {
      const head = parseHeadKey(k);
      if (head !== undefined) {
        const rev = revs.get(k);
        if (rev !== undefined) this.loadedRevs.set(head, rev);
        continue;
      }
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

  /**
   * Where this command's row writes go, with the revision they carry (the
   * entry's index; none for reads, and for a value a string write replaces,
   * whose put is the change watchers see), and the command (for event names).
   */
  begin(writes: KvWrite[], rev?: number, command = 'del', args: readonly string[] = []): void {
    this.#writes = writes;
    this.#rev = rev;
    this.#command = command;
    this.#args = args;
    this.#touched.clear();
  }

  /**
   * The command is done: each typed key it changed gets its head row (a
   * deleted one loses it, `expired` when its deadline passed). Returns
   * every key it touched, with what it was before.
   */
  finish(expired = false): ReadonlyMap<string, Touched> {
    for (const [key, before] of this.#touched) {
      const v = this.values.get(key);
      const rev = this.#rev;
      if (rev === undefined) {
        if (v) this.#writes.push({ key: headKey(key), value: v.type });
        else if (before.typed) this.#writes.push({ key: headKey(key), value: null });
      } else if (v) this.#writes.push({ key: headKey(key), value: v.type, rev, event: eventOf(this.#command, this.#args, key) });
      // Replaced by a string (RENAME, COPY): the string's put is the change watchers see.
      else if (before.typed && this.strings.has(key)) this.#writes.push({ key: headKey(key), value: null });
      else if (before.typed) this.#writes.push({ key: headKey(key), value: null, rev, ...(expired ? { expired } : {}), ...this.#deleteEvent(key) });
    }
    return this.#touched;
  }

  #touch(key: string): void {
    if (!this.#touched.has(key)) this.#touched.set(key, { typed: this.values.has(key), existed: this.values.has(key) || this.strings.has(key) });
  }

  #push(key: string, value: string | null, event?: string): void {
    this.#writes.push(this.#rev === undefined ? { key, value } : event === undefined ? { key, value, rev: this.#rev } : { key, value, rev: this.#rev, event });
  }

  /** Redis's name for a deletion other than `del`: the source of a RENAME is `rename_from`. */
  #deleteEvent(key: string): { event?: string } {
    return (this.#command === 'rename' || this.#command === 'renamenx') && key === this.#args[0] ? { event: 'rename_from' } : {};
  }

  #visible(key: string): boolean {
    return this.hidden === undefined || !this.hidden(key);
  }

  /** A typed value as commands see it (none past its deadline). */
  value(key: string): TypedValue | undefined {
    const v = this.values.get(key);
    return v !== undefined && this.#visible(key) ? v : undefined;
  }

  /** A string value as commands see it. */
  string(key: string): string | undefined {
    const s = this.strings.get(key);
    return s !== undefined && this.#visible(key) ? s : undefined;
  }

  typeOf(key: string): TypeName | 'string' | 'none' {
    const v = this.value(key);
    if (v) return v.type;
    return this.string(key) !== undefined ? 'string' : 'none';
  }

  exists(key: string): boolean {
    return (this.values.has(key) || this.strings.has(key)) && this.#visible(key);
  }

  /** Keys of every type, those past their deadline included. */
  get size(): number {
    return this.values.size + this.strings.size;
  }

  /** The value of `key` if it holds a `type`; undefined if absent; WRONGTYPE if it holds another type. */
  get<T extends TypeName>(key: string, type: T): ValueOf<T> | undefined {
    const v = this.value(key);
    if (v === undefined) {
      if (this.string(key) !== undefined) throw wrongType();
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
    // A value past its deadline still here goes first, rows and all.
    if (this.values.has(key) || this.strings.has(key)) this.delete(key);
    this.#touch(key);
    const v = emptyValue(type);
    this.values.set(key, v);
    return v;
  }

  /** Store (or delete, with null) one element's row. */
  row(type: TypeName, key: string, member: string, value: string | null): void {
    this.#touch(key);
    this.#push(rowKey(type, key, member), value);
  }

  listRow(key: string, position: number, value: string | null): void {
    this.row('list', key, String(position), value);
  }

  /** A value left empty by a command goes: Redis has no empty containers. */
  dropIfEmpty(key: string): void {
    const v = this.values.get(key);
    if (v && sizeOf(v) === 0) {
      this.#touch(key);
      this.values.delete(key);
      this.deadlines?.setDeadline(key, undefined, this.#writes);
    }
  }

  /** Delete a key of any type (its deadline too), every row of it; true if it existed (hidden ones included). */
  delete(key: string): boolean {
    return this.#remove(key, true);
  }

  /** Delete a key; a string's deletion is a change watchers see only when `announce` (not when a put replaces it). */
  #remove(key: string, announce: boolean): boolean {
    const v = this.values.get(key);
    if (v === undefined && !this.strings.has(key)) return false;
    this.#touch(key);
    this.deadlines?.setDeadline(key, undefined, this.#writes);
    if (v === undefined) {
      this.strings.delete(key);
      if (announce) this.#push(key, null, this.#deleteEvent(key).event);
      else this.#writes.push({ key, value: null });
      return true;
    }
    this.#writeAll(key, v, true);
    this.values.delete(key);
    return true;
  }

  /** A key's deadline (ms since the epoch), if it has one. */
  deadline(key: string): number | undefined {
    return this.deadlines?.deadline(key);
  }

  setDeadline(key: string, at: number | undefined): void {
    this.deadlines?.setDeadline(key, at, this.#writes);
  }

  /** Put a value (a copy the caller owns) under `key`, replacing whatever was there (and its deadline). */
  put(key: string, v: TypedValue | string): void {
    this.#remove(key, false);
    this.#touch(key);
    if (typeof v === 'string') {
      this.strings.set(key, v);
      this.#push(key, v, eventOf(this.#command, this.#args, key));
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
