// Prometheus text, checked by Prometheus's own parser (`promtool check
// metrics`, Debian's prometheus package) and read back for assertions.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'];

export function promtool(): string | undefined {
  return PROMTOOL.find((p) => existsSync(p));
}

/**
 * `promtool check metrics` on the text: undefined when it passes, its
 * complaint otherwise. Without promtool the test is skipped (CI installs it:
 * there its absence fails).
 */
export function checkMetrics(t: TestContext, text: string): string | undefined | 'skipped' {
  const bin = promtool();
  if (bin === undefined) {
    if (process.env.CI === 'true') throw new Error('no promtool: .ci/apt-packages lists prometheus, so CI must have it');
    t.skip('no promtool on this machine (apt-get install prometheus)');
    return 'skipped';
  }
  const r = spawnSync(bin, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  // promtool prints lint problems (names, units, help) and exits 1; a parse error is also exit 1.
  return r.status === 0 ? undefined : `${r.stdout}${r.stderr}`;
}

/** Each sample of the text: `name{labels}` (labels as written, sorted as prom-client writes them) to its value. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** One sample's value; 0 when absent (a counter not yet counted). */
export function value(text: string, series: string): number {
  return samples(text).get(series) ?? 0;
}
