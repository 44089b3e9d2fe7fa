import assert from 'node:assert/strict';
import { test } from 'node:test';
import sqlite3 from 'sqlite3';
import { BlobLiterals, blob, int, literal, SqlScript, text } from '../../src/storage/sql-script.js';

function roundTrip(value: string | Uint8Array): Promise<unknown> {
  const db = new sqlite3.Database(':memory:');
  const sql = new SqlScript().add('CREATE TABLE t (v)').insertRows('INSERT INTO t (v)', [[value]]).toString();
  return new Promise((resolve, reject) => {
    db.exec(sql, (err) => {
      if (err) return reject(err);
      db.get<{ v: unknown }>('SELECT v FROM t', (e, row) => {
        db.close();
        if (e) reject(e);
        else resolve(row!.v);
      });
    });
  });
}

test('text literals survive quotes, NULs, newlines and non-ASCII exactly', async () => {
  for (const s of ["it's", "''", 'a\u0000b', '\u0000', 'line\nbreak', 'ünï©ødé 🚀', '); DROP TABLE t; --', '']) {
    assert.equal(await roundTrip(s), s, JSON.stringify(s));
  }
});

test('blob literals survive every byte value', async () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(new Uint8Array((await roundTrip(bytes)) as Buffer), bytes);
});

test('integers only: a float or unsafe integer is refused rather than rounded', () => {
  assert.equal(literal(42), '42');
  assert.throws(() => literal(1.5));
  assert.throws(() => literal(2 ** 60));
});

// The encoding the store uses since the cheaper-literals change: rows built
// by concatenation, a batch's blobs hex-encoded in one pass (BlobLiterals).

const TEXTS = ["it's", "''", "'", 'a\u0000b', '\u0000', '\u0000\'\u0000', 'line\nbreak', 'tab\tand\r\n', 'ünï©ødé 🚀', '👨‍👩‍👧', '\ud83d\ude80x', '); DROP TABLE t; --', '', 'X\'00\'', 'a'.repeat(5000)];

function execAll(sql: string, query: string): Promise<Record<string, unknown>[]> {
  const db = new sqlite3.Database(':memory:');
  return new Promise((resolve, reject) => {
    db.exec(sql, (err) => {
      if (err) {
        db.close();
        return reject(err);
      }
      db.all<Record<string, unknown>>(query, (e, rows) => {
        db.close();
        if (e) reject(e);
        else resolve(rows);
      });
    });
  });
}

test('text(): quotes, NULs, newlines, emoji and the empty string round-trip exactly, in one multi-row statement', async () => {
  const sql = new SqlScript().add('CREATE TABLE t (i INTEGER, v TEXT)').rows('INSERT INTO t (i, v)', TEXTS.length, (i) => `${int(i)},${text(TEXTS[i]!)}`).toString();
  const rows = await execAll(sql, 'SELECT i, v, typeof(v) AS ty FROM t ORDER BY i');
  assert.deepEqual(
    rows.map((r) => r.v),
    TEXTS,
  );
  assert.ok(rows.every((r) => r.ty === 'text'));
  assert.equal(text(null), 'NULL');
});

test('BlobLiterals: empty blobs, every byte value, views into a bigger buffer round-trip exactly', async () => {
  const backing = Uint8Array.from({ length: 600 }, (_, i) => (i * 37) & 0xff);
  const blobs = [
    new Uint8Array(0),
    Uint8Array.from({ length: 256 }, (_, i) => i),
    new Uint8Array(0),
    backing.subarray(100, 140),
    Buffer.from('with \u0000 and \'quote\'', 'utf8'),
    new Uint8Array([0]),
    new Uint8Array(0),
  ];
  const lits = new BlobLiterals(blobs);
  for (let i = 0; i < blobs.length; i++) assert.equal(lits.literal(i), blob(blobs[i]!), `blob ${i}`);
  const sql = new SqlScript().add('CREATE TABLE t (i INTEGER, v BLOB)').rows('INSERT INTO t (i, v)', blobs.length, (i) => `${int(i)},${lits.literal(i)}`).toString();
  const rows = await execAll(sql, 'SELECT i, v, typeof(v) AS ty FROM t ORDER BY i');
  assert.equal(rows.length, blobs.length);
  for (let i = 0; i < blobs.length; i++) {
    assert.equal(rows[i]!.ty, 'blob', `blob ${i} is stored as a blob, not NULL`);
    assert.deepEqual(new Uint8Array(rows[i]!.v as Buffer), new Uint8Array(blobs[i]!), `blob ${i}`);
  }
  assert.doesNotThrow(() => new BlobLiterals([]));
});

test('rows() splits into statements of at most 256 rows and keeps every row in order', async () => {
  for (const n of [1, 255, 256, 257, 513]) {
    const sql = new SqlScript().add('CREATE TABLE t (i INTEGER)').rows('INSERT INTO t (i)', n, (i) => int(i)).toString();
    assert.equal(sql.split('INSERT INTO').length - 1, Math.ceil(n / 256), `${n} rows`);
    const rows = await execAll(sql, 'SELECT i FROM t ORDER BY rowid');
    assert.deepEqual(
      rows.map((r) => r.i),
      Array.from({ length: n }, (_, i) => i),
    );
  }
  assert.equal(new SqlScript().rows('INSERT INTO t (i)', 0, () => '1').toString(), '');
});
