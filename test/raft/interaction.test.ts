// Scripted interactions (test/raft/interaction/*.txt): each command's output
// must match the block under it. `REWRITE=1` rewrites the files with the
// actual output instead, so behaviour changes are reviewed as diffs.
//
// A script whose first line is `skip: reason` documents a suspected core bug:
// it is skipped in normal runs, but REWRITE=1 still regenerates its output.
//
// Runs from dist/test/raft/ but reads and rewrites the scripts in the source tree.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseScript, renderScript, runScript } from './interaction/harness.js';

const dir = fileURLToPath(new URL('../../../test/raft/interaction/', import.meta.url));
const rewrite = process.env['REWRITE'] === '1';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

test('interaction scripts exist', () => {
  assert.ok(files.length > 0, `no scripts in ${dir}`);
});

for (const file of files) {
  const path = join(dir, file);
  const script = parseScript(readFileSync(path, 'utf8'));
  test(`interaction ${file}`, { skip: rewrite ? false : script.skip }, () => {
    const results = runScript(script);
    if (rewrite) {
      const text = renderScript(script, results.map((r) => r.actual));
      writeFileSync(path, text);
      return;
    }
    for (const r of results) {
      const where = `${file}:${r.case.line}: ${r.case.cmds.join(' / ')}`;
      assert.equal(r.actual.join('\n'), r.case.expected.join('\n'), `${where}: output differs (REWRITE=1 to accept)`);
    }
  });
}
