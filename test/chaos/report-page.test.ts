// The chaos report page, made by `raftkv chaos report` from a saved JSON
// report and opened in headless Chromium with the network cut off: no
// console error, the timeline has every fault and leader, the availability
// and failover charts are drawn with the report's data, and the numbers are
// the report's. A report saved before timelines were recorded still makes a
// page. One browser serves every case.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatChaosReport } from '../../src/chaos/report.js';
import type { ChaosReport } from '../../src/chaos/run-chaos.js';
import { DEFAULT_CHAOS } from '../../src/chaos/run-chaos.js';
import { openOfflinePage, type OfflinePage } from '../helpers/browser.js';

const CLI = fileURLToPath(new URL('../../../dist/src/main.cjs', import.meta.url));

function report(): ChaosReport {
  const { say: _say, ...options } = { ...DEFAULT_CHAOS, say: () => {} };
  return {
    options: { ...options, durationS: 20 },
    ops: 4321,
    clientStats: { ok: 4000, failed: 50, unknownWrites: 7, byOp: { get: 1700, put: 1200, putex: 100, cas: 800, txn: 60, delete: 461 } },
    availability: 4000 / 4050,
    writes: { ok: 3000, failed: 12 },
    nemesis: { counts: { kill: 2, pause: 1, partition: 1, oneway: 1, degrade: 1 }, leaderKills: 2, failoversMs: [612, 388], failoverTimeouts: 0, errors: [] },
    leaderChanges: 2,
    violations: 0,
    violationDetails: [],
    checkTimedOut: [],
    checkMs: 150,
    lost: 0,
    lostExamples: [],
    ackedChecked: 3000,
    timeline: {
      durationS: 20.4,
      faults: [
        { kind: 'kill', target: 'node0', detail: 'leader', startS: 1.2, endS: 3.9, failoverMs: 612 },
        { kind: 'pause', target: 'node2', detail: '', startS: 5, endS: 6.5 },
        { kind: 'partition', target: 'node1', detail: 'node1 | node0,node2', startS: 8, endS: 9.6 },
        { kind: 'kill', target: 'node1', detail: 'leader', startS: 11, endS: 13.2, failoverMs: 388 },
        { kind: 'oneway', target: 'node2', detail: 'node2->node0', startS: 14.5, endS: 16 },
        { kind: 'degrade', target: 'all links', detail: 'delay 40 ms', startS: 17.8 },
      ],
      leaders: [
        { atS: 0.1, group: 0, leader: 'node0', term: 2 },
        { atS: 1.8, group: 0, leader: 'node1', term: 3 },
        { atS: 11.4, group: 0, leader: 'node2', term: 4 },
      ],
      perSecond: { ok: [210, 0, 150, 200, 205, 190, 180, 200, 100, 190, 200, 0, 140, 200, 200, 180, 200, 205, 190, 200, 40], failed: [0, 20, 5, 0, 0, 0, 5, 0, 10, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
    },
  };
}

async function open(browser: OfflinePage, file: string): Promise<void> {
  browser.problems.length = 0;
  await browser.page.goto(pathToFileURL(file).href);
  await browser.page.waitForSelector('body[data-drawn="true"]', { timeout: 20_000 });
}

const drawn = (browser: OfflinePage, id: string) =>
  browser.page.evaluate((i) => {
    const plot = document.querySelector<HTMLElement>(`#${i} .plot`)!;
    return { series: Number(plot.dataset.series ?? 0), points: Number(plot.dataset.points ?? 0), canvas: plot.querySelector('canvas') !== null };
  }, id);

test('the chaos report page', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftkv-chaos-page-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const browser = await openOfflinePage(t);
  if (browser === undefined) return;
  t.after(() => browser.close());

  await t.test('raftkv chaos report: the timeline, availability and failovers of the saved report, offline', async () => {
    const r = report();
    const json = path.join(dir, 'run.json');
    writeFileSync(json, JSON.stringify(r, null, 2));
    const made = spawnSync(process.execPath, [CLI, 'chaos', 'report', json], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(made.status, 0, made.stderr);
    const html = path.join(dir, 'run.html');
    assert.equal(made.stdout.trim(), `report: ${html}`);
    assert.doesNotMatch(readFileSync(html, 'utf8'), /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    await open(browser, html);
    assert.deepEqual(browser.problems, []);

    const lines = formatChaosReport(r);
    assert.equal(await browser.page.textContent('#verdict'), lines[lines.length - 1]);
    assert.equal((await browser.page.textContent('#printed pre'))!, lines.join('\n'));

    const faults = await browser.page.evaluate(() => [...document.querySelectorAll<SVGRectElement>('svg.fault-timeline rect.fault')].map((x) => `${x.dataset.kind} ${x.dataset.target}`));
    assert.deepEqual(faults, r.timeline!.faults.map((f) => `${f.kind} ${f.target}`));
    const leaders = await browser.page.evaluate(() => [...document.querySelectorAll<SVGGElement>('svg.fault-timeline g.leader-span')].map((x) => `${x.dataset.leader} ${x.dataset.term}`));
    assert.deepEqual(leaders, ['node0 2', 'node1 3', 'node2 4']);

    const p = r.timeline!.perSecond;
    const availability = await drawn(browser, 'availability');
    const answeredPercent = p.ok.filter((ok, i) => ok + p.failed[i]! > 0).length;
    assert.deepEqual(availability, { series: 3, points: p.ok.length * 2 + answeredPercent, canvas: true });
    assert.deepEqual(await drawn(browser, 'failover'), { series: 1, points: 2, canvas: true });

    const numbers = Object.fromEntries(await browser.page.evaluate(() => [...document.querySelectorAll('table.numbers tbody tr')].map((tr) => [tr.children[0]!.textContent!, tr.children[1]!.textContent!])));
    assert.equal(numbers['operations checked'], '4,321');
    assert.equal(numbers['availability (history clients)'], '98.8%');
    assert.equal(numbers['failed'], '50 (7 writes of unknown outcome)');
    assert.equal(numbers['lost'], '0');
    assert.equal(numbers['leader changes'], '2');
    assert.equal(numbers['failover: n, min, median, p90, max'], '2, 388 ms, 388 ms, 612 ms, 612 ms');
    assert.deepEqual(browser.problems, []);
  });

  await t.test('a report saved without a timeline still makes a page', async () => {
    const { timeline: _t, ...old } = report();
    const json = path.join(dir, 'old.json');
    writeFileSync(json, JSON.stringify(old));
    const html = path.join(dir, 'old-page.html');
    const made = spawnSync(process.execPath, [CLI, 'chaos', 'report', json, '--out', html], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(made.status, 0, made.stderr);
    await open(browser, html);
    assert.deepEqual(browser.problems, []);
    assert.match((await browser.page.textContent('#timeline'))!, /saved without a timeline/);
    assert.equal((await drawn(browser, 'availability')).canvas, false);
    assert.deepEqual(await drawn(browser, 'failover'), { series: 1, points: 2, canvas: true });
  });

  await t.test('a file that is not a chaos report: a clear error, no page', () => {
    const json = path.join(dir, 'bench.json');
    writeFileSync(json, JSON.stringify({ schema: 1, results: [] }));
    const made = spawnSync(process.execPath, [CLI, 'chaos', 'report', json], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(made.status, 1);
    assert.match(made.stderr, /bench\.json: not a raftkv chaos report \(options: .*raftkv chaos --json FILE/);
    assert.equal(existsSync(path.join(dir, 'bench.html')), false);
  });
});
