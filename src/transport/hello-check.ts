// Who may talk to this node on the peer port: a member of this cluster (its
// hello carries our cluster id and a proof only the token's holders can
// make) that is one of this node's peers. Anyone else is refused before a
// single message of theirs is read.

import { helloProof, sameSecret, type ClusterIdentity } from '../common/cluster-identity.js';
import type { NodeId } from '../raft/types.js';
import type { Hello } from './codec.js';

export interface HelloPolicy {
  self: NodeId;
  identity: ClusterIdentity;
  /** Whether `id` is one of this node's peers now (the transport's peer map). */
  isPeer: (id: NodeId) => boolean;
}

/** Why a hello is refused, or undefined when its sender may connect. */
export function refuseHello(hello: Hello, policy: HelloPolicy): string | undefined {
  // Cluster first: the common mistake (a node pointed at another cluster) gets the clearest reason.
  if (hello.clusterId !== policy.identity.id) return `another cluster (${clip(hello.clusterId)}; this is ${policy.identity.id})`;
  if (!sameSecret(hello.proof, helloProof(policy.identity, hello.id))) return `wrong proof for node ${clip(hello.id)}`;
  if (hello.id === policy.self) return 'it claims to be this node';
  if (!policy.isPeer(hello.id)) return `node ${clip(hello.id)} is not a peer of this node`;
  return undefined;
}

/** Claimed names go into logs: keep them short. */
function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
}
