// Schema versions and the migrations between them. The version lives in
// `schema_version`; at open, an older database is upgraded in one
// transaction (all steps or none), a newer one is refused.
//
// v1: log (no checksums), hard state, kv, applied index.
// v2: log rows carry the CRC-32 of their data; client sessions (exactly-once);
//     the latest snapshot's meta.
// v3: kv rows carry their revision (the log index that last wrote them).

// Node's crc32 (zlib's): the same CRC-32 as the core's, 1.3x faster on a 43-byte entry, 8x on 200 bytes.
import { crc32 } from 'node:zlib';
import type { Db, Param } from './db.js';
import { StorageError } from './errors.js';
import { placeholders, writeRows } from './multi-row.js';

export const SCHEMA_VERSION = 3;

/** The v1 tables, kept verbatim: migration 1 creates them, and tests build a v1 database from them. */
export const V1_DDL = `
CREATE TABLE log (
  idx INTEGER PRIMARY KEY,
  term INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE hard_state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  term INTEGER NOT NULL,
  vote TEXT NOT NULL,
  commit_index INTEGER NOT NULL
);
CREATE TABLE kv (
  k TEXT PRIMARY KEY,
  v TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE meta (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  applied INTEGER NOT NULL
);
INSERT INTO meta (id, applied) VALUES (0, 0);
`;

interface Migration {
  version: number;
  description: string;
  up(db: Db): Promise<void>;
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'log, hard state, kv, applied index',
    up: (db) => db.exec(V1_DDL),
  },
  {
    version: 2,
    description: 'log checksums, client sessions, snapshot meta',
    async up(db) {
      await db.exec(`
        CREATE TABLE log_v2 (
          idx INTEGER PRIMARY KEY,
          term INTEGER NOT NULL,
          kind INTEGER NOT NULL,
          data BLOB NOT NULL,
          checksum INTEGER NOT NULL
        );
        CREATE TABLE sessions (
          client TEXT PRIMARY KEY,
          seq INTEGER NOT NULL,
          result TEXT NOT NULL,
          idx INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE snapshot_meta (
          id INTEGER PRIMARY KEY CHECK (id = 0),
          idx INTEGER NOT NULL,
          term INTEGER NOT NULL,
          conf_state TEXT NOT NULL,
          size INTEGER NOT NULL
        );
      `);
      // SQLite has no crc32(): copy the log page by page, computing it here.
      type Row = { idx: number; term: number; kind: number; data: Uint8Array | null };
      for (let after = -1; ; ) {
        const rows = await db.all<Row>('SELECT idx, term, kind, data FROM log WHERE idx > ? ORDER BY idx LIMIT 1024', [after]);
        if (rows.length === 0) break;
        await writeRows(db, (n) => `INSERT INTO log_v2 (idx, term, kind, data, checksum) VALUES ${placeholders(n, 5)}`, rows, (r, out: Param[]) => {
          const data = r.data ?? new Uint8Array(0);
          out.push(r.idx, r.term, r.kind, data, crc32(data));
        });
        after = rows[rows.length - 1]!.idx;
      }
      await db.exec('DROP TABLE log; ALTER TABLE log_v2 RENAME TO log;');
    },
  },
  {
    version: 3,
    description: 'kv revisions',
    // Rows written before revisions existed have revision 0 until they are written again.
    up: (db) => db.exec('ALTER TABLE kv ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;'),
  },
];

/** The schema version stored in the database; 0 for an empty database. */
export async function schemaVersion(db: Db, label: string): Promise<number> {
  const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  if (!tables.some((t) => t.name === 'schema_version')) {
    if (tables.length > 0) {
      throw new StorageError(
        'RAFTKV_ERR_STORAGE_SCHEMA',
        `${label} is a SQLite database but not a raftkv one (no schema_version table; it has ${tables.map((t) => t.name).join(', ')}); refusing to touch it`,
      );
    }
    return 0;
  }
  const row = await db.get<{ version: number }>('SELECT version FROM schema_version');
  if (!row || !Number.isInteger(row.version)) throw new StorageError('RAFTKV_ERR_STORAGE_SCHEMA', `${label}: schema_version holds no version`);
  return row.version;
}

/**
 * Bring the database to SCHEMA_VERSION. Refuses a newer database before
 * writing anything; upgrades an older one in a single transaction.
 */
export async function migrate(db: Db, label: string): Promise<{ from: number; to: number }> {
  const from = await schemaVersion(db, label);
  if (from > SCHEMA_VERSION) {
    throw new StorageError(
      'RAFTKV_ERR_STORAGE_SCHEMA',
      `${label} has schema version ${from}, but this raftkv supports schema versions up to ${SCHEMA_VERSION}; refusing to open it (run a newer raftkv)`,
    );
  }
  if (from === SCHEMA_VERSION) return { from, to: from };
  await db.run('BEGIN IMMEDIATE');
  try {
    if (from === 0) await db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version (version) VALUES (0);');
    for (const m of MIGRATIONS) if (m.version > from) await m.up(db);
    await db.run('UPDATE schema_version SET version = ?', [SCHEMA_VERSION]);
    await db.run('COMMIT');
  } catch (e) {
    await db.run('ROLLBACK').catch(() => undefined);
    throw new StorageError('RAFTKV_ERR_STORAGE_SCHEMA', `${label}: migration from schema version ${from} to ${SCHEMA_VERSION} failed: ${(e as Error).message}`, { cause: e });
  }
  return { from, to: SCHEMA_VERSION };
}
