// INFO: Redis's sections, with the Raft state in "replication".

import { takesWrites } from '../api/front.js';
import type { CommandContext } from './command.js';
import { splitHostPort } from '../common/address.js';

const SECTIONS = ['server', 'clients', 'persistence', 'replication', 'health', 'keyspace'] as const;
type Section = (typeof SECTIONS)[number];

export function infoText(ctx: CommandContext, wanted: string[]): string {
  const all = wanted.length === 0 || wanted.some((w) => w === 'all' || w === 'everything' || w === 'default');
  const chosen = SECTIONS.filter((s) => all || wanted.includes(s));
  return chosen.map((s) => `# ${s[0]!.toUpperCase()}${s.slice(1)}\r\n${lines(section(s, ctx))}`).join('\r\n');
}

function lines(fields: [string, string | number][]): string {
  return fields.map(([k, v]) => `${k}:${v}\r\n`).join('');
}

function section(s: Section, ctx: CommandContext): [string, string | number][] {
  const { server } = ctx;
  const st = server.front.status();
  // The Raft facts are a node's: the router keeps no log, and says so by leaving them out.
  const raft = st.raft;
  switch (s) {
    case 'server':
      return [
        ['redis_version', '7.0.0'],
        ['raftkv_version', '0.1.0'],
        ['redis_mode', 'standalone'],
        ['os', `${process.platform} ${process.arch}`],
        ['process_id', process.pid],
        ['run_id', st.id],
        ['tcp_port', server.port],
        ['uptime_in_seconds', Math.floor((Date.now() - server.startedAt) / 1000)],
        ['node_id', st.id],
      ];
    case 'clients':
      return [['connected_clients', server.connectedClients()]];
    case 'persistence':
      return raft ? [['loading', 0], ['raft_snapshot_index', raft.snapshotIndex]] : [['loading', 0]];
    case 'replication': {
      const leaderResp = st.leader ? server.respOf(st.leader) : undefined;
      const fields: [string, string | number][] = [
        // Redis's words, for tools that only know them: the Raft leader (and the router, which takes every shard's writes) is the master.
        ['role', takesWrites(st) ? 'master' : 'slave'],
        ['raft_role', st.role],
        ['raft_leader', st.leader],
        ['raft_leader_resp', leaderResp ?? ''],
      ];
      if (!raft) return fields;
      fields.push(
        ['raft_term', raft.term],
        ['raft_commit_index', raft.commit],
        ['raft_applied_index', raft.applied],
        ['raft_last_index', raft.lastIndex],
        ['raft_voters', raft.voters.join(',')],
        ['raft_learners', raft.learners.join(',')],
      );
      if (st.role === 'leader') fields.push(['connected_slaves', raft.voters.length + raft.learners.length - 1]);
      else if (leaderResp) {
        const { host, port } = splitHostPort(leaderResp);
        fields.push(['master_host', host], ['master_port', port], ['master_link_status', st.leader ? 'up' : 'down']);
      }
      return fields;
    }
    case 'health': {
      // The facts of GET /health (health.ts); a server without a health check (the router) shows none.
      const h = server.front.extras?.health?.();
      if (!h) return [];
      return [
        ['raftkv_health', h.ok ? 'ok' : 'fail'],
        ['raftkv_health_reason', (h.reason ?? '').replace(/[\r\n]+/g, ' ')],
        ['raftkv_leader_known', h.leader ? 1 : 0],
        ['raftkv_apply_lag', h.applyLag],
        ['raftkv_max_apply_lag', h.maxApplyLag],
      ];
    }
    case 'keyspace':
      return st.keys > 0 ? [['db0', `keys=${st.keys},expires=0,avg_ttl=0`]] : [];
  }
}
