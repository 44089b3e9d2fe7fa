// Counting on the hot path, exposing through prom-client.
//
// prom-client's own counters and histograms hash their labels into a string
// on every inc() and observe(), bound children (`.labels(...)`) included, and
// validate them each time: too dear once per Raft message or client request.
// So the hot path only adds to plain numbers here (a tally per label set,
// made once), and prom-client reads them when /metrics is scraped, through
// `collect()` on its gauges and counters, or through `TallyHistogram`, which
// hands its buckets to prom-client's registry in the shape its Histogram
// does. prom-client still writes (and escapes) the exposition text.

import { Counter, Gauge, type Registry } from 'prom-client';

export type Labels = Record<string, string>;

/** Seconds; the upper bounds of a latency histogram (Prometheus's `le`). */
export const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Disk and apply work: finer at the low end. */
export const DISK_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** Observations of one label set: a count per bucket, their sum and count. */
export class LatencyTally {
  readonly bounds: readonly number[];
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** What prom-client's registry reads from a metric (its `get()`). */
interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/**
 * A histogram over LatencyTallies, registered in a prom-client Registry: it
 * answers `get()` with the values prom-client's Histogram would, so the
 * registry renders `_bucket`, `_sum` and `_count` lines itself.
 */
export class TallyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #series: () => Iterable<readonly [Labels, LatencyTally]>;

  constructor(registry: Registry, name: string, help: string, series: () => Iterable<readonly [Labels, LatencyTally]>) {
    this.name = name;
    this.help = help;
    this.#series = series;
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const values: MetricValue[] = [];
    for (const [labels, t] of this.#series()) {
      let acc = 0;
      t.bounds.forEach((le, i) => {
        acc += t.counts[i]!;
        values.push({ labels: { ...labels, le: String(le) }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: t.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: t.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: t.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

type Read = () => Iterable<readonly [Labels, number]>;

/** A gauge whose values are read at scrape time (label sets that vanish, vanish from the output too). */
export function scrapedGauge(registry: Registry, name: string, help: string, labelNames: readonly string[], read: Read): void {
  new Gauge({ name, help, labelNames, registers: [registry], collect: refill(read, (g, labels, v) => g.set(labels, v)) });
}

/** A counter whose totals are kept elsewhere (plain numbers on the hot path) and read at scrape time. */
export function scrapedCounter(registry: Registry, name: string, help: string, labelNames: readonly string[], read: Read): void {
  new Counter({ name, help, labelNames, registers: [registry], collect: refill(read, (c, labels, v) => c.inc(labels, v)) });
}

/** A collect() that empties the metric and fills it again with what `read` says now. */
function refill<M extends { reset(): void }>(read: Read, put: (m: M, labels: Labels, v: number) => void): (this: M) => void {
  return function (this: M) {
    this.reset();
    for (const [labels, v] of read()) put(this, labels, v);
  };
}

/** One unlabelled value. */
export function one(v: number): [readonly [Labels, number]] {
  return [[{}, v]];
}

/** Whether metrics are kept at all: RAFTKV_METRICS=off measures what they cost (npm run bench). */
export function metricsEnabled(): boolean {
  return process.env.RAFTKV_METRICS !== 'off';
}
