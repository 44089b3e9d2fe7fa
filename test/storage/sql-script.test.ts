import assert from 'node:assert/strict';
import { test } from 'node:test';
import sqlite3 from 'sqlite3';
import { SqlScript, literal } from '../../src/storage/sql-script.js';

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
