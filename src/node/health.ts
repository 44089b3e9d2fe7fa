// Health in etcd's spirit: a node is healthy when it knows a leader and its
// state machine keeps up with the commit index. GET /health answers it (503
// with the reason when not), RESP INFO shows the same facts.

import type { NodeStatus } from './types.js';

export interface Health {
  ok: boolean;
  /** Why not, when not ok. */
  reason?: string;
  leader: string;
  commit: number;
  applied: number;
  /** commit - applied. */
  applyLag: number;
  maxApplyLag: number;
}

export function healthOf(st: NodeStatus, maxApplyLag: number): Health {
  const applyLag = Math.max(0, st.commit - st.applied);
  const base = { leader: st.leader, commit: st.commit, applied: st.applied, applyLag, maxApplyLag };
  const reason =
    st.failed !== undefined
      ? `the node failed: ${st.failed}`
      : st.paused
        ? 'the node is paused'
        : st.leader === ''
          ? `no leader known at term ${st.term} (role ${st.role})`
          : applyLag > maxApplyLag
            ? `the applied index ${st.applied} is ${applyLag} behind the commit index ${st.commit} (at most ${maxApplyLag} allowed)`
            : undefined;
  return reason === undefined ? { ok: true, ...base } : { ok: false, reason, ...base };
}
