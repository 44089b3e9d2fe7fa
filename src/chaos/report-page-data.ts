// The data a chaos report page carries for the charts its script draws.
// Types only: the page script imports them too.

export interface ChaosPageData {
  /** Per second of the run; absent for reports saved without a timeline. */
  availability?: { seconds: number[]; ok: number[]; failed: number[]; percent: (number | null)[] };
  /** Leader kill -> first successful write, ms, ascending. */
  failoversMs: number[];
}
