// The browser helper keeps pages off the network and reports what they tried:
// the report and dashboard tests rely on it to prove a page works offline.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { openOfflinePage } from './browser.js';

test('a local page loads, and a request off the machine is refused and reported', async (t) => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><p id="x">local</p><script src="https://cdn.example.invalid/lib.js"></script><script>console.error("boom")</script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const browser = await openOfflinePage(t);
  if (browser === undefined) return;
  t.after(() => browser.close());
  const { port } = server.address() as AddressInfo;
  await browser.page.goto(`http://127.0.0.1:${port}/`);
  assert.equal(await browser.page.textContent('#x'), 'local');
  assert.ok(browser.problems.some((p) => p.includes('refused off-machine request: https://cdn.example.invalid/lib.js')), browser.problems.join('\n'));
  assert.ok(browser.problems.some((p) => p.includes('console error: boom')), browser.problems.join('\n'));
});
