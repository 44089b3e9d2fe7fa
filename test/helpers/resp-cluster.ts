// One 3-node cluster for the tests of a describe block, with RESP clients
// that are closed after them.

import { after, before } from 'node:test';
import { RespTestClient } from './resp-client.js';
import { TestCluster, type TestClusterOptions } from './test-cluster.js';

export interface RespCluster {
  c: TestCluster;
  /** The leader and one follower when the cluster came up. */
  leader: string;
  follower: string;
  /** A RESP connection to node `id`, closed after the tests. */
  resp(id: string): Promise<RespTestClient>;
}

/** Call inside describe(): the cluster starts before its tests and stops after them. */
export function useRespCluster(opts: TestClusterOptions = {}): RespCluster {
  const clients: RespTestClient[] = [];
  const h = {
    async resp(id: string): Promise<RespTestClient> {
      const cl = await RespTestClient.connect(h.c.respPort(id));
      clients.push(cl);
      return cl;
    },
  } as RespCluster;
  before(async () => {
    h.c = await TestCluster.start(opts);
    h.leader = await h.c.waitForLeader();
    h.follower = h.c.followers(h.leader)[0]!;
  });
  after(async () => {
    for (const cl of clients) cl.close();
    await h.c?.stop();
  });
  return h;
}
