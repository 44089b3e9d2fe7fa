// Each mutant breaks one Raft rule; the simulator must catch every one of
// them within a bounded number of seeds, and the correct core must pass the
// very same runs (same seeds, same faults, same settings).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawNode } from '../../src/raft/index.js';
import { Raft } from '../../src/raft/raft.js';
import { MUTANTS } from './mutants.js';
import { formatFailure, runSeed } from './run.js';

/** A mutant must be caught by one of the first MAX_SEEDS seeds. */
const MAX_SEEDS = 50;

describe('mutants', () => {
  for (const mutant of MUTANTS) {
    it(`catches ${mutant.name}: ${mutant.description}`, async (t) => {
      let caught: Awaited<ReturnType<typeof runSeed>> | undefined;
      for (let seed = 1; seed <= MAX_SEEDS && !caught; seed++) {
        const r = await runSeed({ seed, nodes: 3, mutant: mutant.name, checkTimeoutMs: 5_000 });
        if (r.violations.length > 0) caught = r;
      }
      assert.ok(caught, `${mutant.name} survived seeds 1..${MAX_SEEDS}`);
      t.diagnostic(`caught at seed ${caught.seed}: ${caught.violations[0]!.split('\n')[0]}`);
      for (let seed = 1; seed <= caught.seed; seed++) {
        const control = await runSeed({ seed, nodes: 3, mutant: mutant.name, unmutated: true, checkTimeoutMs: 5_000 });
        assert.deepEqual(control.violations, [], `the correct core fails ${mutant.name}'s seed ${seed}:\n${formatFailure(control)}`);
      }
    });
  }

  it('restores the core after each mutant run', async () => {
    const rules = {
      canCommitAt: Raft.prototype.canCommitAt,
      canGrantVote: Raft.prototype.canGrantVote,
      hardState: Raft.prototype.hardState,
      readIndexAllowed: Raft.prototype.readIndexAllowed,
      sendsBeforePersist: RawNode.prototype.sendsBeforePersist,
    };
    for (const m of MUTANTS) await runSeed({ seed: 1, nodes: 3, mutant: m.name, ticks: 50 });
    assert.equal(Raft.prototype.canCommitAt, rules.canCommitAt);
    assert.equal(Raft.prototype.canGrantVote, rules.canGrantVote);
    assert.equal(Raft.prototype.hardState, rules.hardState);
    assert.equal(Raft.prototype.readIndexAllowed, rules.readIndexAllowed);
    assert.equal(RawNode.prototype.sendsBeforePersist, rules.sendsBeforePersist);
  });
});
