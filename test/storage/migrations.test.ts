// Schema versions: an old database is upgraded with its data, a newer one and
// files that are not raftkv databases are refused and left untouched.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32 } from '../../src/raft/snapshot.js';
import { Db } from '../../src/storage/db.js';
import { StorageError } from '../../src/storage/errors.js';
import { SCHEMA_VERSION, V1_DDL } from '../../src/storage/migrations.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from './helpers.js';

const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

async function rawDb(dir: string): Promise<Db> {
  await mkdir(dir, { recursive: true });
  return Db.open(join(dir, 'raftkv.db'));
}

describe('schema migrations and refusals', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('a fresh database is created at the current version', async () => {
    const d = join(dir, 'fresh');
    const s = await SqliteStore.open(d);
    await s.close();
    const db = await Db.open(join(d, 'raftkv.db'), { readonly: true });
    assert.deepEqual(await db.get('SELECT version FROM schema_version'), { version: SCHEMA_VERSION });
    assert.deepEqual(await db.get('PRAGMA journal_mode'), { journal_mode: 'wal' });
    await db.close();
  });

  it('upgrades a v1 database in place, keeping its data and adding checksums', async () => {
    const d = join(dir, 'v1');
    const db = await rawDb(d);
    await db.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1); ${V1_DDL}`);
    await db.run('BEGIN');
    for (let i = 1; i <= 3000; i++) await db.run('INSERT INTO log (idx, term, kind, data) VALUES (?, ?, 0, ?)', [i, 1 + (i > 2000 ? 1 : 0), Buffer.from(`v1-entry-${i}`)]);
    await db.run('COMMIT');
    await db.run("INSERT INTO hard_state VALUES (0, 2, 'n2', 2900)");
    await db.run("INSERT INTO kv VALUES ('a', '1'), ('b', '2')");
    await db.run('UPDATE meta SET applied = 2900');
    await db.close();

    const s = await SqliteStore.open(d);
    const st = await s.load();
    assert.equal(st.entries.length, 3000);
    assert.equal(st.entries[2999]!.term, 2);
    assert.equal(new TextDecoder().decode(st.entries[41]!.data), 'v1-entry-42');
    assert.deepEqual(st.hardState, { term: 2, vote: 'n2', commit: 2900 });
    assert.deepEqual([...st.kv].sort(), [['a', '1'], ['b', '2']]);
    assert.equal(st.applied, 2900);
    assert.equal(st.sessions.size, 0);
    const rows = await s.readLog(42, 42);
    assert.equal(rows[0]!.checksum, crc32(new TextEncoder().encode('v1-entry-42')));
    // The new tables work.
    await s.applyBatch([], [{ client: 'c', seq: 1, result: '{}' }], 2950);
    assert.equal((await s.load()).sessions.size, 1);
    await s.close();

    const check = await Db.open(join(d, 'raftkv.db'), { readonly: true });
    assert.deepEqual(await check.get('SELECT version FROM schema_version'), { version: SCHEMA_VERSION });
    await check.close();
  });

  it('refuses a newer schema version, naming both versions, and leaves the file alone', async () => {
    const d = join(dir, 'newer');
    const s = await SqliteStore.open(d);
    await s.close();
    const db = await rawDb(d);
    await db.run('UPDATE schema_version SET version = ?', [SCHEMA_VERSION + 5]);
    await db.close();
    const before = await sha(join(d, 'raftkv.db'));
    await assert.rejects(
      SqliteStore.open(d),
      (e: unknown) =>
        e instanceof StorageError &&
        e.code === 'RAFTKV_ERR_STORAGE_SCHEMA' &&
        e.message.includes(`schema version ${SCHEMA_VERSION + 5}`) &&
        e.message.includes(`up to ${SCHEMA_VERSION}`),
    );
    assert.equal(await sha(join(d, 'raftkv.db')), before);
  });

  it('refuses a SQLite database that is not raftkv’s', async () => {
    const d = join(dir, 'foreign');
    const db = await rawDb(d);
    await db.run('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)');
    await db.close();
    await assert.rejects(SqliteStore.open(d), (e: unknown) => e instanceof StorageError && e.code === 'RAFTKV_ERR_STORAGE_SCHEMA' && /not a raftkv one/.test(e.message));
  });

  it('refuses a file of random bytes with a clear message and leaves it untouched', async () => {
    const d = join(dir, 'random');
    await mkdir(d, { recursive: true });
    const path = join(d, 'raftkv.db');
    await writeFile(path, randomBytes(64 * 1024));
    const before = await sha(path);
    await assert.rejects(
      SqliteStore.open(d),
      (e: unknown) => e instanceof StorageError && e.code === 'RAFTKV_ERR_STORAGE_CORRUPT' && e.message.includes(path) && /not a SQLite database/.test(e.message),
    );
    assert.equal(await sha(path), before);
    assert.deepEqual((await readdir(d)).sort(), ['raftkv.db', 'snapshots'], 'no -wal/-shm created');
  });

  it('refuses a SQLite file whose pages are corrupt (quick_check) and leaves it untouched', async () => {
    const d = join(dir, 'corrupt');
    const s = await SqliteStore.open(d, { durability: 'os' });
    await s.persist({ entries: Array.from({ length: 2000 }, (_, i) => ({ index: i + 1, term: 1, kind: 0, data: randomBytes(200) })) });
    await s.close(); // checkpoints the WAL into the file
    const path = join(d, 'raftkv.db');
    const bytes = await readFile(path);
    assert.ok(bytes.byteLength > 20 * 4096);
    randomBytes(3 * 4096).copy(bytes, 8 * 4096); // garbage over pages 9-11 (b-tree pages of the log)
    await writeFile(path, bytes);
    const before = await sha(path);
    await assert.rejects(SqliteStore.open(d), (e: unknown) => e instanceof StorageError && e.code === 'RAFTKV_ERR_STORAGE_CORRUPT' && e.message.includes(path));
    assert.equal(await sha(path), before);
  });
});
