// The dashboard in a real headless browser (system Chromium, offline): it
// shows three nodes and a leader, its kill button fails the leader over, its
// restart button brings the node back, and its key form writes and reads
// through the control API. Screenshots land in test-artifacts/ (gitignored).

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openOfflinePage, type OfflinePage } from '../helpers/browser.js';
import { sharedClusterWithControl } from '../helpers/test-cluster.js';

const ARTIFACTS = path.resolve('test-artifacts');
/** Generous: the machine is shared, and an election needs a few hundred ms even when idle. */
const SEE = { timeout: 20_000 };

const shared = sharedClusterWithControl();

test('the dashboard shows the cluster live, fails the leader over from its buttons, and writes and reads a key', async (t) => {
  const browser: OfflinePage | undefined = await openOfflinePage(t);
  if (browser === undefined) return;
  t.after(() => browser.close());
  const { page, problems } = browser;
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.goto(`http://127.0.0.1:${shared.control.port}/`);

  // Three nodes, each in the table and in the picture, and one leader named in the header.
  await page.waitForFunction(() => document.querySelectorAll('#nodes tbody tr').length === 3, undefined, SEE);
  await page.waitForFunction(() => (document.querySelector('#summary') as HTMLElement | null)?.dataset.leader?.match(/^node\d$/) !== null, undefined, SEE);
  const leader = await page.getAttribute('#summary', 'data-leader');
  assert.ok(leader, 'a leader is shown');
  assert.equal(await page.locator('svg#topology g.node').count(), 3);
  assert.equal(await page.locator('svg#topology line.link[data-state="ok"]').count(), 3, 'three healthy links');
  assert.equal(await page.getAttribute(`#nodes tr[data-node="${leader}"]`, 'data-role'), 'leader');
  assert.equal(await page.textContent('#conn'), 'live');

  // Kill the leader: the page marks it dead and shows another leader.
  await page.click(`button[data-action="kill"][data-target="${leader}"]`);
  await page.waitForSelector(`#nodes tr[data-node="${leader}"][data-state="dead"]`, SEE);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-failover.png'), fullPage: true });
  await page.waitForFunction(
    (old) => {
      const now = (document.querySelector('#summary') as HTMLElement | null)?.dataset.leader ?? '';
      return /^node\d$/.test(now) && now !== old;
    },
    leader,
    SEE,
  );
  const next = await page.getAttribute('#summary', 'data-leader');
  assert.notEqual(next, leader);
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-new-leader.png'), fullPage: true });
  await page.waitForSelector('#events li[data-kind="fault"]:has-text("killed")', SEE);
  await page.waitForSelector(`#events li[data-kind="leader"]:has-text("${next} became leader")`, SEE);

  // Restart it: it comes back as a follower of the new leader.
  await page.click(`button[data-action="restart"][data-target="${leader}"]`);
  await page.waitForSelector(`#nodes tr[data-node="${leader}"][data-state="alive"][data-role="follower"]`, SEE);

  // A key written through the form is read back through it, linearizably, from the node that was killed.
  await page.fill('#kv-key', 'dash-key');
  await page.fill('#kv-value', 'dash-value');
  await page.click('#kv-write');
  await page.waitForSelector('#kv-result[data-ok="true"]:has-text("wrote")', SEE);
  await page.selectOption('#kv-node', leader!);
  // Just restarted, the node may not have heard from the leader yet and answer "retry shortly", as a user would see it:
  // the read is clicked again then, a few times, and every answer is kept for the message.
  const answers: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    await page.evaluate(() => document.querySelector('#kv-result')!.removeAttribute('data-ok'));
    await page.click('#kv-read');
    await page.waitForSelector('#kv-result[data-ok]', SEE);
    answers.push((await page.textContent('#kv-result')) ?? '');
    if ((await page.getAttribute('#kv-result', 'data-ok')) === 'true') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (answers.length > 1) t.diagnostic(`the read was clicked ${answers.length} times: ${answers.join(' | ')}`);
  assert.match(answers.at(-1) ?? '', /read from/, answers.join('\n'));
  assert.match((await page.textContent('#kv-result')) ?? '', /"dash-key" = "dash-value" \(read from node\d, linearizable\)/);
  // The chart saw the writes.
  assert.ok(await page.locator('#chart .u-over').count(), 'the uPlot chart is drawn');

  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  assert.deepEqual(problems, [], 'no console errors and no request off the machine');
});

test('the dashboard\'s partition and heal buttons cut a node off and heal it', async (t) => {
  const browser: OfflinePage | undefined = await openOfflinePage(t);
  if (browser === undefined) return;
  t.after(() => browser.close());
  const { page, problems } = browser;
  await page.goto(`http://127.0.0.1:${shared.control.port}/`);
  await page.waitForFunction(() => document.querySelectorAll('#partition-groups input').length === 3, undefined, SEE);
  await page.check('#partition-groups input[data-node="node2"]');
  await page.click('#partition');
  await page.waitForSelector('#nodes tr[data-node="node2"][data-cut="true"]', SEE);
  await page.waitForSelector('svg#topology line.link[data-state="cut"]', SEE);
  assert.equal(await page.locator('svg#topology line.link[data-state="cut"]').count(), 2, 'both links of node2 are cut');
  await page.click('#heal');
  await page.waitForFunction(() => document.querySelectorAll('svg#topology line.link[data-state="ok"]').length === 3, undefined, SEE);
  await page.waitForSelector('#events li[data-kind="fault"]:has-text("healed")', SEE);
  assert.deepEqual(problems, []);
});
