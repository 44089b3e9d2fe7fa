// Leader changes while a system is under load: its (leader, term) is polled
// the whole time; every change after the first observation is counted.

export interface LeaderTerm {
  leader: string;
  term: number;
}

export interface LeaderWatchResult {
  /** Times the observed (leader, term) changed; 0 when the same leader served throughout. */
  changes: number;
  observations: number;
  /** Polls without an agreed leader. */
  leaderless: number;
  first: LeaderTerm | undefined;
  last: LeaderTerm | undefined;
}

export class LeaderWatch {
  readonly #poll: () => Promise<LeaderTerm | undefined>;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  readonly #result: LeaderWatchResult = { changes: 0, observations: 0, leaderless: 0, first: undefined, last: undefined };

  constructor(poll: () => Promise<LeaderTerm | undefined>, intervalMs = 250) {
    this.#poll = poll;
    this.#intervalMs = intervalMs;
  }

  start(): void {
    const tick = (): void => {
      this.#inFlight = this.#poll().then(
        (lt) => this.observe(lt),
        () => this.observe(undefined),
      );
      void this.#inFlight.then(() => {
        if (this.#timer) this.#timer = setTimeout(tick, this.#intervalMs);
      });
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Record one observation (exposed for tests). */
  observe(lt: LeaderTerm | undefined): void {
    const r = this.#result;
    r.observations++;
    if (!lt) {
      r.leaderless++;
      return;
    }
    if (r.last && (r.last.leader !== lt.leader || r.last.term !== lt.term)) r.changes++;
    r.first ??= lt;
    r.last = lt;
  }

  async stop(): Promise<LeaderWatchResult> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
    return { ...this.#result };
  }
}
