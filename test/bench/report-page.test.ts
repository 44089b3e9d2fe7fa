// The benchmark report page, opened in headless Chromium with the network
// cut off: it loads without a console error, draws every chart with data,
// and shows the numbers of the result file; `raftkv bench report` on two
// files compares them side by side; the SVG is well-formed and names every
// system. One browser serves every case.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeHistogram } from '../../bench/histogram.js';
import { headlineSvg } from '../../bench/report-page/report-page.js';
import { runReport } from '../../bench/report-page/report-command.js';
import { loadRun } from '../../bench/report-page/runs.js';
import type { ReportData } from '../../bench/report-page/report-data.js';
import { formatMs, formatRatio, type TargetCheck } from '../../bench/report.js';
import type { BenchResultFile } from '../../bench/result-file.js';
import { openOfflinePage, type OfflinePage } from '../helpers/browser.js';
import { writeRun } from './report-fixtures.js';
import { sleep } from '../../src/kit/wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = path.join(ROOT, 'dist/src/main.cjs');
/** The run the README's chart is made from. */
const README_RUN = 'bench/results/2026-12-07T054006Z-70eb34e';


/** "1,084" · "14.1k" · "1.40M" back to a number. */
function parseCompact(s: string): number {
  const m = /^([\d.,]+)([kM]?)$/.exec(s.trim());
  assert.ok(m, `a compact number: ${JSON.stringify(s)}`);
  return Number(m[1]!.replace(/,/g, '')) * (m[2] === 'k' ? 1e3 : m[2] === 'M' ? 1e6 : 1);
}

async function openReport(browser: OfflinePage, file: string): Promise<void> {
  browser.problems.length = 0;
  await browser.page.goto(pathToFileURL(file).href);
  await browser.page.waitForSelector('body[data-drawn="true"]', { timeout: 20_000 });
}

/** Every chart container the page script draws: id, series and points it says it drew, and whether a canvas is there. */
function drawnCharts(browser: OfflinePage, kind: 'latency' | 'history') {
  return browser.page.evaluate(
    (k) =>
      [...document.querySelectorAll<HTMLElement>(`.chart.${k}`)].map((c) => {
        const plot = c.querySelector<HTMLElement>('.plot')!;
        return { id: c.id, series: Number(plot.dataset.series ?? 0), points: Number(plot.dataset.points ?? 0), canvas: plot.querySelector('canvas') !== null };
      }),
    kind,
  );
}

function bars(browser: OfflinePage, figure: string) {
  return browser.page.evaluate(
    (f) =>
      [...document.querySelectorAll<SVGRectElement>(`#${f} rect.bar`)].map((r) => ({
        system: r.dataset.system!,
        label: r.dataset.label!,
        workload: r.closest<SVGGElement>('g.group')!.dataset.workload!,
        value: Number(r.dataset.value),
        shown: r.nextElementSibling!.textContent!,
      })),
    figure,
  );
}

const tableRows = (browser: OfflinePage, selector: string) =>
  browser.page.evaluate((s) => [...document.querySelectorAll(`${s} tbody tr`)].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!.trim())), selector);

test('the benchmark report page', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const results = path.join(dir, 'results');
  mkdirSync(results);
  // This machine's history: an old run without histograms, a commit run twice, another machine, the newest, and a later one.
  const old = writeRun(results, { startedAt: '2026-11-20T10:00:00Z', commit: 'aaa1111', scale: 0.8, histograms: false });
  writeRun(results, { startedAt: '2026-11-21T10:00:00Z', commit: 'bbb2222', scale: 0.5, histograms: true, mode: 'quick' });
  writeRun(results, { startedAt: '2026-11-21T12:00:00Z', commit: 'bbb2222', scale: 0.9, histograms: true });
  writeRun(results, { startedAt: '2026-11-22T10:00:00Z', commit: 'ccc3333', scale: 3, histograms: true, cores: 8 });
  const newest = writeRun(results, { startedAt: '2026-12-01T10:00:00Z', commit: 'ddd4444', scale: 1, histograms: true });
  writeRun(results, { startedAt: '2026-12-05T10:00:00Z', commit: 'eee5555', scale: 1.1, histograms: true });
  const data = JSON.parse(readFileSync(newest, 'utf8')) as BenchResultFile;
  const find = (system: string, workload: string) => data.results.find((r) => r.system === system && r.workload === workload)!;

  const browser = await openOfflinePage(t);
  if (browser === undefined) return;
  t.after(() => browser.close());

  await t.test('one run: every chart drawn offline, and the numbers are the result file\'s', async () => {
    const { html } = await runReport({ files: [newest], resultsDir: results, open: false }, () => {});
    assert.equal(html, newest.replace(/\.json$/, '.html'));
    const source = readFileSync(html, 'utf8');
    assert.doesNotMatch(source, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i, 'nothing is loaded from elsewhere');
    await openReport(browser, html);
    assert.deepEqual(browser.problems, []);

    // Throughput: one bar per system and workload (durability os and TLS have their own), each with the file's figure.
    const shown = await bars(browser, 'throughput-bars');
    const peers = data.results.filter((r) => r.system !== 'raftkv-os' && r.system !== 'raftkv-tls');
    assert.equal(shown.length, peers.length);
    for (const b of shown) {
      const r = find(b.system, b.workload);
      assert.equal(b.value, r.opsPerSec, `${b.system} ${b.workload}`);
      assert.ok(Math.abs(parseCompact(b.shown) - r.opsPerSec) / r.opsPerSec < 0.01, `${b.system} ${b.workload}: ${b.shown} shown for ${r.opsPerSec}`);
    }
    assert.deepEqual(new Set(shown.map((b) => b.label)), new Set(['raftkv', 'etcd', 'Redis appendfsync always', 'Redis no persistence']));
    const ratioOf = (w: string) => browser.page.evaluate((wl) => [...document.querySelectorAll(`#throughput-bars g.group[data-workload="${wl}"] text.ratio`)].map((x) => x.textContent), w);
    assert.deepEqual(await ratioOf('set64'), [`${formatRatio(find('raftkv', 'set64').opsPerSec / find('etcd', 'set64').opsPerSec)} etcd`]);
    assert.deepEqual(await ratioOf('rset50'), [
      `${formatRatio(find('raftkv', 'rset50').opsPerSec / find('redis-always', 'rset50').opsPerSec)} always`,
      `${formatRatio(find('raftkv', 'rset50').opsPerSec / find('redis-none', 'rset50').opsPerSec)} none`,
    ]);
    // raftkv bench --tls: the TLS cluster's rows beside the plaintext one's, with their ratio.
    const tls = await tableRows(browser, 'table.tls');
    assert.deepEqual(tls.map((r) => r[0]), ['set1', 'set64', 'getleader64', 'rset50', 'rget50']);
    for (const r of tls) assert.equal(r[3], formatRatio(find('raftkv-tls', r[0]!).opsPerSec / find('raftkv', r[0]!).opsPerSec), r[0]);
    const durability = await bars(browser, 'durability-bars');
    assert.deepEqual(durability.map((b) => `${b.system} ${b.workload} ${b.value}`).sort(), ['raftkv set1', 'raftkv set64', 'raftkv-os set1', 'raftkv-os set64'].map((k) => `${k} ${find(k.split(' ')[0]!, k.split(' ')[1]!).opsPerSec}`).sort());

    // Latency: one chart per workload, a line per system that ran it, drawn from its histogram.
    const workloads = [...new Set(data.results.map((r) => r.workload))];
    const latency = await drawnCharts(browser, 'latency');
    assert.deepEqual(latency.map((c) => c.id).sort(), workloads.map((w) => `latency-${w}`).sort());
    for (const c of latency) {
      const systems = data.results.filter((r) => `latency-${r.workload}` === c.id).length;
      assert.ok(c.canvas && c.series === systems && c.points >= systems * 5, `${c.id}: ${JSON.stringify(c)}`);
    }
    const rows = await tableRows(browser, '#latency-set64 table.latency');
    assert.deepEqual(rows.map((r) => r[0]), ['raftkv', 'raftkv (durability os)', 'raftkv (TLS and tokens)', 'etcd']);
    for (const [i, system] of ['raftkv', 'raftkv-os', 'raftkv-tls', 'etcd'].entries()) {
      const r = find(system, 'set64');
      const h = decodeHistogram(r.histogram!);
      assert.deepEqual(rows[i]!.slice(1, 7), [r.p50Ms, r.p90Ms, r.p99Ms, h.getValueAtPercentile(99.9) / 1000, h.getValueAtPercentile(99.99) / 1000, r.maxMs].map(formatMs), system);
    }

    // History: this machine's runs up to this one, the latest of each commit; the other machine's and the later run left out.
    const report = JSON.parse((await browser.page.textContent('#report-data'))!) as ReportData;
    assert.deepEqual(report.history.points.map((p) => p.commit), ['aaa1111', 'bbb2222', 'ddd4444']);
    const set64 = report.history.charts.find((c) => c.workload === 'set64')!;
    assert.deepEqual(set64.series.find((s) => s.system === 'raftkv')!.values, [0.8, 0.9, 1].map((k) => 14069 * k));
    const history = await drawnCharts(browser, 'history');
    assert.equal(history.length, workloads.length);
    for (const c of history) assert.ok(c.canvas && c.series > 0 && c.points === c.series * 3, `${c.id}: ${JSON.stringify(c)}`);

    // Targets, start-up, leader changes, memory, machine.
    const targets = await tableRows(browser, 'table.targets');
    assert.deepEqual(targets, (data.targets as TargetCheck[]).map((x) => [x.name, x.wanted, x.got, x.met === undefined ? 'not measured' : x.met ? 'met' : 'missed']));
    const measured = Object.fromEntries((await tableRows(browser, 'table.measured')).map(([k, v]) => [k, v]));
    assert.equal(measured['start to first write, raftkv'], '890 ms');
    assert.equal(measured['leader changes, raftkv'], '1 (480 polls, term 2 -> 3, 2 without a leader)');
    assert.equal(measured['memory, 200,000 keys x 100 B'], 'launcher RSS 564 MiB');
    const machine = Object.fromEntries((await tableRows(browser, 'table.machine')).map(([k, v]) => [k, v]));
    assert.equal(machine.machine, '2 cores, AMD EPYC, 23.5 GiB, Linux 6.18');
    assert.equal(machine['load average at start'], '1.15 1.40 2.39');
    assert.deepEqual(browser.problems, []);
  });

  await t.test('raftkv bench report on two result files: side by side, the SVG, --open', async () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const opened = path.join(dir, 'opened.txt');
    writeFileSync(path.join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > "${opened}"\n`);
    chmodSync(path.join(bin, 'xdg-open'), 0o755);
    const r = spawnSync(process.execPath, [CLI, 'bench', 'report', newest, old, '--svg', '--open'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
    assert.equal(r.status, 0, r.stderr);
    const html = newest.replace(/\.json$/, '.compare.html');
    const svg = newest.replace(/\.json$/, '.svg');
    assert.match(r.stdout, new RegExp(`^report: ${html.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^svg: ${svg.replace(/[.]/g, '\\.')}$`, 'm'));
    for (let i = 0; i < 200 && !existsSync(opened); i++) await sleep(50);
    assert.equal(readFileSync(opened, 'utf8').trim(), html, 'xdg-open got the page');

    await openReport(browser, html);
    assert.deepEqual(browser.problems, []);
    const shown = await bars(browser, 'throughput-bars');
    const oldData = JSON.parse(readFileSync(old, 'utf8')) as BenchResultFile;
    assert.equal(shown.length, 2 * data.results.filter((x) => x.system !== 'raftkv-os' && x.system !== 'raftkv-tls').length);
    for (const b of shown.filter((x) => x.label.endsWith(' aaa1111'))) assert.equal(b.value, oldData.results.find((x) => x.system === b.system && x.workload === b.workload)!.opsPerSec);
    for (const b of shown.filter((x) => x.label.endsWith(' ddd4444'))) assert.equal(b.value, find(b.system, b.workload).opsPerSec);
    const ratio = await browser.page.textContent('#throughput-bars g.group[data-workload="set64"] text.ratio');
    assert.equal(ratio, `raftkv ${formatRatio(1 / 0.8)}`);
    // The old run saved no histograms: its lines are its p50, p90 and p99.
    const latency = await drawnCharts(browser, 'latency');
    const set1 = latency.find((c) => c.id === 'latency-set1')!;
    assert.equal(set1.series, 8);
    const labels = await browser.page.evaluate(() => [...document.querySelectorAll('#latency-set1 table.latency tbody tr td:first-child')].map((td) => td.textContent));
    assert.deepEqual(labels, ['raftkv aaa1111', 'raftkv ddd4444', 'raftkv (durability os) aaa1111', 'raftkv (durability os) ddd4444', 'raftkv (TLS and tokens) aaa1111', 'raftkv (TLS and tokens) ddd4444', 'etcd aaa1111', 'etcd ddd4444']);
    assert.match((await browser.page.textContent('#latency .note'))!, /show only their p50, p90 and p99/);
    assert.equal((await tableRows(browser, 'table.targets')).length, 2 * (data.targets as TargetCheck[]).length);
    assert.equal(await browser.page.locator('table.measured').count(), 2);
    assert.deepEqual(browser.problems, []);
  });

  await t.test('the SVG is well-formed and names every system', async () => {
    const svg = readFileSync(newest.replace(/\.json$/, '.svg'), 'utf8');
    const parse = (text: string) =>
      browser.page.evaluate((s) => {
        const doc = new DOMParser().parseFromString(s, 'image/svg+xml');
        return { error: doc.querySelector('parsererror')?.textContent ?? null, root: doc.documentElement.nodeName, texts: [...doc.querySelectorAll('text')].map((x) => x.textContent ?? '') };
      }, text);
    const parsed = await parse(svg);
    assert.equal(parsed.error, null);
    assert.equal(parsed.root, 'svg');
    for (const name of ['raftkv', 'etcd', 'Redis appendfsync always', 'Redis no persistence']) assert.ok(parsed.texts.includes(name), `${name} in ${parsed.texts.join(' | ')}`);
    assert.ok(parsed.texts.some((x) => x.includes('2 cores, AMD EPYC')), 'the machine is named');
    assert.ok(parsed.texts.some((x) => x.startsWith('raftkv bench --compare --memory-keys 200000, commit ddd4444')), 'the command is named');
    // The check can fail: a cut-off file does not parse.
    assert.notEqual((await parse(svg.slice(0, -20))).error, null);
  });

  await t.test("the README's chart is the one made from the result file it names", () => {
    const made = headlineSvg(loadRun(path.join(ROOT, `${README_RUN}.json`)));
    assert.equal(readFileSync(path.join(ROOT, `${README_RUN}.svg`), 'utf8'), made, `remake it: node dist/src/main.cjs bench report ${README_RUN}.json --svg`);
  });

  await t.test('bad input: a clear error, nothing written', () => {
    const notResult = path.join(dir, 'other.json');
    writeFileSync(notResult, '{"hello": 1}');
    for (const [file, message] of [
      [path.join(dir, 'missing.json'), /missing\.json: no such file/],
      [notResult, /other\.json: not a raftkv bench result file \(schema: /],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'bench', 'report', file, '--out', path.join(dir, 'bad.html')], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 1);
      assert.match(r.stderr, message);
      assert.equal(existsSync(path.join(dir, 'bad.html')), false);
    }
  });
});
