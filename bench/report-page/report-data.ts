// The data a report page carries for the charts its script draws (latency
// distributions and history). Types only: the page script imports them too.

/** A percentile's position on the latency charts' x axis: its "nines", -log10(1 - p/100) (p50 0.3, p90 1, p99 2, p99.9 3). */
export const nines = (percentile: number): number => -Math.log10(1 - percentile / 100);

/** Percentiles labelled on the latency charts' x axis. */
export const LABELLED_PERCENTILES = [50, 90, 99, 99.9, 99.99] as const;

export interface LatencySeries {
  /** "raftkv", or "raftkv 70eb34e" when several runs are shown. */
  label: string;
  system: string;
  color: string;
  /** [nines, milliseconds], ascending in nines. */
  points: [number, number][];
  /** false: the run saved no histogram, only its p50, p90 and p99 are drawn. */
  fromHistogram: boolean;
  /** Requests the distribution is made of. */
  count: number;
  /** Milliseconds: p50, p90, p99 and max as the result file has them; p99.9 and p99.99 from its histogram. */
  summary: { p50: number; p90: number; p99: number; p999?: number; p9999?: number; max: number };
}

export interface LatencyChart {
  id: string;
  workload: string;
  title: string;
  series: LatencySeries[];
}

export interface HistoryPoint {
  commit: string;
  file: string;
  startedAt: string;
  mode: string;
}

export interface HistoryChart {
  id: string;
  workload: string;
  title: string;
  /** One series per system; values[i] is ops/s at points[i] (null: not measured in that run). */
  series: { system: string; color: string; values: (number | null)[] }[];
}

export interface HistoryData {
  /** One point per commit, oldest first. */
  points: HistoryPoint[];
  charts: HistoryChart[];
}

export interface ReportData {
  /** Where the latency charts' x axis is labelled: nines, and the percentile they stand for. */
  latencyAxis: { splits: number[]; labels: string[] };
  latency: LatencyChart[];
  history: HistoryData;
}
