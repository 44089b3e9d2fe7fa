// The nemesis: once per tick during the fault phase it may start or heal a
// partition (symmetric split, split with a bridge node, one-way cuts, one
// node isolated, one node deaf or mute), crash a node (restarted later from
// its disk), bounce one (crash and quick restart), freeze one for a while,
// cut the power of every node at once, make a node's disk fail a write (the
// node then fails, and is restarted later) or stall, change the network
// weather, change the membership or transfer the leadership.

import type { NodeId, SeededRand } from '../../src/raft/index.js';
import { TICK, type EventQueue } from './event-queue.js';
import type { Membership } from './membership.js';
import { WEATHERS, type Network, type Weather } from './network.js';
import { NodeDownError, type SimNode } from './sim-node.js';

export type PartitionKind = 'split' | 'bridge' | 'one-way' | 'isolated' | 'deaf' | 'mute';

export const PARTITION_KINDS: readonly PartitionKind[] = ['split', 'bridge', 'one-way', 'isolated', 'isolated', 'deaf', 'mute'];

export interface FaultProfile {
  /** Per tick, when the network is whole: chance that a partition starts. */
  partitionChance: number;
  partitionTicks: [number, number];
  /** The partitions to pick from. */
  partitionKinds: readonly PartitionKind[];
  /** Per tick: chance that one node crashes, to restart after `downTicks`. */
  crashChance: number;
  downTicks: [number, number];
  /** Per tick: chance that one node crashes and restarts within a few ticks. */
  bounceChance: number;
  /** Per tick: chance that one node freezes (ticks, messages and disk completions wait) for `pauseTicks`. */
  pauseChance: number;
  pauseTicks: [number, number];
  /** Per tick: chance that every node crashes at once. */
  powerCutChance: number;
  /** Per tick: chance that a live node is told its connection to a live peer broke. */
  blipChance?: number;
  /** Chance that a crash or an isolation picks the leader. */
  leaderBias: number;
  /** Per tick: chance that the network weather changes. */
  weatherChance: number;
  weathers: readonly Weather[];
  /** Per tick: chance of a membership step (add a learner, promote it, remove a node). */
  memberChance: number;
  /** Per tick: chance of a leadership transfer. */
  transferChance: number;
  /** Disk write latency, in ticks. */
  persistTicks: [number, number];
  /** Chance that one disk write is slow, and how slow. */
  slowDiskChance: number;
  slowDiskTicks: [number, number];
  /** Per tick: chance that a live node's disk fails its next write (the node fails; it is restarted after `downTicks`). */
  diskFailChance: number;
  /** Per tick: chance that a live node's disk stalls its next call for `diskStallTicks` (the calls after it wait). */
  diskStallChance: number;
  diskStallTicks: [number, number];
}

export const DEFAULT_FAULTS: FaultProfile = {
  partitionChance: 0.03,
  partitionTicks: [5, 60],
  partitionKinds: PARTITION_KINDS,
  crashChance: 0.012,
  blipChance: 0.01,
  downTicks: [2, 50],
  bounceChance: 0.006,
  powerCutChance: 0.0015,
  pauseChance: 0.008,
  pauseTicks: [1, 30],
  leaderBias: 0.4,
  weatherChance: 0.02,
  weathers: WEATHERS,
  memberChance: 0.025,
  transferChance: 0.012,
  persistTicks: [0, 1],
  slowDiskChance: 0.05,
  slowDiskTicks: [1, 4],
  diskFailChance: 0.002,
  diskStallChance: 0.004,
  diskStallTicks: [2, 15],
};

/** Each seed draws one mix, so runs differ in character as well as in detail. */
export const FAULT_MIXES: Readonly<Record<string, Partial<FaultProfile>>> = {
  balanced: {},
  crashy: { crashChance: 0.03, bounceChance: 0.015, powerCutChance: 0.004, downTicks: [1, 30] },
  partitions: { partitionChance: 0.08, partitionTicks: [3, 30] },
  churn: { memberChance: 0.06, transferChance: 0.03 },
  lossy: { weathers: WEATHERS.slice(1), weatherChance: 0.05 },
  'slow-disk': { persistTicks: [0.2, 2], slowDiskChance: 0.15, slowDiskTicks: [2, 8], diskFailChance: 0.006, diskStallChance: 0.015 },
  gentle: { partitionChance: 0.01, crashChance: 0.004, bounceChance: 0.002, powerCutChance: 0 },
};

export interface NemesisHost {
  readonly queue: EventQueue;
  readonly net: Network;
  /** Nodes not removed from the cluster, up or down. */
  nodes(): SimNode[];
  leader(): SimNode | undefined;
  trace(text: string): void;
  /** Whether crashed nodes should still be restarted by their timers. */
  faultPhase(): boolean;
}

export interface NemesisStats {
  partitions: number;
  crashes: number;
  powerCuts: number;
  pauses: number;
  transfers: number;
  diskFaults: number;
  diskStalls: number;
}

export class Nemesis {
  readonly stats: NemesisStats = { partitions: 0, crashes: 0, powerCuts: 0, pauses: 0, transfers: 0, diskFaults: 0, diskStalls: 0 };
  readonly #host: NemesisHost;
  readonly #rand: SeededRand;
  readonly #faults: FaultProfile;
  readonly #membership: Membership;
  #healAt = 0;

  constructor(host: NemesisHost, rand: SeededRand, faults: FaultProfile, membership: Membership) {
    this.#host = host;
    this.#rand = rand;
    this.#faults = faults;
    this.#membership = membership;
  }

  step(): void {
    const f = this.#faults;
    const r = this.#rand;
    const host = this.#host;
    const now = host.queue.now;
    if (host.net.partitioned) {
      if (now >= this.#healAt) {
        host.net.heal();
        host.trace('nemesis: the network heals');
      }
    } else if (r.chance(f.partitionChance)) {
      this.#partition();
    }
    if (r.chance(f.crashChance)) this.#crash(f.downTicks);
    if (r.chance(f.bounceChance)) this.#crash([0.2, 3]);
    if (r.chance(f.powerCutChance)) this.#powerCut();
    if (r.chance(f.pauseChance)) this.#pause();
    if (r.chance(f.weatherChance)) {
      host.net.weather = r.pick(f.weathers);
      host.trace(`nemesis: the network turns ${host.net.weather.name}`);
    }
    if (r.chance(f.memberChance)) this.#membership.step();
    if (r.chance(f.transferChance)) this.#transfer();
    if (r.chance(f.blipChance ?? 0)) this.#blip();
    if (r.chance(f.diskFailChance)) this.#diskFault();
    if (r.chance(f.diskStallChance)) this.#diskStall();
  }

  #victim(candidates: SimNode[]): SimNode | undefined {
    if (candidates.length === 0) return undefined;
    const leader = this.#host.leader();
    if (leader && candidates.includes(leader) && this.#rand.chance(this.#faults.leaderBias)) return leader;
    return this.#rand.pick(candidates);
  }

  #crash(downTicks: [number, number]): void {
    // Nodes still reading their disk at start-up crash too.
    const node = this.#victim(this.#host.nodes().filter((n) => n.running));
    if (!node) return;
    this.stats.crashes++;
    node.crash();
    // As the TCP transport does: the others see their connection to it close.
    for (const other of this.#host.nodes()) if (other !== node) other.peerDown(node.id);
    this.restartLater(node, downTicks);
  }

  /** The next write of a live node's disk fails: the node fails (RAFTKV_ERR_NODE_FAILED) and the simulator restarts it. */
  #diskFault(): void {
    const node = this.#victim(this.#host.nodes().filter((n) => n.alive));
    if (!node) return;
    this.stats.diskFaults++;
    this.#host.trace(`nemesis: ${node.id}'s disk will fail its next write`);
    node.disk.failNextWrite();
  }

  #diskStall(): void {
    const node = this.#victim(this.#host.nodes().filter((n) => n.alive));
    if (!node) return;
    const [lo, hi] = this.#faults.diskStallTicks;
    const ticks = lo + this.#rand.next() * (hi - lo);
    this.stats.diskStalls++;
    this.#host.trace(`nemesis: ${node.id}'s disk stalls for ${ticks.toFixed(1)} ticks`);
    node.disk.delayNext(ticks * TICK);
  }

  /** A connection blip: a live node is told a live peer (often its leader) went away. */
  #blip(): void {
    const nodes = this.#host.nodes().filter((n) => n.alive && !n.paused);
    if (nodes.length < 2) return;
    const node = this.#rand.pick(nodes);
    const lead = node.core?.leader;
    const peer = lead && this.#rand.chance(0.7) ? lead : this.#rand.pick(nodes.filter((n) => n !== node)).id;
    this.#host.trace(`nemesis: ${node.id} loses its connection to ${peer}`);
    node.peerDown(peer);
  }

  #pause(): void {
    const node = this.#victim(this.#host.nodes().filter((n) => n.alive && !n.paused));
    if (!node) return;
    const [lo, hi] = this.#faults.pauseTicks;
    this.stats.pauses++;
    node.pause(this.#host.queue.now + (lo + this.#rand.next() * (hi - lo)) * TICK);
  }

  #powerCut(): void {
    this.stats.powerCuts++;
    this.#host.trace('nemesis: power cut, every node crashes');
    for (const node of this.#host.nodes()) {
      if (!node.running) continue;
      node.crash();
      this.restartLater(node, [1, 10]);
    }
  }

  /** Restart `node` after a while, unless the faults are over by then (the world restarts everything itself). */
  restartLater(node: SimNode, [lo, hi]: [number, number] = this.#faults.downTicks): void {
    const delay = (lo + this.#rand.next() * (hi - lo)) * TICK;
    this.#host.queue.after(delay, () => {
      if (this.#host.faultPhase()) node.start();
    });
  }

  #partition(): void {
    const f = this.#faults;
    const r = this.#rand;
    const host = this.#host;
    const ids = host.nodes().map((n) => n.id);
    if (ids.length < 2) return;
    const net = host.net;
    const cutBoth = (a: NodeId, b: NodeId): void => {
      net.cut(a, b);
      net.cut(b, a);
    };
    const kind = r.pick(f.partitionKinds);
    let what: string;
    if (kind === 'split' || kind === 'bridge') {
      // Two sides; with a bridge, one node still talks to both.
      const shuffled = shuffle(ids, r);
      const bridge = kind === 'bridge' && ids.length >= 3 ? shuffled.pop()! : undefined;
      const k = 1 + r.int(shuffled.length - 1);
      const a = shuffled.slice(0, k);
      const b = shuffled.slice(k);
      for (const x of a) for (const y of b) cutBoth(x, y);
      what = `split [${a.join(',')}] | [${b.join(',')}]${bridge ? ` bridged by ${bridge}` : ''}`;
    } else if (kind === 'one-way') {
      const links: string[] = [];
      const n = 1 + r.int(ids.length);
      for (let i = 0; i < n; i++) {
        const from = r.pick(ids);
        const to = r.pick(ids.filter((x) => x !== from));
        net.cut(from, to);
        links.push(`${from}->${to}`);
      }
      what = `one-way cuts ${links.join(' ')}`;
    } else {
      const victim = this.#victim(host.nodes())!.id;
      const mode = kind;
      for (const other of ids) {
        if (other === victim) continue;
        if (mode !== 'mute') net.cut(other, victim);
        if (mode !== 'deaf') net.cut(victim, other);
      }
      what = `${victim} ${mode}`;
    }
    const [lo, hi] = f.partitionTicks;
    this.#healAt = host.queue.now + (lo + r.next() * (hi - lo)) * TICK;
    this.stats.partitions++;
    host.trace(`nemesis: partition, ${what}`);
  }

  #transfer(): void {
    const host = this.#host;
    const leader = host.leader();
    const core = leader?.core;
    if (!leader || !core) return;
    const others = core.raft.conf.voters.filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const to = this.#rand.pick(others);
    let done: Promise<string>;
    try {
      done = leader.call((n) => n.transferLeadership(to));
    } catch (e) {
      if (!(e instanceof NodeDownError)) throw e;
      return;
    }
    this.stats.transfers++;
    host.trace(`nemesis: ${leader.id} transfers leadership to ${to}`);
    done.then(
      () => host.trace(`nemesis: transfer from ${leader.id} to ${to} done`),
      (e: unknown) => host.trace(`nemesis: transfer from ${leader.id} to ${to} failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}

export function shuffle<T>(items: readonly T[], r: SeededRand): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
