// One key's change, as the state machine makes it, the store keeps it and a
// watch reports it: defined once, below both the node and the storage.

/** One key's new value; `null` deletes it. */
export interface KvWrite {
  key: string;
  value: string | null;
  /** The revision (log index) of the write; absent for the state machine's own records (the store keeps 0). */
  rev?: number;
  /** A deletion because the key's deadline passed (a watch reports it as `expire`). */
  expired?: boolean;
  /** Redis's name for a change of a hash, list, set or sorted set (its head row's put): hset, lpush... (node/types/events.ts). */
  event?: string;
}
