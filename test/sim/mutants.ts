// Deliberately broken Raft rules, to prove the simulator's checkers catch
// them. A mutant patches a rule method on the prototypes of the core, or of
// the node's write pipeline (the runtime-* mutants), inside this thread only,
// and gives back the function that restores it; src/ has no flag for any of
// this. Each names the checker that guards its rule: a mutant must be caught
// by that checker, not merely by some violation.

import { EntryKind, MessageType, RawNode, type Entry, type HardState, type Message, type Ready } from '../../src/raft/index.js';
import { Raft } from '../../src/raft/raft.js';
import { decodeEnvelope, type KvCommand, type KvResult } from '../../src/node/kv-state.js';
import { WritePipeline } from '../../src/node/write-pipeline.js';
import type { FaultProfile } from './nemesis.js';
import type { SimOptions } from './simulator.js';

export interface Mutant {
  name: string;
  description: string;
  /** Break the rule; returns the function that restores it. */
  apply(): () => void;
  /** Faults that make this bug show up sooner (merged over the defaults). */
  faults?: Partial<FaultProfile>;
  /** Core settings that make it show up sooner. */
  core?: SimOptions['core'];
  /** The fault mix its runs use (else drawn from the seed). */
  mix?: string;
  /** Length of the fault phase for this mutant's runs, when not given. */
  ticks?: number;
  /** Applied entries between snapshots, instead of the seed's draw. */
  snapshotEvery?: number;
  /** The checker that guards the broken rule: the first violation must be its. */
  caughtBy: RegExp;
}

function patch<P extends object, K extends keyof P>(proto: P, key: K, make: (original: P[K]) => P[K]): () => void {
  const original = proto[key];
  if (typeof original !== 'function') throw new Error(`mutant: ${String(key)} is not a method of the core`);
  proto[key] = make(original);
  return () => {
    proto[key] = original;
  };
}

export const MUTANTS: readonly Mutant[] = [
  {
    name: 'commit-previous-term',
    description: 'a leader commits entries of earlier terms by counting replicas (no §5.4.2 rule)',
    apply: () => patch(Raft.prototype, 'canCommitAt', () => () => true),
    // Figure 8 of the paper needs leaders cut off right after they took writes,
    // and a new leader that sends its predecessors' entries one per message.
    faults: {
      partitionChance: 0.2,
      partitionTicks: [2, 15],
      partitionKinds: ['isolated'],
      leaderBias: 1,
      crashChance: 0.06,
      downTicks: [1, 15],
      bounceChance: 0,
      pauseChance: 0,
      weatherChance: 0.05,
    },
    core: { maxMsgEntries: 1, preVote: false, checkQuorum: false },
    mix: 'balanced',
    ticks: 1000,
    caughtBy: /^(commit safety|leader completeness|state machine safety)/,
  },
  {
    name: 'double-vote',
    description: 'a node grants its vote to every candidate of a term (no one-vote-per-term rule)',
    apply: () => patch(Raft.prototype, 'canGrantVote', () => (_m: Message) => true),
    caughtBy: /^(one vote per term|election safety)/,
  },
  {
    name: 'forget-vote',
    description: 'the vote is never persisted (hard state always carries no vote), so a restart forgets it',
    apply: () =>
      patch(Raft.prototype, 'hardState', (original) =>
        function (this: Raft): HardState {
          return { ...original.call(this), vote: '' };
        },
      ),
    // Quick restarts in the middle of elections, and campaigns without a pre-vote.
    faults: { bounceChance: 0.05, crashChance: 0.03, downTicks: [0.5, 10], persistTicks: [0, 0.5] },
    core: { preVote: false },
    caughtBy: /^(one vote per term|election safety)/,
  },
  {
    name: 'ack-before-persist',
    description: 'a follower acknowledges appended entries before they are durable',
    apply: () =>
      patch(RawNode.prototype, 'sendsBeforePersist', (original) =>
        function (this: RawNode, m: Message): boolean {
          return m.type === MessageType.AppResp || original.call(this, m);
        },
      ),
    caughtBy: /^commit safety/,
  },
  {
    name: 'early-read-index',
    description: 'a new leader serves ReadIndex before committing an entry of its own term',
    apply: () => patch(Raft.prototype, 'readIndexAllowed', () => () => true),
    faults: { transferChance: 0.04 },
    caughtBy: /^read safety/,
  },
  {
    name: 'runtime-send-before-persist',
    description: "the node's write pipeline sends votes and append acks as soon as it takes a ready, before the write they must follow is durable",
    apply: () => {
      const early = patch(WritePipeline.prototype, 'sendNow', () => (rd: Ready): readonly Message[] => [...rd.messages, ...rd.persistedMessages]);
      const none = patch(WritePipeline.prototype, 'sendWhenDurable', () => (): readonly Message[] => []);
      return () => {
        none();
        early();
      };
    },
    caughtBy: /^(commit safety|one vote per term)/,
  },
  {
    name: 'runtime-apply-before-commit',
    description: "the node's write pipeline applies a ready's entries once they are on its own disk, committed or not",
    apply: () =>
      patch(WritePipeline.prototype, 'toApply', () => (rd: Ready): readonly Entry[] => {
        const last = rd.committed.at(-1)?.index ?? 0;
        return [...rd.committed, ...rd.entries.filter((e) => e.index > last)];
      }),
    // No snapshots: the node's own check (a snapshot beyond what the core applied)
    // would stop it before two nodes apply different entries at one index.
    snapshotEvery: 1_000_000,
    caughtBy: /^(state machine safety|leader completeness)/,
  },
  {
    name: 'runtime-ack-before-apply',
    description: "the node's write pipeline answers a client as soon as its command is in the leader's log, before it is committed and applied",
    apply: () =>
      patch(WritePipeline.prototype, 'submit', (original) =>
        function (this: WritePipeline<KvResult | undefined>, rd: Ready): void {
          original.call(this, rd);
          this.answer(rd.entries.filter((e) => e.kind === EntryKind.Normal).map((entry) => ({ entry, result: optimisticResult(decodeEnvelope(entry.data).cmd) })));
        },
      ),
    caughtBy: /^linearizability/,
  },
];

/** What a command answers when it succeeds, guessed without applying it (runtime-ack-before-apply). */
function optimisticResult(cmd: KvCommand): KvResult {
  switch (cmd.op) {
    case 'cas':
      return { ok: true, swapped: true, value: cmd.expect };
    case 'del':
      return { ok: true, count: cmd.keys.length };
    default:
      return { ok: true };
  }
}

export function findMutant(name: string): Mutant {
  const m = MUTANTS.find((x) => x.name === name);
  if (!m) throw new Error(`unknown mutant "${name}"; known: ${MUTANTS.map((x) => x.name).join(', ')}`);
  return m;
}
