// `raftkv log DIR`: one readable line per entry, read-only.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { encodeConfChange } from '../../src/raft/confchange.js';
import { ConfChangeType, EntryKind } from '../../src/raft/types.js';
import { Db } from '../../src/storage/db.js';
import { SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { printLog } from '../../src/storage/print-log.js';
import { SqliteStore } from '../../src/storage/sqlite-store.js';
import { tempDir } from './helpers.js';

describe('printLog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('prints index, term, kind, checksum and the decoded command; flags a bad checksum; writes nothing', async () => {
    const s = await SqliteStore.open(dir);
    await s.persist({
      entries: [
        { index: 1, term: 1, kind: EntryKind.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddVoter, node: 'n1' }) },
        { index: 2, term: 2, kind: EntryKind.Noop, data: new Uint8Array(0) },
        { index: 3, term: 2, kind: EntryKind.Normal, data: pack({ c: 'cli', s: 1, cmd: { op: 'set', kv: [['a', '1']] } }) },
        { index: 4, term: 2, kind: EntryKind.Normal, data: new Uint8Array([0x82, 0xa1]) },
      ],
    });
    await s.close();
    const raw = await Db.open(join(dir, 'raftkv.db'));
    await raw.run('UPDATE log SET checksum = 1 WHERE idx = 4');
    await raw.close();
    const sum = async (): Promise<string> => createHash('sha256').update(await readFile(join(dir, 'raftkv.db'))).digest('hex');
    const before = await sum();

    const lines: string[] = [];
    await printLog(dir, (l) => lines.push(l));
    assert.match(lines[0]!, new RegExp(`^# .*schema v${SCHEMA_VERSION}, entries 1\\.\\.4, applied 0$`));
    assert.equal(lines.length, 5);
    assert.match(lines[1]!, /^1\t1\tconf\t[0-9a-f]{8}\t\{"type":"add-voter","node":"n1"\}$/);
    assert.match(lines[2]!, /^2\t2\tnoop\t00000000\t-$/);
    assert.match(lines[3]!, /^3\t2\tnormal\t[0-9a-f]{8}\t\{"c":"cli","s":1,"cmd":\{"op":"set","kv":\[\["a","1"\]\]\}\}$/);
    assert.match(lines[4]!, /^4\t2\tnormal\t[0-9a-f]{8} BAD \(stored 00000001\)\t<2 bytes: 82a1>$/);
    assert.equal(await sum(), before);
  });
});
