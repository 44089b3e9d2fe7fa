// Every size and count a node accepts from outside, in one place, with the
// defaults the config falls back to. A request past a limit gets a clear
// error naming the limit; it never stops the node.

export interface Limits {
  /** Bytes of one key (Redis allows 512 MB; etcd's whole request is 1.5 MiB). */
  maxKeyBytes: number;
  /** Bytes of one value, also the largest result of APPEND. */
  maxValueBytes: number;
  /** Arguments of one RESP command (Redis: 1,048,576). */
  maxArgs: number;
  /** Bytes of one RESP command, all its arguments together. */
  maxCommandBytes: number;
  /** Bytes of one inline (telnet-style) RESP command line (Redis: 64 KiB). */
  maxInlineBytes: number;
  /** Bytes of replies one RESP connection may have built and not yet sent; the reply that crosses it is an error. */
  maxReplyBytes: number;
  /** Bytes of one frame on the peer port. */
  maxPeerFrameBytes: number;
  /** Bytes of one snapshot chunk a leader sends. */
  snapshotChunkBytes: number;
  /** Bytes of a whole snapshot a follower accepts. */
  maxSnapshotBytes: number;
  /** Open connections per listener (HTTP, RESP, peer); the next one is closed at once. */
  maxConnections: number;
  /** A RESP connection that sends nothing for this long is closed (0: never, as Redis's `timeout 0`). */
  idleTimeoutMs: number;
  /** A peer connection that has not introduced itself (hello) within this long is closed. */
  helloTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxKeyBytes: 64 * 1024,
  maxValueBytes: 1 << 20,
  maxArgs: 65_536,
  maxCommandBytes: 8 << 20,
  maxInlineBytes: 64 * 1024,
  maxReplyBytes: 64 << 20,
  maxPeerFrameBytes: 64 << 20,
  snapshotChunkBytes: 1 << 20,
  maxSnapshotBytes: 8 * 1024 ** 3,
  maxConnections: 10_000,
  idleTimeoutMs: 300_000,
  helloTimeoutMs: 5_000,
});

/** The defaults with some limits replaced. */
export function limitsWith(overrides: Partial<Limits> = {}): Limits {
  return { ...DEFAULT_LIMITS, ...overrides };
}
