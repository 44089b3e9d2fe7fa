// The launcher's /metrics (on the control address): what it does to its
// nodes. Each node's own metrics are on that node's HTTP port.

import { Registry } from 'prom-client';
import { scrapedCounter, scrapedGauge } from '../node/metric-tallies.js';
import type { FaultKind, Launcher, NodeState } from './launcher.js';

const STATES: readonly NodeState[] = ['starting', 'alive', 'paused', 'failed', 'dead'];

export function launcherRegistry(launcher: Launcher, dashboardClients: () => number): Registry {
  const r = new Registry();
  scrapedGauge(r, 'raftkv_launcher_node_state', 'Each node\'s state as the launcher sees it: 1 for the state it is in, 0 for the others.', ['node', 'state'], () =>
    launcher.ids.flatMap((node) => STATES.map((state) => [{ node, state }, launcher.stateOf(node) === state ? 1 : 0] as const)),
  );
  scrapedGauge(r, 'raftkv_launcher_node_cut_off', '1 while every link between the node and the rest of its group is cut.', ['node'], () => launcher.ids.map((node) => [{ node }, launcher.isCutOff(node) ? 1 : 0] as const));
  scrapedCounter(r, 'raftkv_launcher_faults_injected_total', 'Control commands that injected or cleared a fault, by kind.', ['kind'], () =>
    (Object.entries(launcher.faultCounts) as [FaultKind, number][]).map(([kind, n]) => [{ kind }, n] as const),
  );
  scrapedCounter(r, 'raftkv_launcher_node_exits_total', 'Times each node\'s thread or process ended (kills, stops, crashes).', ['node'], () => launcher.ids.map((node) => [{ node }, launcher.exits.get(node) ?? 0] as const));
  scrapedGauge(r, 'raftkv_launcher_dashboard_clients', 'Dashboard pages connected now.', [], () => [[{}, dashboardClients()] as const]);
  return r;
}
