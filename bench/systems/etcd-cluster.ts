// A 3-member etcd cluster on loopback free ports, each member with its own
// data directory; reached through its HTTP/JSON gateway (/v3/...).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Child, ChildProcesses } from './child-processes.js';
import { tailOf, type Endpoint, type Topology } from './endpoint.js';
import { failureOf, InternalClient } from '../../src/node/internal-client.js';
import { firstSuccess } from '../../src/kit/probe.js';
import { sleep } from '../../src/kit/wait.js';
import { freePorts } from '../../src/kit/ports.js';

export interface EtcdStartOptions {
  binary: string;
  procs: ChildProcesses;
  dir: string;
  members?: number;
  startTimeoutMs?: number;
}

interface Member {
  name: string;
  client: Endpoint;
  child: Child;
}

interface MemberStatus {
  memberId: string;
  leader: string;
  term: number;
}

/** etcd's HTTP/JSON gateway, plain http; each call bounded. */
const ETCD = new InternalClient({ timeoutMs: 2000 });

/** 8 GiB: the 1M-key loads of the harness must never hit etcd's default 2 GiB space alarm. */
const QUOTA_BACKEND_BYTES = 8 * 1024 * 1024 * 1024;

export class EtcdCluster {
  readonly members: Member[];
  readonly firstWriteMs: number;
  readonly #procs: ChildProcesses;

  private constructor(members: Member[], firstWriteMs: number, procs: ChildProcesses) {
    this.members = members;
    this.firstWriteMs = firstWriteMs;
    this.#procs = procs;
  }

  static async start(o: EtcdStartOptions): Promise<EtcdCluster> {
    const n = o.members ?? 3;
    const ports = await freePorts(n * 2);
    const names = Array.from({ length: n }, (_, i) => `etcd${i}`);
    const peer = (i: number): string => `http://127.0.0.1:${ports[i * 2 + 1]}`;
    const initial = names.map((name, i) => `${name}=${peer(i)}`).join(',');
    const started = performance.now();
    const members: Member[] = [];
    try {
      for (const [i, name] of names.entries()) {
        const data = path.join(o.dir, name);
        mkdirSync(data, { recursive: true });
        const client = `http://127.0.0.1:${ports[i * 2]}`;
        const child = o.procs.spawn(name, o.binary, [
          '--name', name,
          '--data-dir', data,
          '--listen-client-urls', client,
          '--advertise-client-urls', client,
          '--listen-peer-urls', peer(i),
          '--initial-advertise-peer-urls', peer(i),
          '--initial-cluster', initial,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', 'raftkv-bench',
          '--quota-backend-bytes', String(QUOTA_BACKEND_BYTES),
          '--logger', 'zap',
          '--log-level', 'warn',
        ], path.join(o.dir, `${name}.log`));
        members.push({ name, client: { id: name, host: '127.0.0.1', port: ports[i * 2]! }, child });
      }
      const cluster = new EtcdCluster(members, 0, o.procs);
      const firstWriteMs = await cluster.#firstWrite(started, o.startTimeoutMs ?? 60_000);
      return new EtcdCluster(members, firstWriteMs, o.procs);
    } catch (e) {
      await Promise.all(members.map((m) => o.procs.stop(m.child)));
      const logs = await Promise.all(members.map(async (m) => `--- ${m.child.logFile}\n${await tailOf(m.child.logFile, 8)}`));
      throw new Error(`${(e as Error).message}\n${logs.join('\n')}`);
    }
  }

  async #firstWrite(started: number, timeoutMs: number): Promise<number> {
    const body = JSON.stringify({ key: Buffer.from('bench-first-write').toString('base64'), value: Buffer.from('1').toString('base64') });
    const write = (): Promise<true | string> => ETCD.request('POST', this.#url(this.members[0]!, '/v3/kv/put'), { rawBody: body }).then((a) => a.ok || `HTTP ${a.status}`, failureOf);
    const exited = (): string | undefined => (this.members.some((m) => m.child.process.exitCode !== null) ? 'an etcd member exited during start-up' : undefined);
    const r = await firstSuccess(write, { started, boundMs: timeoutMs, everyMs: 5, abort: exited });
    if (r.ms === undefined) throw new Error(`no etcd write succeeded within ${timeoutMs} ms (last: ${r.last})`);
    return r.ms;
  }

  #url(m: Member, p: string): string {
    return `http://${m.client.host}:${m.client.port}${p}`;
  }

  async #status(m: Member): Promise<MemberStatus | undefined> {
    const a = await ETCD.request('POST', this.#url(m, '/v3/maintenance/status'), { rawBody: '{}' }).catch(() => undefined);
    if (!a?.ok) return undefined;
    const s = (a.json ?? {}) as { header?: { member_id?: string; raft_term?: string }; leader?: string; raftTerm?: string };
    return { memberId: String(s.header?.member_id ?? ''), leader: String(s.leader ?? ''), term: Number(s.raftTerm ?? s.header?.raft_term ?? 0) };
  }

  /** The leader (by member id) and term as the members see it; undefined while they disagree. */
  async leaderTerm(): Promise<{ leader: string; term: number } | undefined> {
    const all = await Promise.all(this.members.map((m) => this.#status(m)));
    const live = all.filter((s): s is MemberStatus => s !== undefined);
    const first = live[0];
    if (!first || first.leader === '0' || !live.every((s) => s.leader === first.leader)) return undefined;
    const leaderName = this.members[all.findIndex((s) => s?.memberId === first.leader)]?.name ?? first.leader;
    return { leader: leaderName, term: Math.max(...live.map((s) => s.term)) };
  }

  async topology(timeoutMs = 15_000): Promise<Topology> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const all = await Promise.all(this.members.map((m) => this.#status(m)));
      const leaderId = all.find((s) => s && s.leader !== '0')?.leader;
      const li = all.findIndex((s) => s?.memberId === leaderId);
      if (li >= 0) {
        const follower = this.members.find((_, i) => i !== li && all[i] !== undefined);
        return { leader: this.members[li]!.client, follower: follower?.client };
      }
      await sleep(50);
    }
    throw new Error(`the etcd cluster has no leader after ${timeoutMs} ms`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.#procs.stop(m.child)));
  }
}
