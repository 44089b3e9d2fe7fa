// Each mutant breaks one Raft rule; the simulator must catch every one of
// them within a bounded number of seeds, and the correct core must pass the
// very same runs (same seeds, same faults, same settings).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawNode } from '../../src/raft/index.js';
import { Raft } from '../../src/raft/raft.js';
import { WritePipeline } from '../../src/node/write-pipeline.js';
import { MUTANTS } from './mutants.js';
import { formatFailure, runSeed, type RunOptions } from './run.js';
import { runInWorkers, runUntilViolation } from './workers.js';

/** A mutant must be caught by one of the first MAX_SEEDS seeds. */
const MAX_SEEDS = 50;

describe('mutants', () => {
  for (const mutant of MUTANTS) {
    it(`catches ${mutant.name}: ${mutant.description}`, async (t) => {
      const runs = (unmutated: boolean, last: number): RunOptions[] =>
        Array.from({ length: last }, (_, i) => ({ seed: i + 1, nodes: 3, mutant: mutant.name, unmutated, checkTimeoutMs: 5_000 }));
      const caught = (await runUntilViolation(runs(false, MAX_SEEDS))).find((r) => r.violations.length > 0);
      assert.ok(caught, `${mutant.name} survived seeds 1..${MAX_SEEDS}`);
      const first = caught.violations[0]!;
      t.diagnostic(`caught at seed ${caught.seed}: ${first.split('\n')[0]}`);
      // Caught by the checker that guards the broken rule, not by whatever went wrong next.
      assert.match(first, mutant.caughtBy, `${mutant.name} was caught, but not by its checker:\n${formatFailure(caught)}`);
      for (const control of await runInWorkers(runs(true, caught.seed))) {
        assert.deepEqual(control.violations, [], `the correct core fails ${mutant.name}'s seed ${control.seed}:\n${formatFailure(control)}`);
      }
    });
  }

  // In this thread: the rules patched are this thread's.
  it('restores the core after each mutant run', async () => {
    const rules = {
      canCommitAt: Raft.prototype.canCommitAt,
      canGrantVote: Raft.prototype.canGrantVote,
      hardState: Raft.prototype.hardState,
      readIndexAllowed: Raft.prototype.readIndexAllowed,
      sendsBeforePersist: RawNode.prototype.sendsBeforePersist,
      sendNow: WritePipeline.prototype.sendNow,
      sendWhenDurable: WritePipeline.prototype.sendWhenDurable,
      toApply: WritePipeline.prototype.toApply,
      submit: WritePipeline.prototype.submit,
    };
    for (const m of MUTANTS) await runSeed({ seed: 1, nodes: 3, mutant: m.name, ticks: 50 });
    assert.equal(Raft.prototype.canCommitAt, rules.canCommitAt);
    assert.equal(Raft.prototype.canGrantVote, rules.canGrantVote);
    assert.equal(Raft.prototype.hardState, rules.hardState);
    assert.equal(Raft.prototype.readIndexAllowed, rules.readIndexAllowed);
    assert.equal(RawNode.prototype.sendsBeforePersist, rules.sendsBeforePersist);
    assert.equal(WritePipeline.prototype.sendNow, rules.sendNow);
    assert.equal(WritePipeline.prototype.sendWhenDurable, rules.sendWhenDurable);
    assert.equal(WritePipeline.prototype.toApply, rules.toApply);
    assert.equal(WritePipeline.prototype.submit, rules.submit);
  });
});
