// Single-server membership changes: one voter or learner at a time, so any
// two consecutive configurations share a majority (Raft thesis §4.1).

import { ConfChangeType, type ConfChange, type ConfState, type NodeId } from './types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const cc = JSON.parse(decoder.decode(data)) as ConfChange;
  if (!Object.values(ConfChangeType).includes(cc.type) || typeof cc.node !== 'string' || cc.node === '') {
    throw new Error(`malformed conf change: ${decoder.decode(data)}`);
  }
  return cc;
}

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], removed: [] };
}

/** Why `cc` cannot be applied to `cs`, or undefined when it can. */
export function validateConfChange(cs: ConfState, cc: ConfChange): string | undefined {
  const isVoter = cs.voters.includes(cc.node);
  const isLearner = cs.learners.includes(cc.node);
  if (cs.removed.includes(cc.node)) return `node id ${cc.node} was removed and cannot be reused`;
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      if (isVoter) return `${cc.node} is already a voter`;
      if (isLearner) return `${cc.node} is a learner; promote it instead`;
      return undefined;
    case ConfChangeType.AddLearner:
      if (isVoter || isLearner) return `${cc.node} is already a member`;
      return undefined;
    case ConfChangeType.PromoteLearner:
      if (!isLearner) return `${cc.node} is not a learner`;
      return undefined;
    case ConfChangeType.Remove:
      if (!isVoter && !isLearner) return `${cc.node} is not a member`;
      if (isVoter && cs.voters.length === 1) return `cannot remove the last voter`;
      return undefined;
  }
}

/**
 * The configuration after `cc`. Entries are validated when proposed, but a
 * committed change is applied even if it became a no-op (for example a
 * duplicate join), so every node reaches the same configuration.
 */
export function applyConfChange(cs: ConfState, cc: ConfChange): ConfState {
  const without = (ids: NodeId[]): NodeId[] => ids.filter((id) => id !== cc.node);
  if (cs.removed.includes(cc.node)) return cs;
  switch (cc.type) {
    case ConfChangeType.AddVoter:
    case ConfChangeType.PromoteLearner:
      return { voters: sorted([...without(cs.voters), cc.node]), learners: without(cs.learners), removed: cs.removed };
    case ConfChangeType.AddLearner:
      if (cs.voters.includes(cc.node)) return cs;
      return { voters: cs.voters, learners: sorted([...without(cs.learners), cc.node]), removed: cs.removed };
    case ConfChangeType.Remove:
      if (!cs.voters.includes(cc.node) && !cs.learners.includes(cc.node)) return cs;
      return { voters: without(cs.voters), learners: without(cs.learners), removed: sorted([...cs.removed, cc.node]) };
  }
}

function sorted(ids: NodeId[]): NodeId[] {
  return ids.sort();
}
