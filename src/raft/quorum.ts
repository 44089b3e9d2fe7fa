// Majority arithmetic over a set of voters.

export type VoteResult = 'won' | 'lost' | 'pending';

export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The highest index that a majority of voters has matched. */
export function committedIndex(voters: readonly string[], matchOf: (id: string) => number): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1]!;
}

export function voteResult(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majority(voters.length);
  if (granted >= need) return 'won';
  if (voters.length - rejected < need) return 'lost';
  return 'pending';
}
