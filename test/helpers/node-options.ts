// The options of a RaftNode that a test runs over in-memory seams: fast
// ticks, a quiet logger, and addresses that are never dialled (the in-memory
// networks find peers by id).

import type { NodeOptions } from '../../src/node/raft-node.js';
import type { Logger } from '../../src/common/logger.js';
import type { MemberAddrs } from '../../src/node/types.js';

export const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export const addrs = (id: string): MemberAddrs => ({ raft: `${id}:raft`, http: `${id}:http` });

/** Node `id` of a new cluster founded by `founders`, ticking every 10 ms. */
export function nodeOptions(id: string, founders: readonly string[], clusterToken: string): NodeOptions {
  return {
    id,
    addrs: addrs(id),
    clusterToken,
    founders: Object.fromEntries(founders.map((f) => [f, addrs(f)])),
    tickMs: 10,
    heartbeatTicks: 1,
    electionTicks: [10, 20],
    snapshotEvery: 1000,
    logger: quiet,
  };
}
