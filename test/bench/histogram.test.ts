// Latency histograms: percentiles in milliseconds, and merging what the
// load-generator threads send back (compressed base64) loses nothing.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHistogram, encodeHistogram, newLatencyHistogram, summarize } from '../../bench/histogram.js';

test('percentiles of 1..1000 ms are where they should be (3 significant digits)', () => {
  const h = newLatencyHistogram();
  for (let ms = 1; ms <= 1000; ms++) h.recordValue(ms * 1000);
  const s = summarize(h);
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 500) <= 0.5, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p90 - 900) <= 1, `p90 ${s.p90}`);
  assert.ok(Math.abs(s.p99 - 990) <= 1, `p99 ${s.p99}`);
  assert.ok(Math.abs(s.max - 1000) <= 1, `max ${s.max}`);
  assert.ok(Math.abs(s.mean - 500.5) <= 1, `mean ${s.mean}`);
});

test('an empty histogram summarizes to zeros', () => {
  assert.deepEqual(summarize(newLatencyHistogram()), { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
});

test('histograms from two threads merge through their encoding', () => {
  const a = newLatencyHistogram();
  const b = newLatencyHistogram();
  a.recordValueWithCount(250, 99); // 0.25 ms
  b.recordValue(80_000); // 80 ms
  const merged = newLatencyHistogram();
  merged.add(decodeHistogram(encodeHistogram(a)));
  merged.add(decodeHistogram(encodeHistogram(b)));
  const s = summarize(merged);
  assert.equal(s.count, 100);
  assert.equal(s.p50, 0.25);
  assert.ok(Math.abs(s.max - 80) < 0.1, `max ${s.max}`);
});
