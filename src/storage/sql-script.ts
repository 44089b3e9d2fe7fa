// A whole write as ONE sqlite3 call: every call is a trip through the thread
// pool that all node workers share (STACK.md), so a persist or an apply is
// built as a script of statements with literal values and run by exec().
// Values are written as literals: integers as digits, blobs as X'hex', text
// quoted ('' for a quote) or, when it holds a NUL (which would end the script
// early), as CAST(X'hex' AS TEXT).

/** Rows per INSERT statement (SQLite's compound-select limit is 500). */
const ROWS_PER_STATEMENT = 256;

export type Literal = number | string | Uint8Array | null;

export function literal(v: Literal): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') {
    if (v.includes('\u0000')) return `CAST(X'${Buffer.from(v, 'utf8').toString('hex')}' AS TEXT)`;
    return `'${v.replaceAll("'", "''")}'`;
  }
  return `X'${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}'`;
}

export class SqlScript {
  #parts: string[] = [];

  add(statement: string): this {
    this.#parts.push(statement);
    return this;
  }

  /** `head VALUES (…),(…) tail` for every run of up to 256 rows. */
  insertRows(head: string, rows: readonly Literal[][], tail = ''): this {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const values = rows.slice(i, i + ROWS_PER_STATEMENT).map((r) => `(${r.map(literal).join(',')})`).join(',');
      this.#parts.push(`${head} VALUES ${values}${tail ? ' ' + tail : ''}`);
    }
    return this;
  }

  /** `head (…)` with the values as an IN list, in runs of up to 256. */
  inList(head: string, values: readonly Literal[]): this {
    for (let i = 0; i < values.length; i += ROWS_PER_STATEMENT) {
      this.#parts.push(`${head} (${values.slice(i, i + ROWS_PER_STATEMENT).map(literal).join(',')})`);
    }
    return this;
  }

  get empty(): boolean {
    return this.#parts.length === 0;
  }

  toString(): string {
    return this.#parts.join(';\n') + ';';
  }
}
