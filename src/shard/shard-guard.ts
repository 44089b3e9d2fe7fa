// A node of a sharded cluster serves only the keys of its shard's slots: a
// misrouted key is refused (never stored, never read) with an error naming
// the shard that owns it. The node takes it as its KeyGuard (node/deps.ts);
// the startup wiring (start/run-node.ts) builds it from the node's shard.

import { SlotMap, type ShardAssignment } from '../common/slot-map.js';
import { formatSlotRanges, keySlot } from '../common/slots.js';
import type { KeyGuard } from '../node/deps.js';
import { wrongShard } from '../common/errors.js';
import type { KvCommand } from '../node/kv-state.js';
import { txnKeys } from '../node/txn.js';
import { typedKeys } from '../node/types/registry.js';

/** Every key a command touches. */
export function commandKeys(cmd: KvCommand): string[] {
  switch (cmd.op) {
    case 'set':
      return cmd.kv.map(([k]) => k);
    case 'del':
    case 'reap':
      return cmd.keys;
    case 'set1':
    case 'cas':
    case 'incr':
    case 'append':
    case 'expire':
    case 'persist':
    case 'getex':
    case 'get':
      return [cmd.key];
    case 'txn':
      return txnKeys(cmd, commandKeys);
    case 'batch':
      return cmd.cmds.flatMap(commandKeys);
    case 'typed':
      return typedKeys(cmd);
    default: {
      // A new command kind must say which keys it touches, or misrouted keys would slip through.
      const unknown: never = cmd;
      throw new Error(`commandKeys: unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

export class ShardGuard implements KeyGuard {
  readonly #nodeId: string;
  readonly #map: SlotMap;
  readonly #mine: number;

  constructor(nodeId: string, assignment: ShardAssignment) {
    this.#nodeId = nodeId;
    this.#map = new SlotMap(assignment.shards);
    this.#mine = assignment.shards.findIndex((s) => s.id === assignment.shard);
    if (this.#mine < 0) throw new Error(`shard ${assignment.shard} is not in the slot map`);
  }

  get shard(): string {
    return this.#map.shards[this.#mine]!.id;
  }

  /** Throws RAFTKV_ERR_WRONG_SHARD for the first key of `cmd` another shard owns. */
  checkCommand(cmd: KvCommand): void {
    this.check(commandKeys(cmd));
  }

  /** Throws RAFTKV_ERR_WRONG_SHARD for the first key another shard owns. */
  check(keys: Iterable<string>): void {
    for (const key of keys) {
      const slot = keySlot(key);
      const owner = this.#map.indexOfSlot(slot);
      if (owner === this.#mine) continue;
      const s = this.#map.shards[owner]!;
      throw wrongShard(
        `key ${JSON.stringify(key.length > 64 ? key.slice(0, 64) + '...' : key)} hashes to slot ${slot}, owned by shard ${s.id} (slots ${formatSlotRanges(s.slots)}); ` +
          `${this.#nodeId} serves shard ${this.shard}: send it to shard ${s.id} (or through the router)`,
        { shard: s.id, slot },
      );
    }
  }
}
