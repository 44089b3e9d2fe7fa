// Result files: their names, finding the previous one, the comparison with
// it, and benny's json written next to them (not its CDN chart.html: the
// report page replaces it).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { combinedSummary, saveBennyFiles } from '../../bench/benny-files.js';
import { compareWithPrevious, findPreviousResult, readResultFile, resultBaseName, writeResultFile, type BenchResultFile } from '../../bench/result-file.js';
import { result } from './fixtures.js';

const machine = { cores: 2, cpuModel: 'AMD EPYC', memoryBytes: 1, os: 'Linux', loadavgStart: [0], loadavgEnd: [0] };

function file(commit: string, results: BenchResultFile['results'], mode: 'quick' | 'full' = 'full'): BenchResultFile {
  return {
    schema: 1, startedAt: '', finishedAt: '', mode, compare: true, target: null, commit, machine, versions: {}, options: {}, config: null,
    results, skipped: [], ratios: {}, targets: [], startToFirstWriteMs: {}, leaderChanges: {}, memory: null, loadgenCheck: null, previous: null, summary: '',
  };
}

test('result files are named <date>-<commit> and sort by time', () => {
  assert.equal(resultBaseName(new Date('2026-11-23T09:05:07.123Z'), 'abc1234'), '2026-11-23T090507Z-abc1234');
  assert.equal(resultBaseName(new Date('2026-11-23T09:05:07Z'), 'abc1234-dirty'), '2026-11-23T090507Z-abc1234-dirty');
});

test('the previous result file is the newest one, never benny files nor the current run', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-results-'));
  try {
    assert.equal(findPreviousResult(dir), undefined);
    assert.equal(findPreviousResult(path.join(dir, 'missing')), undefined);
    writeResultFile(dir, '2026-11-20T100000Z-aaa1111', file('aaa1111', []));
    writeResultFile(dir, '2026-11-21T100000Z-bbb2222', file('bbb2222', []));
    writeFileSync(path.join(dir, '2026-11-22T100000Z-ccc3333.benny.json'), '{}');
    writeFileSync(path.join(dir, 'notes.json'), '{}');
    assert.equal(path.basename(findPreviousResult(dir)!), '2026-11-21T100000Z-bbb2222.json');
    assert.equal(path.basename(findPreviousResult(dir, '2026-11-21T100000Z-bbb2222.json')!), '2026-11-20T100000Z-aaa1111.json');
    assert.equal(readResultFile(path.join(dir, '2026-11-20T100000Z-aaa1111.json')).commit, 'aaa1111');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the comparison pairs workloads by system and name, now over before', () => {
  const before = file('aaa1111', [result('raftkv', 'set64', 20_000, 3), result('etcd', 'set64', 8000, 7), result('raftkv', 'set1', 1000, 1)]);
  const now = [result('raftkv', 'set64', 30_000, 2), result('etcd', 'set64', 8000, 7), result('raftkv', 'getlin64', 50_000, 1)];
  const c = compareWithPrevious({ results: now, machine }, '/x/2026-11-20T100000Z-aaa1111.json', before);
  assert.equal(c.file, '2026-11-20T100000Z-aaa1111.json');
  assert.equal(c.commit, 'aaa1111');
  assert.equal(c.otherMachine, false);
  assert.deepEqual(c.workloads.map((w) => [w.system, w.workload, w.opsRatio]), [['raftkv', 'set64', 1.5], ['etcd', 'set64', 1]]);
  assert.equal(c.workloads[0]!.previousP50Ms, 3);
  assert.equal(compareWithPrevious({ results: now, machine: { ...machine, cores: 8 } }, 'x', before).otherMachine, true);
});

test("benny's json (and not its CDN chart.html) is written next to the result file, in requests per second", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-benny-'));
  try {
    const caseResult = (ops: number) => ({
      name: 'x', ops, margin: 2.5, options: {}, samples: 10, promise: true, completed: true,
      details: { min: 0, max: 0, mean: 0, median: 0, standardDeviation: 0, marginOfError: 0, relativeMarginOfError: 0, standardErrorOfMean: 0, sampleVariance: 0, sampleResults: [] },
    });
    const summary = combinedSummary('raftkv bench test', new Date('2026-11-23T00:00:00Z'), [
      { name: 'raftkv set64', result: caseResult(4), batch: 1000 },
      { name: 'etcd set64', result: caseResult(2), batch: 1000 },
    ]);
    const files = saveBennyFiles(dir, '2026-11-23T000000Z-abc', summary, 'raftkv 0.1.0');
    assert.deepEqual(files.map((f) => path.basename(f)), ['2026-11-23T000000Z-abc.benny.json']);
    const json = JSON.parse(readFileSync(files[0]!, 'utf8'));
    assert.deepEqual(json.results, [
      { name: 'raftkv set64', ops: 4000, margin: 2.5, percentSlower: 0 },
      { name: 'etcd set64', ops: 2000, margin: 2.5, percentSlower: 50 },
    ]);
    assert.equal(json.fastest.name, 'raftkv set64');
    assert.equal(existsSync(path.join(dir, '2026-11-23T000000Z-abc.benny.chart.html')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
