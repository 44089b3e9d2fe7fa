// `raftkv bench report [FILES...]`: the page (and on request the README's
// SVG) from result files, and the page every `raftkv bench` run writes
// beside its result file.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { listResultFiles } from '../result-file.js';
import { openPage } from '../../src/pages/open-page.js';
import { headlineSvg, reportHtml } from './report-page.js';
import { ReportFileError } from '../../src/pages/report-file.js';
import { historyOf, loadRun, type LoadedRun } from './runs.js';

export interface ReportOptions {
  /** Result files; none: the newest in resultsDir. */
  files: string[];
  resultsDir: string;
  /** Where the page goes (default: beside the newest file, `<base>.html`, or `<base>.compare.html` for several). */
  out?: string;
  /** Also write the headline SVG: true for `<base>.svg` beside the newest file, or a path. */
  svg?: string | true;
  open: boolean;
}

export interface ReportOutcome {
  html: string;
  svg?: string;
  opened: boolean;
}

const byStart = (a: LoadedRun, b: LoadedRun): number => (a.data.startedAt < b.data.startedAt ? -1 : a.data.startedAt > b.data.startedAt ? 1 : 0);

/** Reads the runs of `files` (oldest first) and writes their page; returns it and the newest run. */
function writePage(files: string[], out: string | undefined, say: (line: string) => void): { html: string; newest: LoadedRun } {
  // Oldest first: the newest run is the one the page is about, its history ends there.
  const runs = files.map(loadRun).sort(byStart);
  const newest = runs[runs.length - 1]!;
  const { runs: history, skipped } = historyOf(newest, runs);
  const notes = skipped.map((s) => `Left out of the history: ${s}`);
  for (const n of notes) say(n);
  const html = out ?? path.join(path.dirname(newest.file), `${newest.base}${runs.length > 1 ? '.compare' : ''}.html`);
  writeFileSync(html, reportHtml(runs, history, notes));
  return { html, newest };
}

export async function runReport(o: ReportOptions, say: (line: string) => void): Promise<ReportOutcome> {
  const files = o.files.length > 0 ? o.files : listResultFiles(o.resultsDir).slice(-1);
  if (files.length === 0) throw new ReportFileError(`no result file in ${o.resultsDir}: run \`raftkv bench\` first, or name result files`);
  const { html, newest } = writePage(files, o.out, say);
  say(`report: ${html}`);
  const outcome: ReportOutcome = { html, opened: false };
  if (o.svg !== undefined) {
    const svg = o.svg === true ? path.join(path.dirname(newest.file), `${newest.base}.svg`) : o.svg;
    writeFileSync(svg, headlineSvg(newest));
    say(`svg: ${svg}`);
    outcome.svg = svg;
  }
  if (o.open) outcome.opened = await openPage(html, say);
  return outcome;
}

/** The page of a run just saved, beside its result file; a failure is reported, never fatal to the run. */
export function writeRunReport(resultFile: string, say: (line: string) => void): string | undefined {
  try {
    return writePage([resultFile], undefined, say).html;
  } catch (e) {
    say(`could not write the report page: ${(e as Error).message}`);
    return undefined;
  }
}
