// Run one seed of the simulation, optionally against a mutant core.

import { findMutant } from './mutants.js';
import { Simulator, type SimOptions, type SimResult } from './simulator.js';

export interface RunOptions {
  seed: number;
  nodes: 3 | 5;
  /** Length of the fault phase in ticks (default 400). */
  ticks?: number;
  mutant?: string;
  traceSize?: number;
  checkTimeoutMs?: number;
  /** Overrides for experiments (merged over the mutant's). */
  faults?: SimOptions['faults'];
  core?: SimOptions['core'];
  mix?: string;
  /** With `mutant`: use its faults and settings but leave the core correct (the control run). */
  unmutated?: boolean;
  /** See SimOptions.quietTurns. */
  quietTurns?: number;
}

export interface RunResult extends SimResult {
  mutant: string | undefined;
  /** The mutant's faults and settings ran against the correct core. */
  unmutated: boolean;
}

export const DEFAULT_TICKS = 400;

export async function runSeed(opts: RunOptions): Promise<RunResult> {
  const mutant = opts.mutant ? findMutant(opts.mutant) : undefined;
  const sim: SimOptions = {
    seed: opts.seed,
    nodes: opts.nodes,
    ticks: runTicks(opts),
    faults: { ...mutant?.faults, ...opts.faults },
    core: { ...mutant?.core, ...opts.core },
    snapshotEvery: mutant?.snapshotEvery,
    mix: opts.mix ?? mutant?.mix,
    traceSize: opts.traceSize,
    checkTimeoutMs: opts.checkTimeoutMs,
    quietTurns: opts.quietTurns,
  };
  const restore = opts.unmutated ? undefined : mutant?.apply();
  try {
    return { ...(await new Simulator(sim).run()), mutant: opts.mutant, unmutated: opts.unmutated === true && mutant !== undefined };
  } finally {
    restore?.();
  }
}

/** The fault phase's length: as given, else the mutant's, else the default. */
export function runTicks(opts: Pick<RunOptions, 'ticks' | 'mutant'>): number {
  return opts.ticks ?? (opts.mutant ? findMutant(opts.mutant).ticks : undefined) ?? DEFAULT_TICKS;
}

/** The command that replays one run. */
export function replayCommand(opts: Pick<RunOptions, 'seed' | 'nodes' | 'ticks' | 'mutant' | 'unmutated'>): string {
  let cmd = `npm run sim -- --seeds 1 --seed ${opts.seed} --nodes ${opts.nodes}`;
  if (opts.ticks !== undefined && opts.ticks !== runTicks({ mutant: opts.mutant })) cmd += ` --ticks ${opts.ticks}`;
  if (opts.mutant) cmd += ` --mutant ${opts.mutant}`;
  if (opts.mutant && opts.unmutated) cmd += ' --control';
  return cmd;
}

/** A failing run, readable: its violations, the command that replays it, its settings and last events. */
export function formatFailure(r: RunResult, ticks?: number): string {
  const what = r.mutant ? `, ${r.unmutated ? "correct core with the faults of mutant" : 'mutant'} ${r.mutant}` : '';
  const lines = [`=== seed ${r.seed} (${r.nodes} nodes${what}): ${r.violations.length} violation(s)`];
  for (const v of r.violations) lines.push(`  ${v.replace(/\n/g, '\n    ')}`);
  lines.push(`  replay: ${replayCommand({ seed: r.seed, nodes: r.nodes as 3 | 5, ticks, mutant: r.mutant, unmutated: r.unmutated })}`);
  lines.push(`  ${r.stats.config}`);
  lines.push(`  last ${r.trace.length} events:`);
  for (const line of r.trace) lines.push(`    ${line}`);
  return lines.join('\n');
}
