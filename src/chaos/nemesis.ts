// The nemesis: kills, restarts, pauses, partitions and degrades nodes at
// random, one fault at a time and always followed by a full heal, so a
// majority is whole again every few seconds. Each kill of the leader is
// timed: from the kill to the first write that succeeds anywhere.

import { performance } from 'node:perf_hooks';
import type { Launcher } from '../cluster/launcher.js';
import type { SeededRand } from '../raft/rand.js';
import { PLAIN_HTTP, type ChaosHttp } from './http-client.js';
import type { FaultEvent, TimelineRecorder } from './timeline.js';
import { sleep } from '../kit/wait.js';
import { firstSuccess } from '../kit/probe.js';

/** Faults the nemesis injects one at a time, each healed before the next. */
export type SerialFault = 'kill' | 'pause' | 'partition' | 'oneway' | 'degrade';
export const SERIAL_FAULTS: readonly SerialFault[] = ['kill', 'pause', 'partition', 'oneway', 'degrade'];
/** 'hostile' runs alongside the others for the whole run (hostile-nemesis.ts). */
export type FaultKind = SerialFault | 'hostile';
export const FAULT_KINDS: readonly FaultKind[] = [...SERIAL_FAULTS, 'hostile'];

export interface NemesisLog {
  counts: Record<SerialFault, number>;
  leaderKills: number;
  /** Milliseconds from a leader's kill to the first successful write. */
  failoversMs: number[];
  /** Leader kills after which no write succeeded within the probe's bound. */
  failoverTimeouts: number;
  errors: string[];
}

export const newNemesisLog = (): NemesisLog => ({
  counts: { kill: 0, pause: 0, partition: 0, oneway: 0, degrade: 0 },
  leaderKills: 0,
  failoversMs: [],
  failoverTimeouts: 0,
  errors: [],
});

const between = (rand: SeededRand, lo: number, hi: number): number => lo + rand.next() * (hi - lo);

/** Where the failover probe writes after `killed` died: base URLs, how to call them, and the n-th probe key. */
export type ProbeTarget = (killed: string) => { urls: string[]; http: ChaosHttp; key: (n: number) => string };

/** The default probe: every other node, directly (plain http unless told). */
export const directProbe =
  (launcher: Launcher, http: ChaosHttp = PLAIN_HTTP): ProbeTarget =>
  (killed) => ({
    urls: launcher.ids.filter((id) => id !== killed).map((id) => http.base(launcher.entry(id).http)),
    http,
    key: (n) => `__failover-probe-${killed}-${n}`,
  });

export interface NemesisOptions {
  launcher: Launcher;
  rand: SeededRand;
  faults: readonly FaultKind[];
  /** Nodes this nemesis has killed and not yet restarted (the hostile nemesis must not count them as failures). */
  down?: Set<string>;
  /** Where failover probes go (default: straight to the surviving nodes). */
  probe?: ProbeTarget;
  until: number;
  log: NemesisLog;
  onEvent: (line: string) => void;
  /** Where each fault's start and heal are recorded, for the report page. */
  timeline?: TimelineRecorder;
}

export async function runNemesis(o: NemesisOptions): Promise<void> {
  const { launcher, rand } = o;
  const faults = o.faults.filter((f): f is SerialFault => f !== 'hostile');
  while (Date.now() < o.until) {
    await sleep(between(rand, 500, 1500));
    if (Date.now() >= o.until) break;
    if (faults.length === 0) continue;
    const kind = faults[rand.int(faults.length)]!;
    const leader = await launcher.leader();
    const ids = launcher.ids;
    const victim = leader && rand.chance(0.5) ? leader : ids[rand.int(ids.length)]!;
    const hold = between(rand, 500, 3000);
    o.log.counts[kind]++;
    let ev: FaultEvent | undefined;
    try {
      switch (kind) {
        case 'kill': {
          const wasLeader = victim === leader;
          o.onEvent(`kill ${victim}${wasLeader ? ' (leader)' : ''}`);
          ev = o.timeline?.fault('kill', victim, wasLeader ? 'leader' : '');
          o.down?.add(victim);
          try {
            const started = await timedKill(o, victim, wasLeader, (ms) => {
              o.onEvent(`failover ${ms.toFixed(0)} ms`);
              if (ev) ev.failoverMs = Math.round(ms);
            });
            await sleep(Math.max(0, hold - (performance.now() - started)));
            await restart(launcher, victim);
          } finally {
            o.down?.delete(victim);
          }
          break;
        }
        case 'pause':
          o.onEvent(`pause ${victim}`);
          ev = o.timeline?.fault('pause', victim);
          launcher.pauseNode(victim);
          await sleep(hold);
          launcher.resumeNode(victim);
          break;
        case 'partition': {
          // A minority of one (often the leader) against the rest.
          const rest = ids.filter((id) => id !== victim);
          o.onEvent(`partition ${victim} | ${rest.join(',')}`);
          ev = o.timeline?.fault('partition', victim, `${victim} | ${rest.join(',')}`);
          launcher.partition([[victim], rest]);
          await sleep(hold);
          launcher.heal();
          break;
        }
        case 'oneway': {
          // A link within the victim's Raft group (nodes of other shards share none).
          const others = ids.filter((id) => id !== victim && launcher.shardOf(id) === launcher.shardOf(victim));
          const to = others[rand.int(others.length)]!;
          o.onEvent(`cut ${victim}->${to}`);
          ev = o.timeline?.fault('oneway', victim, `${victim}->${to}`);
          launcher.cutOneWay(victim, to);
          await sleep(hold);
          launcher.heal();
          break;
        }
        case 'degrade': {
          const delay = rand.chance(0.5);
          const value = delay ? Math.round(between(rand, 5, 60)) : Math.round(between(rand, 5, 30));
          o.onEvent(delay ? `delay ${value} ms` : `loss ${value}%`);
          ev = o.timeline?.fault('degrade', 'all links', delay ? `delay ${value} ms` : `loss ${value}%`);
          launcher.degrade(delay ? 'delay' : 'loss', value);
          await sleep(hold);
          launcher.heal();
          break;
        }
      }
    } catch (e) {
      o.log.errors.push(`${kind} ${victim}: ${(e as Error).message}`);
      o.onEvent(`nemesis error: ${kind} ${victim}: ${(e as Error).message}`);
      if (ev) ev.error = (e as Error).message;
    } finally {
      if (ev) o.timeline!.end(ev);
    }
  }
}

/**
 * Kill `victim`; when it led, time the failover (kill -> first successful
 * write anywhere) into the log. Resolves once it is dead, with when the kill began.
 */
async function timedKill(o: Pick<NemesisOptions, 'launcher' | 'log' | 'probe'>, victim: string, wasLeader: boolean, onFailover?: (ms: number) => void): Promise<number> {
  const started = performance.now();
  const killed = o.launcher.killNode(victim);
  if (wasLeader) {
    o.log.leaderKills++;
    const ms = await probeFailover((o.probe ?? directProbe(o.launcher))(victim), started);
    if (ms === undefined) o.log.failoverTimeouts++;
    else {
      o.log.failoversMs.push(ms);
      onFailover?.(ms);
    }
  }
  await killed;
  return started;
}

/** Start a dead node again, retrying a few times (its ports may take a moment to free). */
export async function restart(launcher: Launcher, id: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    if (launcher.stateOf(id) !== 'dead') return;
    try {
      await launcher.startNode(id);
      return;
    } catch (e) {
      if (attempt >= 5) throw e;
      await sleep(200 * attempt);
    }
  }
}

/**
 * Every 10 ms, a write to the probe target (by default the nodes other than
 * the killed one, in turn; through a router, a key of the killed node's
 * shard), each bounded to 2 s; the failover time is when the first succeeds.
 */
async function probeFailover(target: ReturnType<ProbeTarget>, started: number, boundMs = 10_000): Promise<number | undefined> {
  const { urls } = target;
  const write = async (n: number): Promise<true | string> => {
    const r = await target.http.call('POST', `${urls[n % urls.length]!}/key`, { [target.key(n)]: 'x' }, 2000);
    return 'answer' in r ? r.answer.status === 200 || `HTTP ${r.answer.status}` : r.failure;
  };
  return (await firstSuccess(write, { started, boundMs, everyMs: 10, overlap: true })).ms;
}

/**
 * `cycles` kills of random nodes (the leader among them), each restarted at
 * once from its data directory; between cycles, wait (bounded) for a leader
 * so that the load keeps being served.
 */
export async function runKillCycles(o: Omit<NemesisOptions, 'faults' | 'until'> & { cycles: number; until: number }): Promise<number> {
  const { launcher, rand } = o;
  let done = 0;
  for (; done < o.cycles && Date.now() < o.until; done++) {
    const leader = await launcher.leader();
    const ids = launcher.ids;
    const victim = leader && rand.chance(1 / ids.length) ? leader : ids[rand.int(ids.length)]!;
    o.log.counts.kill++;
    o.down?.add(victim);
    const ev = o.timeline?.fault('kill', victim, victim === leader ? 'leader' : '');
    try {
      await timedKill(o, victim, victim === leader, (ms) => {
        if (ev) ev.failoverMs = Math.round(ms);
      });
      await restart(launcher, victim);
      o.down?.delete(victim);
      if ((done + 1) % 10 === 0) o.onEvent(`kill/restart cycle ${done + 1}/${o.cycles}`);
    } catch (e) {
      o.log.errors.push(`cycle ${done + 1} (${victim}): ${(e as Error).message}`);
      o.onEvent(`cycle ${done + 1} error: ${(e as Error).message}`);
      if (ev) ev.error = (e as Error).message;
    } finally {
      if (ev) o.timeline!.end(ev);
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(await launcher.leader())) await sleep(20);
  }
  return done;
}
