// When things happened in a chaos run, for its report page: every fault from
// injection to heal, every leader seen, and the history clients' answers
// per second (availability over time). Times are seconds from the start of
// the load.

import { performance } from 'node:perf_hooks';
import type { SerialFault } from './nemesis.js';

export interface FaultEvent {
  kind: SerialFault;
  /** The node it struck, or the groups of a partition, the link of a one-way cut, "all links" for degrade. */
  target: string;
  /** What exactly: "leader", "delay 35 ms", "node1 | node0,node2"... */
  detail: string;
  startS: number;
  /** When it was healed (the killed node restarted); absent if the run ended first. */
  endS?: number;
  /** For a leader kill: kill -> first successful write, ms. */
  failoverMs?: number;
  error?: string;
}

export interface LeaderEvent {
  atS: number;
  /** Raft group (shard) index; 0 without shards. */
  group: number;
  leader: string;
  term: number;
}

export interface ChaosTimeline {
  /** Seconds of load the run lasted. */
  durationS: number;
  faults: FaultEvent[];
  /** The first leader of each group, then every change. */
  leaders: LeaderEvent[];
  /** History client operations answered (ok) and failed in each second of the run. */
  perSecond: { ok: number[]; failed: number[] };
}

export class TimelineRecorder {
  readonly #t0 = performance.now();
  readonly #faults: FaultEvent[] = [];
  readonly #leaders: LeaderEvent[] = [];
  readonly #ok: number[] = [];
  readonly #failed: number[] = [];

  /** Seconds since the recorder was made (the start of the load). */
  now(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  /** A fault begins; set its endS with end() when it is healed. */
  fault(kind: SerialFault, target: string, detail = ''): FaultEvent {
    const e: FaultEvent = { kind, target, detail, startS: round(this.now()) };
    this.#faults.push(e);
    return e;
  }

  end(e: FaultEvent): void {
    e.endS = round(this.now());
  }

  leader(group: number, leader: string, term: number): void {
    this.#leaders.push({ atS: round(this.now()), group, leader, term });
  }

  op(ok: boolean): void {
    const s = Math.floor(this.now());
    const into = ok ? this.#ok : this.#failed;
    for (const a of [this.#ok, this.#failed]) while (a.length <= s) a.push(0);
    into[s]!++;
  }

  snapshot(): ChaosTimeline {
    return { durationS: round(this.now()), faults: this.#faults.map((f) => ({ ...f })), leaders: [...this.#leaders], perSecond: { ok: [...this.#ok], failed: [...this.#failed] } };
  }
}

const round = (s: number): number => Math.round(s * 1000) / 1000;
