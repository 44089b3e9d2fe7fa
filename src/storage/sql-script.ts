// A whole write as ONE sqlite3 call: every call is a trip through the thread
// pool that all node workers share (docs/ARCHITECTURE.md, Storage), so a persist or an apply is
// built as a script of statements with literal values and run by exec().
// Values are written as literals: integers as digits, blobs as X'hex', text
// quoted ('' for a quote) or, when it holds a NUL (which would end the script
// early), as CAST(X'hex' AS TEXT).
//
// The script is built by string concatenation (no array per row, no
// map/join), and the blobs of a batch are hex-encoded in one pass, which
// halves the JS cost of the encoding (bench/sql-encode.ts: 0.55 → 0.30 µs per
// 40-byte entry, 0.22 → 0.10 µs per kv row at batches of 64-256). Bound
// parameters (SqliteStore's `statements: 'bound'`, bench/storage-cpu.ts) were
// measured and are worse: node-sqlite3 converts every bound value on the JS
// thread (2-4× the main-thread CPU per entry) and BEGIN/each statement/COMMIT
// is a thread-pool trip of its own (~20 µs of CPU even for an empty one).

/** Rows per INSERT statement (SQLite's compound-select limit is 500). */
const ROWS_PER_STATEMENT = 256;

export type Literal = number | string | Uint8Array | null;

/** An integer literal; a float or unsafe integer is refused rather than rounded. */
export function int(v: number): string {
  if (!Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
  return String(v);
}

/** A text literal, exact for any string (quotes doubled; a NUL forces the hex form); null is NULL. */
export function text(v: string | null): string {
  if (v === null) return 'NULL';
  if (v.includes('\u0000')) return `CAST(X'${Buffer.from(v, 'utf8').toString('hex')}' AS TEXT)`;
  return v.includes("'") ? `'${v.replaceAll("'", "''")}'` : `'${v}'`;
}

/** A blob literal. */
export function blob(v: Uint8Array): string {
  return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
}

export function literal(v: Literal): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return int(v);
  if (typeof v === 'string') return text(v);
  return blob(v);
}

/**
 * The blob literals of a batch, hex-encoded in one pass: the bytes are copied
 * into one buffer and turned into one hex string, which `literal(i)` slices
 * (no Buffer object and no native call per blob).
 */
export class BlobLiterals {
  readonly #hex: string;
  readonly #ends: Uint32Array;

  constructor(blobs: readonly Uint8Array[]) {
    this.#ends = new Uint32Array(blobs.length);
    let total = 0;
    for (let i = 0; i < blobs.length; i++) this.#ends[i] = total += blobs[i]!.byteLength;
    const all = Buffer.allocUnsafe(total);
    let at = 0;
    for (const b of blobs) {
      all.set(b, at);
      at += b.byteLength;
    }
    this.#hex = all.toString('hex');
  }

  literal(i: number): string {
    const start = i === 0 ? 0 : this.#ends[i - 1]!;
    return `X'${this.#hex.slice(start * 2, this.#ends[i]! * 2)}'`;
  }
}

export class SqlScript {
  #sql = '';

  add(statement: string): this {
    this.#sql += statement + ';\n';
    return this;
  }

  /**
   * `head VALUES (…),(…) tail` for every run of up to 256 rows; `row(i)` is
   * row i's values already as literals, comma-separated, without parentheses.
   */
  rows(head: string, count: number, row: (i: number) => string, tail = ''): this {
    for (let i = 0; i < count; i += ROWS_PER_STATEMENT) {
      const end = Math.min(count, i + ROWS_PER_STATEMENT);
      let s = `${head} VALUES (${row(i)})`;
      for (let j = i + 1; j < end; j++) s += `,(${row(j)})`;
      this.#sql += tail ? `${s} ${tail};\n` : `${s};\n`;
    }
    return this;
  }

  /** `head VALUES (…),(…) tail` for every run of up to 256 rows. */
  insertRows(head: string, rows: readonly Literal[][], tail = ''): this {
    return this.rows(head, rows.length, (i) => rows[i]!.map(literal).join(','), tail);
  }

  /** `head (…)` with the values as an IN list, in runs of up to 256. */
  inList(head: string, values: readonly Literal[]): this {
    for (let i = 0; i < values.length; i += ROWS_PER_STATEMENT) {
      const end = Math.min(values.length, i + ROWS_PER_STATEMENT);
      let s = `${head} (${literal(values[i]!)}`;
      for (let j = i + 1; j < end; j++) s += `,${literal(values[j]!)}`;
      this.#sql += `${s});\n`;
    }
    return this;
  }

  get empty(): boolean {
    return this.#sql === '';
  }

  toString(): string {
    return this.#sql;
  }
}
