// Which shard owns which hash slots. Plain data travels (config, worker
// data, GET /shards); the lookup table is built where keys are routed.

import { SLOT_COUNT, formatSlotRanges, keySlot, type SlotRange } from './slots.js';

/** One shard's slot ranges, as plain data. */
export interface ShardSlots {
  id: string;
  slots: SlotRange[];
}

/** What is wrong with a slot assignment: overlaps and unowned slots, one line each (empty when sound). */
export function slotProblems(shards: readonly ShardSlots[]): string[] {
  const owner = new Array<string | undefined>(SLOT_COUNT);
  const problems: string[] = [];
  for (const s of shards) {
    for (const [first, last] of s.slots) {
      for (let slot = first; slot <= last; slot++) {
        const other = owner[slot];
        if (other !== undefined) {
          problems.push(`shard ${s.id}: slot ${slot} is also owned by shard ${other}`);
          return problems;
        }
        owner[slot] = s.id;
      }
    }
  }
  const missing: SlotRange[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (owner[slot] !== undefined) continue;
    const last = missing[missing.length - 1];
    if (last && last[1] === slot - 1) missing[missing.length - 1] = [last[0], slot];
    else missing.push([slot, slot]);
  }
  if (missing.length > 0) problems.push(`slots ${formatSlotRanges(missing)} belong to no shard (every one of 0-${SLOT_COUNT - 1} needs an owner)`);
  return problems;
}

export class SlotMap {
  readonly shards: readonly ShardSlots[];
  /** slot -> index into `shards`. */
  readonly #owner: Uint16Array;

  constructor(shards: readonly ShardSlots[]) {
    const problems = slotProblems(shards);
    if (problems.length > 0) throw new Error(`bad slot map: ${problems.join('; ')}`);
    this.shards = shards;
    this.#owner = new Uint16Array(SLOT_COUNT);
    shards.forEach((s, i) => {
      for (const [first, last] of s.slots) this.#owner.fill(i, first, last + 1);
    });
  }

  /** Index (into `shards`) of the shard that owns a slot. */
  indexOfSlot(slot: number): number {
    return this.#owner[slot]!;
  }

  indexOfKey(key: string): number {
    return this.#owner[keySlot(key)]!;
  }

  shardOfKey(key: string): ShardSlots {
    return this.shards[this.indexOfKey(key)]!;
  }
}

/** What a node of a sharded cluster knows of the layout: its own shard and every shard's slots. */
export interface ShardAssignment {
  shard: string;
  shards: ShardSlots[];
}
