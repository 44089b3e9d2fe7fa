// A thin promise wrapper over one sqlite3 connection. Every method is one
// call into sqlite3, that is one trip through libuv's thread pool (shared by
// the whole process), and `calls` counts them, so tests can check that a big
// batch really is written with a few multi-row statements.

import sqlite3 from 'sqlite3';
import type { Database, Statement } from 'sqlite3';

export type Param = string | number | null | Uint8Array;

export interface RunResult {
  changes: number;
  lastID: number;
}

export class Stmt {
  readonly #owner: Db;
  readonly #stmt: Statement;

  constructor(owner: Db, stmt: Statement) {
    this.#owner = owner;
    this.#stmt = stmt;
  }

  run(params: readonly Param[]): Promise<RunResult> {
    this.#owner.calls++;
    return new Promise((resolve, reject) => {
      this.#stmt.run(params, function (err) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  all<T>(params: readonly Param[]): Promise<T[]> {
    this.#owner.calls++;
    return new Promise((resolve, reject) => {
      this.#stmt.all<T>(params, (err, rows) => (err ? reject(err) : resolve(rows)));
    });
  }

  finalize(): Promise<void> {
    return new Promise((resolve) => {
      this.#stmt.finalize(() => resolve());
    });
  }
}

export class Db {
  readonly path: string;
  /** sqlite3 calls made on this connection (statements run, prepared, executed). */
  calls = 0;
  readonly #db: Database;
  readonly #prepared = new Map<string, Promise<Stmt>>();
  #closing: Promise<void> | undefined;

  private constructor(path: string, db: Database) {
    this.path = path;
    this.#db = db;
  }

  static open(path: string, opts: { readonly?: boolean } = {}): Promise<Db> {
    const mode = opts.readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
    return new Promise((resolve, reject) => {
      const raw: Database = new sqlite3.Database(path, mode, (err) => (err ? reject(err) : resolve(new Db(path, raw))));
    });
  }

  run(sql: string, params: readonly Param[] = []): Promise<RunResult> {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.#db.run(sql, params, function (err) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.#db.all<T>(sql, params, (err, rows) => (err ? reject(err) : resolve(rows)));
    });
  }

  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.#db.get<T>(sql, params, (err, row) => (err ? reject(err) : resolve(row)));
    });
  }

  /** Several statements without parameters, in one call. */
  exec(sql: string): Promise<void> {
    this.calls++;
    return new Promise((resolve, reject) => {
      this.#db.exec(sql, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** A prepared statement, prepared once per connection and SQL text. */
  prepared(sql: string): Promise<Stmt> {
    let p = this.#prepared.get(sql);
    if (!p) {
      this.calls++;
      p = new Promise<Stmt>((resolve, reject) => {
        const raw: Statement = this.#db.prepare(sql, (err) => (err ? reject(err) : resolve(new Stmt(this, raw))));
      });
      this.#prepared.set(sql, p);
      p.catch(() => this.#prepared.delete(sql));
    }
    return p;
  }

  /**
   * Abort the statement running now (it fails with SQLITE_INTERRUPT), as a
   * crash would. A no-op once closing: sqlite3 throws on a closing handle, and
   * a throw on the way out of a worker aborts the whole process.
   */
  interrupt(): void {
    if (this.#closing) return;
    try {
      this.#db.interrupt();
    } catch {
      // The handle is closing or closed: nothing runs any more.
    }
  }

  /** Finalize every prepared statement, then close. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stmts = await Promise.allSettled([...this.#prepared.values()]);
      this.#prepared.clear();
      await Promise.all(stmts.map((s) => (s.status === 'fulfilled' ? s.value.finalize() : undefined)));
      await new Promise<void>((resolve, reject) => this.#db.close((err) => (err ? reject(err) : resolve())));
    })();
    return this.#closing;
  }
}
