// `npm run sim -- --seeds N [--seed S] [--nodes 3|5] [--ticks T] [--mutant NAME [--control]] [--list-mutants]`
//
// Runs seeds S..S+N-1; for each failing seed prints its violations, the
// command that replays it and the last events of its trace. The last line is
// always `seeds: N, violations: V` (V = seeds with violations); exit code 1 when V > 0.

import { cac } from 'cac';
import { MUTANTS } from './mutants.js';
import { DEFAULT_TICKS, formatFailure, runSeed } from './run.js';

const cli = cac('sim');
cli
  .option('--seeds <n>', 'number of seeds to run', { default: 1 })
  .option('--seed <s>', 'first seed', { default: 1 })
  .option('--nodes <n>', 'cluster size: 3 or 5', { default: 3 })
  .option('--ticks <t>', `length of the fault phase in ticks (default ${DEFAULT_TICKS}, or the mutant's own)`)
  .option('--mutant <name>', 'run against a deliberately broken core (see --list-mutants)')
  .option('--control', "with --mutant: run the mutant's faults and settings against the correct core")
  .option('--list-mutants', 'list the mutants and exit')
  .option('--trace <n>', 'events of the trace to print for a failing seed', { default: 60 })
  .option('--verbose', 'print one line of stats per seed')
  .help();

const { options } = cli.parse();
if (options.help) process.exit(0);

if (options.listMutants) {
  const width = Math.max(...MUTANTS.map((m) => m.name.length));
  for (const m of MUTANTS) console.log(`${m.name.padEnd(width)}  ${m.description}`);
  process.exit(0);
}

const seeds = Number(options.seeds);
const first = Number(options.seed);
const nodes = Number(options.nodes) as 3 | 5;
const ticks = options.ticks === undefined ? undefined : Number(options.ticks);
const traceSize = Number(options.trace);
if (!Number.isInteger(seeds) || seeds < 1) fail(`--seeds must be a positive integer, got ${options.seeds}`);
if (!Number.isInteger(first)) fail(`--seed must be an integer, got ${options.seed}`);
if (nodes !== 3 && nodes !== 5) fail(`--nodes must be 3 or 5, got ${options.nodes}`);
if (ticks !== undefined && (!Number.isInteger(ticks) || ticks < 1)) fail(`--ticks must be a positive integer, got ${options.ticks}`);
const mutant = options.mutant === undefined ? undefined : String(options.mutant);
if (mutant !== undefined && !MUTANTS.some((m) => m.name === mutant)) fail(`unknown mutant "${mutant}"; try --list-mutants`);

let failing = 0;
const started = performance.now();
for (let seed = first; seed < first + seeds; seed++) {
  const r = await runSeed({ seed, nodes, ticks, mutant, unmutated: options.control === true, traceSize });
  if (options.verbose) {
    const s = r.stats;
    console.log(
      `seed ${seed}: ${r.violations.length ? 'VIOLATION' : 'ok'} ${s.wallMs}ms ticks=${s.ticks} events=${s.events} terms=${s.maxTerm} commit=${s.maxCommit} ops=${s.historyOps} (ok ${s.clients.ok}, unknown ${s.clients.unknown}, retried ${s.clients.retries}, reads ${s.clients.reads}) snapshots=${s.snapshotsCaptured}/${s.snapshotsInstalled} crashes=${s.nemesis.crashes} disk-failures=${s.diskFailures} partitions=${s.nemesis.partitions} conf=${s.membership.applied} liveness=${s.livenessTicks} check=${s.checkMs}ms${s.checkTimedOut ? ' (timed out)' : ''}`,
    );
  }
  if (r.violations.length === 0) continue;
  failing++;
  console.log(`\n${formatFailure(r, ticks)}`);
}
if (options.verbose) console.log(`(${((performance.now() - started) / 1000).toFixed(1)}s)`);
console.log(`seeds: ${seeds}, violations: ${failing}`);
process.exit(failing > 0 ? 1 : 0);

function fail(msg: string): never {
  console.error(msg);
  process.exit(2);
}
