// benny's json for the whole run, saved next to our result
// file. Each workload is its own benny suite (so its warm-up stays outside
// benny's timing); the cases are joined into one summary here and written
// with benny's own formatter. One benny op is a round of `batch` requests,
// so ops are shown as requests per second (ops × batch); margins are benny's.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CaseResult, Summary } from 'benny/lib/internal/common-types.js';
import prepareFileContentModule from 'benny/lib/internal/prepareFileContent.js';

export interface BennyCase {
  name: string;
  result: CaseResult;
  batch: number;
}

type PrepareFileContent = (summary: Summary, options: { format: string; details: boolean; version: string | null }) => string;
// benny's internal module is CommonJS with `exports.default`.
const prepareFileContent = (prepareFileContentModule as unknown as { default: PrepareFileContent }).default;

export function combinedSummary(name: string, date: Date, cases: BennyCase[]): Summary {
  const results = cases.map((c) => ({ ...c.result, name: c.name, ops: Math.round(c.result.ops * c.batch), percentSlower: 0 }));
  const fastest = results.reduce((best, r, i) => (r.ops > results[best]!.ops ? i : best), 0);
  const slowest = results.reduce((worst, r, i) => (r.ops < results[worst]!.ops ? i : worst), 0);
  for (const [i, r] of results.entries()) r.percentSlower = i === fastest ? 0 : Number(((1 - r.ops / results[fastest]!.ops) * 100).toFixed(2));
  return {
    name,
    date,
    results,
    fastest: { name: results[fastest]?.name ?? '', index: fastest },
    slowest: { name: results[slowest]?.name ?? '', index: slowest },
  };
}

/**
 * Writes `<base>.benny.json`; returns its path. Not benny's chart.html: it
 * loads Chart.js from a CDN and is blank offline; the run's own report page
 * (report-page/) replaces it.
 */
export function saveBennyFiles(dir: string, baseName: string, summary: Summary, version: string): string[] {
  if (summary.results.length === 0) return [];
  return (['json'] as const).map((format) => {
    const file = path.join(dir, `${baseName}.benny.${format}`);
    writeFileSync(file, prepareFileContent(summary, { format, details: false, version }));
    return file;
  });
}
