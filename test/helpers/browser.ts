// A real headless browser for the tests of pages we serve or write: Debian's
// Chromium driven by playwright-core, which downloads nothing at install time.
// The page is kept off the network: every request that is not loopback or
// local content is aborted and reported, so a page that works here works
// offline too.

import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function systemChromium(): string | undefined {
  const fromEnv = process.env.RAFTKV_CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return CHROMIUM_PATHS.find((p) => existsSync(p));
}

export interface OfflinePage {
  page: Page;
  /** Console errors, uncaught page errors and refused (off-machine) requests, in order. */
  problems: string[];
  close(): Promise<void>;
}

const LOCAL_URL = /^(file:|data:|blob:|about:|https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/)/;

/**
 * Opens a page in headless Chromium with the network cut off. Returns
 * undefined (and marks the test skipped) where no Chromium is installed,
 * except under CI, where its absence fails the test: CI installs it.
 */
export async function openOfflinePage(t: TestContext, viewport = { width: 1400, height: 900 }): Promise<OfflinePage | undefined> {
  const executablePath = systemChromium();
  if (executablePath === undefined) {
    if (process.env.CI === 'true') throw new Error('no Chromium: .ci/apt-packages lists chromium, so CI must have it');
    t.skip('no Chromium on this machine (apt-get install chromium)');
    return undefined;
  }
  // Root (as CI runs) needs --no-sandbox; the pages are our own.
  const browser: Browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (LOCAL_URL.test(url)) return route.continue();
    problems.push(`refused off-machine request: ${url}`);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return {
    page,
    problems,
    close: async () => {
      await context.close();
      await browser.close();
    },
  };
}
