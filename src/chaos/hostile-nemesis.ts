// The hostile nemesis (`--faults hostile`): while the history clients run
// and the other nemesis breaks things one at a time, hostile input goes to
// every listener of every node (HTTP, RESP, peer), to the launcher's control
// API and, in a sharded run, to the router's HTTP and RESP fronts. Nothing it
// sends may stop a node: a node whose launcher state turns 'dead' without
// the other nemesis having killed it is a node failure, reported with the
// last inputs it was sent, and restarted so the run goes on finding more.
// (A crash of the launcher's own process, where the control API and the
// router run, cannot be missed: the run dies with it.)
//
// Input n of a run is drawn from the run's seed and n alone, so a run's
// inputs can be replayed; which node's term a peer message is built against
// depends on the cluster's state at the time.

import fc from 'fast-check';
import type { ClusterConfig } from '../cluster/config.js';
import type { Launcher, NodeState } from '../cluster/launcher.js';
import { ROUTES } from '../api/routes.js';
import { clusterIdentity } from '../common/cluster-identity.js';
import type { LogRecord } from '../node/logger.js';
import { SeededRand } from '../raft/rand.js';
import { ROUTER_ROUTES } from '../shard/router-routes.js';
import { HOSTILE_PREFIX, type GrammarContext, type HostileInput, type Listener } from './hostile/common.js';
import { controlInputArb } from './hostile/control-grammar.js';
import { flood, IDLE_OPENINGS } from './hostile/floods.js';
import { httpInputArb, type HttpContext } from './hostile/http-grammar.js';
import { peerInputArb } from './hostile/peer-grammar.js';
import { respInputArb } from './hostile/resp-grammar.js';
import { sendInput, type WireSecurity } from './hostile/wire.js';
import { restart } from './nemesis.js';
import { sleep } from '../kit/wait.js';

export interface HostileLog {
  inputs: Record<Listener | 'floods', number>;
  failures: NodeFailure[];
  errors: string[];
}

export interface NodeFailure {
  node: string;
  /** 'dead': its thread or process ended; 'failed': it stopped itself ("node failed") and serves nothing. */
  how: 'dead' | 'failed';
  /** The first line of the last error it logged, if any. */
  error?: string;
  /** Seconds into the hostile run. */
  atS: number;
  /** The last inputs sent to the node before it died, oldest first. */
  lastInputs: string[];
}

export const newHostileLog = (): HostileLog => ({ inputs: { resp: 0, http: 0, peer: 0, control: 0, floods: 0 }, failures: [], errors: [] });

/**
 * What the nodes log, as the hostile nemesis needs it: a node that fails
 * ("node failed": its Raft stopped, its thread lives on) is only seen in its
 * log, and the last error a node logged says why it stopped. The chaos run
 * feeds every node log record in.
 */
export class NodeLogWatch {
  readonly #lastError = new Map<string, { text: string; at: number }>();
  #onFailed: ((id: string) => void) | undefined;

  noteLog(r: LogRecord): void {
    if (r.level !== 'error' || typeof r.id !== 'string') return;
    const error = typeof r.error === 'string' ? r.error.split('\n')[0]! : '';
    this.#lastError.set(r.id, { text: `${r.msg}${error ? `: ${error}` : ''}`, at: Date.now() });
    if (r.msg === 'node failed') this.#onFailed?.(r.id);
  }

  /** The last error the node logged in the past few seconds (an older one is about an earlier life). */
  lastError(id: string, withinMs = 5000): string | undefined {
    const e = this.#lastError.get(id);
    return e && Date.now() - e.at <= withinMs ? e.text : undefined;
  }

  onFailed(cb: ((id: string) => void) | undefined): void {
    this.#onFailed = cb;
  }
}

export const hostileInputs = (log: HostileLog): number => Object.values(log.inputs).reduce((a, b) => a + b, 0);

export interface HostileOptions {
  launcher: Launcher;
  config: ClusterConfig;
  seed: number;
  until: number;
  log: HostileLog;
  onEvent: (line: string) => void;
  /** Nodes the other nemesis has taken down on purpose (killed, not yet restarted): their death is no failure. */
  intentional: ReadonlySet<string>;
  /** The nodes' error logs (node failures that leave the thread running are only seen there). */
  logs: NodeLogWatch;
  /** The launcher's control API, when one runs. */
  control?: string;
  /** The router's fronts, in a sharded run. */
  router?: { http: string; resp?: string };
  /** Only these kinds of listener (default: all); for a focused run, e.g. when one known crash hides the rest. */
  listeners?: readonly Listener[];
  /** Connections sending hostile input at once (default 3: the machine also runs the cluster and the clients). */
  parallel?: number;
  /** A secure cluster: inputs go through TLS (the peer port sees a certificate of the cluster CA) and the login, so that they reach what lies behind them. */
  security?: HostileSecurity;
}

/** The cluster CA, a certificate it issued (with its key), and the admin token. */
export interface HostileSecurity {
  ca: string;
  cert: string;
  key: string;
  token: string;
}

/** How input reaches each kind of listener of a secure cluster. */
function wireSecurityFor(s: HostileSecurity): Record<Listener, WireSecurity> {
  return {
    resp: { ca: s.ca, preamble: Buffer.from(`AUTH ${s.token}\r\n`) },
    http: { ca: s.ca },
    control: { ca: s.ca },
    peer: { ca: s.ca, cert: s.cert, key: s.key },
  };
}

const RECENT = 8;
/** Restarts of a node after its hostile failures, before it is left down. */
const MAX_RESTARTS = 3;

/** The seed of input n: the run's seed and n, mixed (so neighbouring inputs differ everywhere). */
export function inputSeed(seed: number, n: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  return (h ^ (h >>> 15)) | 0;
}

const one = <T>(arb: fc.Arbitrary<T>, seed: number): T => fc.sample(arb, { seed, numRuns: 1 })[0]!;

/** A place to send input: a node's listener, the router's or the control API. */
interface Target {
  listener: Listener;
  addr: string;
  /** The node it belongs to (undefined: router, control). */
  node?: string;
  /** Router fronts get the router's route table. */
  router?: boolean;
}

export async function runHostile(o: HostileOptions): Promise<void> {
  const { launcher, config, log } = o;
  const started = Date.now();
  const identity = clusterIdentity(launcher.clusterToken);
  const ctx: HttpContext = { limits: config.limits, maxBodyBytes: config.maxBodyBytes, keyPrefix: HOSTILE_PREFIX, token: launcher.clusterToken, ...(o.security ? { bearer: o.security.token } : {}) };
  const wire = o.security ? wireSecurityFor(o.security) : undefined;
  const recent = new Map<string, string[]>();
  const remember = (node: string | undefined, label: string): void => {
    if (!node) return;
    const list = recent.get(node) ?? [];
    list.push(label);
    if (list.length > RECENT) list.shift();
    recent.set(node, list);
  };
  let running = true;

  // Terms and leadership, for peer messages built against a node's own term.
  const terms = new Map<string, { term: number; leads: boolean }>();
  const statusLoop = (async () => {
    while (running) {
      for (const [id, s] of await launcher.statuses(500)) if (s) terms.set(id, { term: s.term, leads: s.role === 'leader' });
      await sleep(200);
    }
  })();

  // Node failures: a death the other nemesis did not cause.
  const restarting = new Map<string, Promise<void>>();
  const last = new Map<string, NodeState>(launcher.ids.map((id) => [id, launcher.stateOf(id)]));
  const failures = new Map<string, number>();
  const gaveUp = new Set<string>();
  const failed = (id: string, how: NodeFailure['how']): void => {
    if (o.intentional.has(id) || restarting.has(id) || gaveUp.has(id)) return;
    failures.set(id, (failures.get(id) ?? 0) + 1);
    // The log record may come just before the launcher sees the thread end: let it settle.
    const error = o.logs.lastError(id);
    const failure: NodeFailure = { node: id, how, ...(error ? { error } : {}), atS: (Date.now() - started) / 1000, lastInputs: [...(recent.get(id) ?? [])] };
    log.failures.push(failure);
    o.onEvent(`hostile: ${id} ${how.toUpperCase()} without being killed${error ? ` (${error})` : ''}; its last inputs:\n${failure.lastInputs.map((l) => `      ${l}`).join('\n')}`);
    // A node that keeps failing is in a crash loop (a poisoned log fails it
    // again at every start): left as it is, not counted again.
    if (failures.get(id)! >= MAX_RESTARTS) {
      gaveUp.add(id);
      log.errors.push(`${id} failed ${MAX_RESTARTS} times: not restarted again (a crash loop?)`);
      o.onEvent(`hostile: ${id} failed ${MAX_RESTARTS} times; not restarting it again`);
      return;
    }
    // Start it again (a failed node is killed first) so that the run goes on finding more.
    restarting.set(
      id,
      (async () => {
        await sleep(200);
        if (launcher.stateOf(id) !== 'dead') await launcher.killNode(id);
        await restart(launcher, id);
      })()
        .catch((e: unknown) => void log.errors.push(`restarting ${id} after its failure: ${(e as Error).message}`))
        .finally(() => restarting.delete(id)),
    );
  };
  o.logs.onFailed((id) => failed(id, 'failed'));
  const watch = (async () => {
    while (running) {
      for (const id of launcher.ids) {
        const state = launcher.stateOf(id);
        const before = last.get(id);
        last.set(id, state);
        if ((state === 'dead' || state === 'failed') && before !== state) failed(id, state);
      }
      await sleep(50);
    }
  })();

  const targets = (): Target[] => {
    const out: Target[] = [];
    for (const id of launcher.ids) {
      const e = launcher.entry(id);
      out.push({ listener: 'http', addr: e.http, node: id }, { listener: 'peer', addr: e.raft, node: id });
      if (e.resp) out.push({ listener: 'resp', addr: e.resp, node: id });
    }
    if (o.router) {
      out.push({ listener: 'http', addr: o.router.http, router: true });
      if (o.router.resp) out.push({ listener: 'resp', addr: o.router.resp, router: true });
    }
    if (o.control) out.push({ listener: 'control', addr: o.control });
    return o.listeners ? out.filter((t) => o.listeners!.includes(t.listener)) : out;
  };

  // Built once: only the peer grammar depends on the cluster's state (terms).
  const respArb = respInputArb(ctx);
  const nodeHttpArb = httpInputArb(ctx, ROUTES);
  const routerHttpArb = httpInputArb(ctx, ROUTER_ROUTES);
  const controlArb = controlInputArb();

  /** Input n: where it goes and what it is, all from the seed and n. */
  const draw = (n: number): { target: Target; input: HostileInput } => {
    const seed = inputSeed(o.seed, n);
    const rand = new SeededRand(seed >>> 0);
    const all = targets();
    let target = all[rand.int(all.length)]!;
    // A third of the node inputs go to a leader: only a leader proposes (forged
    // envelopes reach the log there) and only a leader meets a rival's heartbeat.
    if (target.node && rand.chance(1 / 3)) {
      const shard = launcher.shardOf(target.node);
      const leader = launcher.ids.find((id) => launcher.shardOf(id) === shard && terms.get(id)?.leads);
      const there = leader && all.find((t) => t.node === leader && t.listener === target.listener);
      if (there) target = there;
    }
    // Now and then, input made for another protocol (cross-protocol confusion).
    const as: Listener = rand.chance(0.05) ? (['resp', 'http', 'peer'] as const)[rand.int(3)]! : target.listener;
    let input: HostileInput;
    switch (as) {
      case 'resp':
        input = one(respArb, seed);
        break;
      case 'http':
        input = one(target.router ? routerHttpArb : nodeHttpArb, seed);
        break;
      case 'control':
        input = one(controlArb, seed);
        break;
      case 'peer': {
        const node = target.node ?? launcher.ids[0]!;
        const shard = launcher.shardOf(node);
        const members = launcher.ids.filter((id) => launcher.shardOf(id) === shard);
        const t = terms.get(node) ?? { term: 0, leads: false };
        input = one(peerInputArb({ ...ctx, identity, target: node, members, term: t.term, targetLeads: t.leads }), seed);
        break;
      }
    }
    if (as !== target.listener) input = { ...input, label: `${input.label} (sent to the ${target.listener} port)` };
    return { target, input };
  };

  let n = 0;
  const sender = async (): Promise<void> => {
    while (Date.now() < o.until) {
      const i = n++;
      let drawn: { target: Target; input: HostileInput };
      try {
        drawn = draw(i);
      } catch (e) {
        log.errors.push(`input ${i}: ${(e as Error).message}`);
        continue;
      }
      const { target, input } = drawn;
      remember(target.node, `#${i} ${input.label}`);
      if (await sendInput(target.addr, input, 200, wire?.[target.listener]).catch(() => false)) log.inputs[target.listener]++;
    }
  };

  // Floods and idle connections: one at a time, every few seconds, each bounded.
  const flooder = async (): Promise<void> => {
    const rand = new SeededRand((inputSeed(o.seed, -1) >>> 0) + 1);
    const limit = config.limits.maxConnections;
    while (Date.now() < o.until) {
      await sleep(1000 + rand.int(3000));
      if (Date.now() >= o.until) break;
      const all = targets();
      const target = all[rand.int(all.length)]!;
      const idle = rand.chance(0.5);
      const openings = IDLE_OPENINGS[target.listener];
      const opening = openings[rand.int(openings.length)]!;
      // A flood goes past the limit; a stand of idle connections stays well under it.
      const count = idle ? 20 : Math.min(limit + 50, 2000);
      const label = idle ? `idle: ${count} connections to ${target.listener} ${target.addr}, opening ${JSON.stringify(opening.toString('latin1').slice(0, 30))}, held 3 s` : `flood: ${count} connections to ${target.listener} ${target.addr} (limit ${limit}), held 1 s`;
      remember(target.node, label);
      try {
        const r = await flood(target.addr, { count, holdMs: idle ? 3000 : 1000, until: o.until, opening, parallel: idle ? 4 : 32 });
        log.inputs.floods++;
        if (!idle) o.onEvent(`hostile ${label}: ${r.opened} still open after the hold, ${r.refused} refused or closed by the listener`);
      } catch (e) {
        log.errors.push(`${label}: ${(e as Error).message}`);
      }
    }
  };

  try {
    await Promise.all([...Array.from({ length: o.parallel ?? 3 }, sender), flooder()]);
  } finally {
    // Let the watcher see a death the last inputs caused.
    await sleep(500);
    running = false;
    o.logs.onFailed(undefined);
    await Promise.all([watch, statusLoop]);
    await Promise.all(restarting.values());
  }
}
