// A node behind the fronts: the front contract (api/front.ts) over a
// RaftNode, made once per node. Nothing here runs per request but the
// node's own calls: a read resolves to the node's state itself.

import type { Front } from '../api/front.js';
import type { RaftNode } from '../node/raft-node.js';

export function nodeFront(node: RaftNode): Front {
  return {
    propose: (cmd) => node.propose(cmd),
    read: (level, keys) => node.readBarrier(level, keys),
    status: () => {
      const st = node.status();
      return { id: st.id, role: st.role, leader: st.leader, leaderHttp: st.leaderHttp, members: st.members, keys: st.keys, raft: st };
    },
    admin: {
      join: (id, addrs) => node.join(id, addrs),
      remove: (id) => node.remove(id),
      transferLeadership: (to) => node.transferLeadership(to),
      proposeLocal: (env) => node.proposeLocal(env),
      httpOf: (id) => node.httpOf(id),
    },
    extras: {
      ...(node.requests ? { requests: node.requests } : {}),
      metricsText: () => node.metricsText(),
      health: () => node.health(),
      watch: node.watch,
      onPush: (fn) => {
        // The state of the moment: a snapshot restore replaces it, and a blocked client polls as well.
        const listeners = node.kv.keyspace.pushListeners;
        listeners.add(fn);
        return () => listeners.delete(fn);
      },
    },
  };
}
