// The layers of src/, bottom to top: a folder imports only folders below it
// (docs/ARCHITECTURE.md draws them). The Raft core and the shared vocabulary
// import nothing of the rest; the startup wiring sits above the node and its
// fronts; the launcher, chaos and the CLI on top. Read from the source text,
// so a new import that runs back up fails here, with the file and the line.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src');

/** Rank of each top-level folder of src/ ('' for files directly in src/). Equal ranks do not import each other. */
export const LAYERS: Record<string, number> = {
  raft: 0,
  common: 0,
  security: 0,
  kit: 0,
  pages: 0,
  types: 0,
  check: 1,
  storage: 1,
  transport: 1,
  node: 2,
  api: 3,
  resp: 4,
  shard: 5,
  start: 6,
  cluster: 7,
  chaos: 8,
  '': 9,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(c|m)?ts$/.test(e.name) ? [p] : [];
  });
}

function folderOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : '';
}

/** Every relative import (static, dynamic, `export … from`, require) of a file: [line, resolved path]. */
export function importsOf(file: string, text: string): [number, string][] {
  const found: [number, string][] = [];
  const re = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const line = text.slice(0, m.index).split('\n').length;
    found.push([line, path.resolve(path.dirname(file), m[1]!)]);
  }
  return found;
}

export function layerViolations(files: readonly string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const bad: string[] = [];
  for (const file of files) {
    const from = folderOf(file);
    const rank = LAYERS[from];
    if (rank === undefined) {
      bad.push(`${path.relative(SRC, file)}: folder "${from}" has no layer in LAYERS`);
      continue;
    }
    for (const [line, target] of importsOf(file, read(file))) {
      if (!target.startsWith(SRC + path.sep)) continue;
      const to = folderOf(target);
      if (to === from) continue;
      const toRank = LAYERS[to];
      if (toRank === undefined || toRank >= rank) {
        bad.push(`${path.relative(SRC, file)}:${line} (${from || 'src'}, layer ${rank}) imports ${path.relative(SRC, target)} (${to || 'src'}, layer ${toRank ?? '?'})`);
      }
    }
  }
  return bad;
}

test('every import in src/ goes down the layers, with no exception', () => {
  const files = sourceFiles(SRC);
  assert.ok(files.length > 100, `${files.length} source files found under ${SRC}`);
  assert.deepEqual(layerViolations(files), []);
});

test('the check catches an import that runs back up, and one that crosses within a layer', () => {
  const fake = (folder: string, name: string): string => path.join(SRC, folder, name);
  const texts: Record<string, string> = {
    [fake('raft', 'up.ts')]: "import { x } from '../node/raft-node.js';\n",
    [fake('storage', 'side.ts')]: "\nexport { y } from '../transport/codec.js';\n",
    [fake('node', 'down.ts')]: "import type { Entry } from '../raft/types.js';\nconst m = await import('./same.js');\n",
    [fake('api', 'lazy.ts')]: "const r = await import('../resp/server.js');\n",
  };
  const bad = layerViolations(Object.keys(texts), (f) => texts[f]!);
  assert.deepEqual(bad, [
    'raft/up.ts:1 (raft, layer 0) imports node/raft-node.js (node, layer 2)',
    'storage/side.ts:2 (storage, layer 1) imports transport/codec.js (transport, layer 1)',
    'api/lazy.ts:1 (api, layer 3) imports resp/server.js (resp, layer 4)',
  ]);
});
