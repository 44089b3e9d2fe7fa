#!/usr/bin/env node
import { cac } from 'cac';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { normalizeArgv } from './cli-argv.js';
import { ConfigError, clusterConfigSchema, loadClusterConfig, parseClusterConfig, type ClusterConfig } from './cluster/config.js';
import { followEvents, startControlServer } from './cluster/control-server.js';
import { runCtl } from './cluster/ctl.js';
import { formatChaosReport } from './chaos/report.js';
import { chaosReportHtml, loadChaosReport } from './chaos/report-page.js';
import { openPage } from './pages/open-page.js';
import { DEFAULT_CHAOS, runChaos } from './chaos/run-chaos.js';
import { FAULT_KINDS, SERIAL_FAULTS, type FaultKind } from './chaos/nemesis.js';
import type { Listener } from './chaos/hostile/common.js';
import { installLastResort } from './cluster/last-resort.js';
import { Launcher } from './cluster/launcher.js';
import { ENTER_SCREEN, LEAVE_SCREEN, redraw, renderTerminalView } from './cluster/terminal-view.js';
import { clusterIdentity, loadOrCreateToken, newClusterToken } from './common/cluster-identity.js';
import { formatRecord, makeLogger, type Logger, type LogRecord } from './common/logger.js';
import { DEFAULT_HTTP, resolveNodeSettings, writeRemembered } from './node/node-settings.js';
import { runNode } from './start/run-node.js';
import { LOOPBACK, onHost } from './node/this-host.js';
import { formatSlotRanges } from './common/slots.js';
import { parseShardSpec, resolveShards } from './shard/router-flags.js';
import { runRouter, type RunRouterOptions, type RunningRouter } from './start/run-router.js';
import { printLog } from './storage/print-log.js';
import { DEFAULT_APPLY_DELAY_MS } from './storage/types.js';
import { internalHttp } from './security/internal-http.js';
import { loadClusterSecurity } from './cluster/security-setup.js';
import { Authenticator, loadAuthTable } from './security/auth.js';
import { makeDevCerts } from './security/dev-certs.js';
import { exposedListeners, exposureError, insecureWarning, nonLoopback } from './security/exposure.js';
import { bareHost } from './common/address.js';
import { loadTlsMaterial } from './security/tls-material.js';
import { dirCertPlan, howToCall, makeMissingDevCerts } from './cluster/secure-start.js';
import { parseHostPort } from './transport/address.js';

const cli = cac('raftkv');

function printer(json: boolean): (r: LogRecord) => void {
  return (r) => process.stdout.write((json ? JSON.stringify(r) : formatRecord(r)) + '\n');
}

cli
  .command('cluster', 'Run the whole cluster of cluster.config.json, one worker thread per node')
  .option('--config <file>', 'cluster config file', { default: 'cluster.config.json' })
  .option('--fresh', 'delete the data directory first')
  .option('--inmem', 'keep every node in memory only (nothing on disk)')
  .option('--log-json', 'print logs as JSON lines')
  .option('--no-table', 'on a terminal, do not draw the live view (status table and event log, redrawn in place)')
  .option('--log-level <level>', 'debug, info, warn or error', { default: 'info' })
  .option('--isolation <mode>', 'thread (one worker thread per node) or process (one child process per node: kill is a real SIGKILL)', { default: 'thread' })
  .action(async (opts: { config: string; fresh?: boolean; inmem?: boolean; logJson?: boolean; table: boolean; logLevel: string; isolation: string }) => {
    if (opts.isolation !== 'thread' && opts.isolation !== 'process') throw new Error(`--isolation must be "thread" or "process", not ${JSON.stringify(opts.isolation)}`);
    const { config, warnings } = loadClusterConfig(opts.config);
    for (const w of warnings) console.warn(`warning: ${w}`);
    const baseDir = path.dirname(path.resolve(opts.config));
    await makeMissingDevCerts(config, baseDir);
    if (opts.fresh) rmSync(path.resolve(baseDir, config.dataDir), { recursive: true, force: true });
    const printAll = printer(opts.logJson === true);
    // While the live view holds the terminal, records show as its event log instead of scrolling it away.
    let viewing = false;
    const print = (r: LogRecord): void => {
      if (!viewing) printAll(r);
    };
    // From here on the process holds node threads: nothing may end it but a stop.
    installLastResort(printAll);
    // A closed stdout (the launcher piped into `head`) is no reason to stop the cluster.
    process.stdout.on('error', () => {});
    const launcher = new Launcher({ config, baseDir, onLog: print, logLevel: opts.logLevel as LogRecord['level'], inMemory: opts.inmem, isolation: opts.isolation });
    const started = Date.now();
    // Followed from before the start: the event log then holds every node's start-up.
    const events = followEvents(launcher);
    await launcher.start();
    const { host: controlHost, port: controlPort } = parseHostPort(config.control);
    const security = launcher.security;
    const control = await startControlServer(launcher, controlHost, controlPort, {
      events,
      ...(security.tls ? { tls: security.tls.launcher } : {}),
      ...(security.auth ? { auth: new Authenticator(security.auth) } : {}),
    });
    const dashboard = `${security.tls ? 'https' : 'http'}://${controlHost.includes(':') ? `[${controlHost}]` : controlHost}:${control.port}/`;
    print({ level: 'info', msg: 'cluster started', time: Date.now(), nodes: launcher.ids, isolation: launcher.isolation, ms: Date.now() - started, data: path.resolve(baseDir, config.dataDir), control: `${controlHost}:${control.port}` });
    const login = config.auth ? ` (log in with the admin token: ${path.relative(process.cwd(), path.resolve(baseDir, config.auth.tokenFile))})` : '';
    print({ level: 'info', msg: `dashboard: ${dashboard}${login}`, time: Date.now() });
    let router: RunningRouter | undefined;
    try {
      if (config.router) router = await startClusterRouter(config, launcher.clusterToken, { ...(security.tls ? { tls: security.tls.launcher } : {}), ...(security.auth ? { auth: security.auth } : {}) }, print, opts.logLevel as LogRecord['level']);
    } catch (e) {
      await control.close();
      await launcher.stop();
      throw e;
    }
    if (config.tls || config.auth) for (const line of howToCall(config, baseDir, path.resolve(opts.config))) print({ level: 'info', msg: line, time: Date.now() });
    const shardSlots = Object.fromEntries((config.shards ?? []).map((s) => [s.id, formatSlotRanges(s.slots)]));
    // On a terminal: the table and the event log, redrawn in place. Anywhere else (a pipe, a file): the log lines alone.
    const live = opts.table && process.stdout.isTTY;
    if (live) {
      viewing = true;
      process.stdout.write(ENTER_SCREEN);
    }
    let drawing = false;
    const timer = setInterval(async () => {
      if (!live || drawing) return;
      drawing = true;
      try {
        const statuses = await launcher.statuses();
        const rows = launcher.ids.map((id) => ({ id, state: launcher.stateOf(id), status: statuses.get(id), cutOff: launcher.isCutOff(id), shard: launcher.shardOf(id), failed: launcher.failureOf(id) }));
        const lines = renderTerminalView({ rows, shardSlots, events: events.since(0), dashboard, width: process.stdout.columns ?? 120, height: process.stdout.rows ?? 40 });
        if (viewing) process.stdout.write(redraw(lines));
      } finally {
        drawing = false;
      }
    }, 500);
    let stopping = false;
    const shutdown = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      if (viewing) {
        viewing = false;
        process.stdout.write(LEAVE_SCREEN);
      }
      print({ level: 'info', msg: `${signal}: stopping every node`, time: Date.now() });
      await router?.stop();
      await control.close();
      await launcher.stop();
      print({ level: 'info', msg: 'cluster stopped', time: Date.now() });
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

cli
  .command('node [dir]', "Run one node in this process (one node per machine); hraftd's -id -haddr -raddr -join -rjoin -rmem -rdir work too")
  .option('--id <id>', 'node id (default "<http>,<raft>", as hraftd\'s fork named nodes)')
  .option('--http <addr>', `HTTP API address; ":port" is this host (default ${DEFAULT_HTTP})`)
  .option('--raft <addr>', 'Raft peer address (default: the HTTP address with its port + 1000)')
  .option('--resp <addr>', 'Redis protocol address')
  .option('--join <addrs>', "HTTP addresses of members to join through, comma-separated, tried in turn; a node whose own address comes first founds the cluster")
  .option('--dir <dir>', 'the data directory, instead of DIR (default raftkv-data/<id>); a restart needs only the directory')
  .option('--token <token>', 'the cluster token (or RAFTKV_CLUSTER_TOKEN); a founding node without one makes one in DIR/cluster.token')
  .option('--token-file <file>', 'read the cluster token from this file')
  .option('--inmem', 'keep the log and state in memory only')
  .option('--tls-ca <file>', 'TLS: the cluster CA certificate (peers must show a certificate it issued)')
  .option('--tls-cert <file>', "TLS: this node's certificate (naming its addresses)")
  .option('--tls-key <file>', "TLS: this node's private key")
  .option('--auth-token-file <file>', 'authentication: the admin token; every client must show a token')
  .option('--insecure', 'allow listening beyond loopback without TLS and authentication (warned about on every start)')
  .option('--durability <d>', 'fsync or os', { default: 'fsync' })
  .option('--apply-batch-ms <ms>', 'hold apply batches this long and write them as one (0: each as it comes)', { default: DEFAULT_APPLY_DELAY_MS })
  .option('--tick-ms <ms>', 'tick length', { default: 10 })
  .option('--log-json', 'print logs as JSON lines')
  .action(async (dir: string | undefined, opts: Record<string, string | number | boolean | undefined>) => {
    const str = (v: string | number | boolean | undefined): string | undefined => (v === undefined || typeof v === 'boolean' ? undefined : String(v));
    const applyDelayMs = applyBatchMs(opts.applyBatchMs);
    if (dir !== undefined && opts.dir !== undefined && path.resolve(dir) !== path.resolve(String(opts.dir))) throw new Error(`two data directories: ${dir} and --dir ${String(opts.dir)}`);
    const settings = await resolveNodeSettings(
      { id: str(opts.id), http: str(opts.http), raft: str(opts.raft), resp: str(opts.resp), join: str(opts.join), dir: dir ?? str(opts.dir), inmem: opts.inmem === true },
      process.cwd(),
    );
    const { id, addrs } = settings;
    const logger = makeLogger(printer(opts.logJson === true), 'info', { id });
    const security = flagSecurity(opts, { ...addrs }, logger);
    const clusterToken = nodeToken(opts, settings.dir, !settings.founds, logger);
    const running = await runNode(
      {
        id,
        // In memory, snapshots still pass through files: a private temporary folder, not the current directory.
        dir: settings.dir ?? mkdtempSync(path.join(tmpdir(), 'raftkv-inmem-')),
        inMemory: opts.inmem === true,
        durability: opts.durability === 'os' ? 'os' : 'fsync',
        applyDelayMs,
        addrs,
        founders: settings.founds ? { [id]: addrs } : undefined,
        tickMs: Number(opts.tickMs),
        heartbeatTicks: 5,
        electionTicks: [30, 60],
        snapshotEvery: 10000,
        maxBodyBytes: 1 << 20,
        clusterToken,
        join: settings.founds ? undefined : settings.joinVia,
        ...security,
      },
      logger,
    );
    // Only a node that started remembers who it is: a refused start leaves the directory as it was.
    if (settings.dir) writeRemembered(settings.dir, settings.remember);
    logger.info('node listening', { http: addrs.http, raft: addrs.raft, ...(addrs.resp ? { resp: addrs.resp } : {}), ...(settings.dir ? { dir: settings.dir } : {}), ...(settings.founds ? {} : { join: settings.joinVia.join(',') }) });
    const shutdown = (): void => void running.stop().then(() => logger.info('node stopped'));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });

cli
  .command('router', "The router of a sharded cluster as its own process (the old distributor): keys go to the leader of the shard that owns their slot")
  .option('--shard <spec>', 'a shard: ID[:SLOTS]=ADDR,ADDR,... (its nodes\' HTTP addresses); repeat for each shard; slots split evenly when none are given')
  .option('--config <file>', 'take the shards (and router addresses) from a sharded cluster config instead')
  .option('--http <addr>', 'HTTP address (default: the config\'s router.http, else 127.0.0.1:8080)')
  .option('--resp <addr>', "Redis protocol address (default: the config's router.resp, else none)")
  .option('--token <token>', 'the cluster token (or RAFTKV_CLUSTER_TOKEN): the router forwards writes as a member')
  .option('--token-file <file>', 'read the cluster token from this file')
  .option('--tls-ca <file>', "TLS: the cluster CA (the shards' certificates must be its); the router then calls its shards over https")
  .option('--tls-cert <file>', "TLS: the router's certificate (naming its addresses): HTTPS and RESP over TLS")
  .option('--tls-key <file>', "TLS: the router's private key")
  .option('--auth-token-file <file>', "authentication: the admin token; every client must show a token (with --config: the config's auth block)")
  .option('--insecure', 'allow listening beyond loopback without TLS and authentication (warned about on every start)')
  .option('--log-json', 'print logs as JSON lines')
  .action(async (opts: Record<string, string | string[] | number | boolean | undefined>) => {
    const specs = (opts.shard === undefined ? [] : Array.isArray(opts.shard) ? opts.shard : [opts.shard]).map((s) => parseShardSpec(String(s)));
    if ((specs.length > 0) === (opts.config !== undefined)) throw new Error('give the shards with --shard ID=ADDR,... (once per shard) or --config FILE, one of the two');
    const print = printer(opts.logJson === true);
    const logger = makeLogger(print, 'info', { id: 'router' });
    const clusterToken = givenToken(opts);
    if (clusterToken === undefined) throw new Error('the router needs the cluster token: --token, --token-file or RAFTKV_CLUSTER_TOKEN');
    let config: ClusterConfig | undefined;
    let fromConfig: RouterSecurity = {};
    if (opts.config !== undefined) {
      config = loadClusterConfig(String(opts.config)).config;
      if (!config.shards) throw new Error(`${String(opts.config)} lists no shards`);
      const { tls, auth } = loadClusterSecurity(config, path.dirname(path.resolve(String(opts.config))));
      fromConfig = { ...(tls ? { tls: tls.launcher } : {}), ...(auth ? { auth } : {}) };
    }
    const http = opts.http !== undefined ? String(opts.http) : (config?.router?.http ?? '127.0.0.1:8080');
    const resp = opts.resp !== undefined ? String(opts.resp) : config?.router?.resp;
    const listen = { http: onHost(http, LOOPBACK), ...(resp !== undefined ? { resp: onHost(resp, LOOPBACK) } : {}) };
    // The flags, over a config's tls and auth blocks.
    const security = flagSecurity(opts, listen, logger, fromConfig);
    if (config === undefined) {
      const shards = await resolveShards(specs, (line) => logger.info(line), { http: internalHttp(security.tls?.ca), clusterToken });
      const { config: c, warnings } = parseClusterConfig({ shards, router: { http: '127.0.0.1:8080' } }, 'the --shard flags');
      for (const w of warnings) logger.warn(w);
      config = c;
    }
    const running = await startClusterRouter(config, clusterToken, security, print, 'info', listen);
    const shutdown = (): void => void running.stop().then(() => logger.info('router stopped'));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });

cli.command('token', 'Print a new cluster token, for nodes started with --token').action(() => {
  console.log(newClusterToken());
});

cli
  .command('certs <dir>', 'Make a development CA, a certificate per node of the config (naming its addresses), the launcher\'s, a client certificate and an admin token in DIR (existing files are kept)')
  .option('--config <file>', 'cluster config whose nodes get certificates', { default: 'cluster.config.json' })
  .option('--host <name>', 'another DNS name or IP address every server certificate names (repeatable)')
  .action(async (dir: string, opts: { config: string; host?: string | string[] }) => {
    const { config } = loadClusterConfig(opts.config);
    const extra = opts.host === undefined ? [] : Array.isArray(opts.host) ? opts.host.map(String) : [String(opts.host)];
    const written = await makeDevCerts(dirCertPlan(config, path.resolve(dir), extra));
    for (const f of written) console.log(`wrote ${path.relative(process.cwd(), f) || f}`);
    if (written.length === 0) console.log(`${dir}: every file exists already; nothing written`);
  });

cli
  .command('ctl <command> [...args]', 'Fault injection on a running cluster: status | leader [SHARD] | memory | kill N | restart N | pause N | resume N | partition A,B C | partition A->B | heal | delay MS [N..] | loss PCT [N..] | transfer [N] | write K V [N] | read K [LEVEL] [N]')
  .option('--control <addr>', 'control API address (default: the config file\'s "control")')
  .option('--config <file>', 'cluster config file', { default: 'cluster.config.json' })
  .option('--cacert <file>', "the CA of the control API's certificate (default: the config's tls.ca)")
  .option('--auth-token-file <file>', "the admin token (default: the config's auth.tokenFile)")
  .action(async (command: string, args: string[], opts: { control?: string; config: string; cacert?: string; authTokenFile?: string }) => {
    const needConfig = opts.control === undefined || (opts.cacert === undefined && opts.authTokenFile === undefined);
    const loaded = needConfig && (opts.control === undefined || existsSync(opts.config)) ? loadClusterConfig(opts.config).config : undefined;
    const base = path.dirname(path.resolve(opts.config));
    const caFile = opts.cacert ?? (loaded?.tls ? path.resolve(base, loaded.tls.ca) : undefined);
    const tokenFile = opts.authTokenFile ?? (loaded?.auth ? path.resolve(base, loaded.auth.tokenFile) : undefined);
    const control = opts.control ?? loaded!.control;
    process.stdout.write(
      (await runCtl(control, command, args, { ...(caFile ? { ca: readFileSync(caFile, 'utf8') } : {}), ...(tokenFile ? { token: readFileSync(tokenFile, 'utf8').trim() } : {}) })) + '\n',
    );
  });

cli
  .command('chaos', 'Chaos test: a cluster on free loopback ports, clients, a nemesis; then a linearizability check and a read-back of every acknowledged write')
  .option('--duration <s>', 'seconds of load and faults', { default: DEFAULT_CHAOS.durationS })
  .option('--isolation <mode>', 'thread or process', { default: DEFAULT_CHAOS.isolation })
  .option('--seed <n>', 'seed of the nemesis and the clients', { default: DEFAULT_CHAOS.seed })
  .option('--nodes <n>', 'cluster size (per shard, with --shards)', { default: DEFAULT_CHAOS.nodes })
  .option('--shards <n>', 'run this many shards (Raft groups) behind a router, every client going through the router (0: one group, no router)', { default: 0 })
  .option('--clients <n>', 'history clients (checked for linearizability)', { default: DEFAULT_CHAOS.clients })
  .option('--writers <n>', 'extra write connections on unique keys (read back at the end)', { default: DEFAULT_CHAOS.writers })
  .option('--keys <n>', 'hot keys of the history clients', { default: DEFAULT_CHAOS.keys })
  .option('--faults <list>', `comma-separated: ${FAULT_KINDS.join(',')}; all (every one, hostile alongside the others); or none`, { default: SERIAL_FAULTS.join(',') })
  .option('--hostile-listeners <list>', 'with --faults hostile: only these listeners get hostile input (resp,http,peer,control; default all), to look past one known crash')
  .option('--cycles <n>', 'instead of random faults: kill and restart random nodes (the leader included) this many times')
  .option('--durability <d>', 'fsync or os', { default: DEFAULT_CHAOS.durability })
  .option('--tls', 'TLS on every listener and link and an admin token (certificates made for the run); clients, probes and hostile input go through the handshake and the login')
  .option('--unsafe <what>', 'deliberately break the nodes to prove the checker fails: stale-reads')
  .option('--json <file>', 'also write the report as JSON')
  .option('--html <file>', 'also write the report as a self-contained page: timeline of faults and leaders, availability, failover distribution')
  .option('--node-logs', 'print node warnings and errors')
  .action(async (opts: Record<string, string | number | boolean | undefined>) => {
    const isolation = String(opts.isolation);
    if (isolation !== 'thread' && isolation !== 'process') throw new Error(`--isolation must be "thread" or "process", not ${JSON.stringify(isolation)}`);
    // 'all': the one-at-a-time faults and, alongside them, hostile input.
    const faults = String(opts.faults) === 'none' ? [] : String(opts.faults) === 'all' ? [...FAULT_KINDS] : String(opts.faults).split(',').filter(Boolean);
    for (const f of faults) if (!(FAULT_KINDS as readonly string[]).includes(f)) throw new Error(`unknown fault ${JSON.stringify(f)}; use ${FAULT_KINDS.join(', ')}, all or none`);
    const listeners = opts.hostileListeners === undefined ? undefined : String(opts.hostileListeners).split(',').filter(Boolean);
    for (const l of listeners ?? []) if (!['resp', 'http', 'peer', 'control'].includes(l)) throw new Error(`unknown listener ${JSON.stringify(l)}; use resp, http, peer or control`);
    if (opts.unsafe !== undefined && opts.unsafe !== 'stale-reads') throw new Error(`--unsafe knows only "stale-reads"`);
    const num = (name: string, min: number): number => {
      const v = Number(opts[name]);
      if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
      return v;
    };
    const durability = String(opts.durability);
    if (durability !== 'fsync' && durability !== 'os') throw new Error('--durability must be fsync or os');
    const report = await runChaos({
      ...DEFAULT_CHAOS,
      durationS: num('duration', 1),
      isolation,
      seed: num('seed', 0),
      nodes: num('nodes', 1),
      shards: num('shards', 0),
      clients: num('clients', 1),
      writers: num('writers', 0),
      keys: num('keys', 1),
      faults: faults as FaultKind[],
      ...(listeners ? { hostileListeners: listeners as Listener[] } : {}),
      ...(opts.cycles !== undefined ? { cycles: num('cycles', 1) } : {}),
      durability,
      ...(opts.tls === true ? { secure: true } : {}),
      ...(opts.unsafe === 'stale-reads' ? { unsafe: 'stale-reads' as const } : {}),
      say: (line) => process.stdout.write(line + '\n'),
      ...(opts.nodeLogs ? { onNodeLog: (r: LogRecord) => r.level !== 'info' && r.level !== 'debug' && process.stderr.write(formatRecord(r) + '\n') } : {}),
    });
    if (opts.json) writeFileSync(String(opts.json), JSON.stringify(report, null, 2) + '\n');
    for (const line of formatChaosReport(report)) process.stdout.write(line + '\n');
    if (opts.html) {
      writeFileSync(String(opts.html), chaosReportHtml(report));
      process.stdout.write(`report: ${String(opts.html)}\n`);
    }
    // A hostile run also fails when any node stopped under its input.
    if (report.violations > 0 || report.lost > 0 || (report.hostile?.failures.length ?? 0) > 0) process.exitCode = 1;
  });

cli
  .command('chaos report <json>', 'The report page of a chaos run saved with --json (self-contained HTML: faults and leaders over time, availability, failover distribution)')
  .option('--out <file>', 'where the page goes (default: the JSON file with .html)')
  .option('--open', 'open the page with xdg-open')
  .action(async (file: string, opts: Record<string, unknown>) => {
    const out = typeof opts.out === 'string' ? opts.out : file.replace(/(\.json)?$/, '.html');
    writeFileSync(out, chaosReportHtml(loadChaosReport(file), path.basename(file)));
    process.stdout.write(`report: ${out}\n`);
    if (opts.open === true) await openPage(out, (line) => process.stdout.write(line + '\n'));
  });

cli
  .command('bench', 'Benchmark: set/get throughput and latency on a 3-node cluster; --compare runs the same workloads on etcd and Redis')
  .option('--quick', 'a smoke check in under 2 minutes (short phases, 100k keys for the memory figures, no wrk check)')
  .option('--compare', 'also start a 3-node etcd and a Redis on loopback and print the ratios')
  .option('--target <url>', 'measure the running cluster of this node (loopback) instead of starting one')
  .option('--config <file>', 'cluster config to copy node ids and Raft tuning from', { default: 'cluster.config.json' })
  .option('--seconds <s>', 'measuring time per workload (default 8, quick 1.5)')
  .option('--warmup <s>', 'warm-up per workload (default 1, quick 0.3)')
  .option('--threads <n>', 'load-generator threads (default: half the cores, at least 1)')
  .option('--keys <n>', 'key space of the workloads', { default: 10000 })
  .option('--value-size <bytes>', 'value size of the workloads', { default: 16 })
  .option('--memory-keys <n>', 'keys of 100 bytes loaded for the memory figures, 0 to skip (default 1000000, quick 100000)')
  .option('--only <ids>', 'comma-separated workloads: set1,set16,set64,setfwd64,getlin64,getleader64,getstale64,rset50,rget50,rset50p16,rget50p16')
  .option('--results <dir>', 'where result files go', { default: 'bench/results' })
  .option('--no-save', 'do not write a result file')
  .option('--no-wrk', 'do not cross-check the load generator with wrk')
  .option('--cpu-prof [dir]', 'write V8 CPU profiles of the raftkv cluster (every node thread) to dir (default bench/profiles)')
  .option('--time-limit <s>', 'stop everything after this long (default 1200, quick 180)')
  .option('--tls', 'also measure a cluster with TLS on every link and tokens (certificates made for it) and print its ratios to plaintext')
  .option('--cacert <file>', 'with an https --target: the cluster CA')
  .option('--auth-token-file <file>', 'with a secure --target: the token to send (Bearer, RESP AUTH)')
  .action(async (opts: Record<string, unknown>) => {
    const [{ resolveBenchOptions }, { runBench }, { cpus }] = await Promise.all([import('../bench/bench-options.js'), import('../bench/run-bench.js'), import('node:os')]);
    const options = resolveBenchOptions(opts, cpus().length);
    const tty = process.stdout.isTTY === true;
    let dirty = false;
    const clear = (): void => {
      if (dirty) process.stdout.write('\r\x1b[K');
      dirty = false;
    };
    const outcome = await runBench(options, {
      out: (line) => {
        clear();
        process.stdout.write(line + '\n');
      },
      progress: (text) => {
        if (!tty) return;
        process.stdout.write(`\r\x1b[K${text.slice(0, (process.stdout.columns || 100) - 1)}`);
        dirty = true;
      },
    });
    process.exitCode = outcome.exitCode;
  });

cli
  .command('bench report [...files]', 'The benchmark report page (self-contained HTML: throughput, latency, durability, history, targets) from result files; several files are compared side by side')
  .option('--results <dir>', 'where result files are (with no FILES: the newest one there; the history comes from the newest file\'s directory)', { default: 'bench/results' })
  .option('--out <file>', 'where the page goes (default: beside the newest file, <date>-<commit>.html)')
  .option('--svg [file]', 'also write the throughput comparison of the newest run as a standalone SVG (default: beside it, <date>-<commit>.svg)')
  .option('--open', 'open the page with xdg-open')
  .action(async (files: string[], opts: Record<string, unknown>) => {
    const { runReport } = await import('../bench/report-page/report-command.js');
    await runReport(
      {
        files,
        resultsDir: String(opts.results),
        ...(typeof opts.out === 'string' ? { out: opts.out } : {}),
        ...(opts.svg === true || typeof opts.svg === 'string' ? { svg: opts.svg } : {}),
        open: opts.open === true,
      },
      (line) => process.stdout.write(line + '\n'),
    );
  });

cli.command('log <dir>', "Print a node's Raft log, one entry a line (index, term, kind, checksum, command)").action(async (dir: string) => {
  await printLog(path.resolve(dir), (line) => process.stdout.write(line + '\n'));
});

/** The router of a sharded cluster, in this process (see src/start/run-router.ts for why). */
/** TLS for the router's fronts and its calls to shards, and its users' tokens. */
type RouterSecurity = Pick<RunRouterOptions, 'tls' | 'auth'>;

async function startClusterRouter(config: ClusterConfig, clusterToken: string, security: RouterSecurity, print: (r: LogRecord) => void, level: LogRecord['level'], listen: { http?: string; resp?: string } = {}): Promise<RunningRouter> {
  const logger = makeLogger(print, level, { id: 'router' });
  const running = await runRouter({ config, clusterToken, logger, ...security, ...listen });
  logger.info('router listening', { http: running.httpAddr, ...(running.respAddr ? { resp: running.respAddr } : {}), shards: config.shards!.map((s) => `${s.id}:${formatSlotRanges(s.slots)}`).join(' ') });
  return running;
}

/** --apply-batch-ms, checked by the config file's own applyBatchMs rule. */
function applyBatchMs(v: string | number | boolean | undefined): number {
  const ms = clusterConfigSchema.shape.applyBatchMs.safeParse(Number(v));
  if (!ms.success) throw new Error(`--apply-batch-ms ${String(v)}: ${ms.error.issues.map((i) => i.message).join('; ')}`);
  return ms.data;
}

/** cac matches one word per command: `bench report` (and `chaos report`) are joined into the name they are registered under. */
function subcommandArgs(argv: string[]): string[] {
  const [cmd, sub] = [argv[2], argv[3]];
  if ((cmd === 'bench' || cmd === 'chaos') && sub === 'report') return [...argv.slice(0, 2), `${cmd} report`, ...argv.slice(4)];
  return argv;
}

cli.help();
cli.version('0.1.0');
try {
  cli.parse(subcommandArgs([...process.argv.slice(0, 2), ...normalizeArgv(process.argv.slice(2))]), { run: false });
  if (cli.matchedCommand) await cli.runMatchedCommand();
  else if (!cli.options.help && !cli.options.version) {
    // Nothing to run: say so, show what there is, and fail, so a script with a typo does not pass.
    if (cli.args.length > 0) console.error(`raftkv: unknown command ${JSON.stringify(cli.args[0])}`);
    cli.outputHelp();
    process.exitCode = 2;
  }
} catch (e) {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(`raftkv: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}

/** The token given on the command line or in the environment, if any. */
function givenToken(opts: Record<string, unknown>): string | undefined {
  const given = typeof opts.token === 'string' ? opts.token : process.env.RAFTKV_CLUSTER_TOKEN || undefined;
  if (given === undefined && typeof opts.tokenFile === 'string') return readFileSync(opts.tokenFile, 'utf8').trim();
  return given;
}

/**
 * The TLS, auth and --insecure flags of `raftkv node` and `raftkv router`
 * (`-tls-ca` or `--tls-ca`: cli-argv.ts makes Go's spelling ours), checked,
 * and the refusal to listen beyond loopback without them.
 */
function flagSecurity(opts: Record<string, unknown>, addrs: Partial<Record<string, string>>, logger: Logger, base: RouterSecurity = {}): RouterSecurity {
  const files = [opts.tlsCa, opts.tlsCert, opts.tlsKey];
  if (files.some((f) => typeof f === 'string') && !files.every((f) => typeof f === 'string')) throw new Error('TLS needs all three of --tls-ca, --tls-cert and --tls-key');
  const settings = { tls: typeof opts.tlsCa === 'string' || base.tls !== undefined, auth: typeof opts.authTokenFile === 'string' || base.auth !== undefined, insecure: opts.insecure === true };
  const listening = Object.entries(addrs).flatMap(([k, addr]) => (addr === undefined ? [] : [{ where: `--${k}`, addr }]));
  const exposed = exposedListeners(listening, settings);
  if (exposed.length > 0) throw new Error(exposureError(exposed, settings, { tls: '--tls-ca/--tls-cert/--tls-key', auth: '--auth-token-file', insecure: '--insecure' }));
  const open = nonLoopback(listening);
  if (settings.insecure && open.length > 0 && !(settings.tls && settings.auth)) logger.warn(insecureWarning(open, settings));
  const hosts = listening.map((l) => ({ host: bareHost(l.addr), where: l.where }));
  return {
    ...base,
    ...(typeof opts.tlsCa === 'string' ? { tls: loadTlsMaterial({ ca: opts.tlsCa, cert: String(opts.tlsCert), key: String(opts.tlsKey) }, process.cwd(), hosts) } : {}),
    ...(typeof opts.authTokenFile === 'string' ? { auth: loadAuthTable({ tokenFile: opts.authTokenFile }, process.cwd()) } : {}),
  };
}

/**
 * The token of `raftkv node`: given (--token, RAFTKV_CLUSTER_TOKEN, --token-file),
 * else the one kept in the data directory, else (founding a cluster) a new one.
 * A node keeps the token it was given in its data directory, so a restart needs none.
 */
function nodeToken(opts: Record<string, unknown>, dir: string | undefined, joining: boolean, logger: Logger): string {
  const file = dir ? path.join(dir, 'cluster.token') : undefined;
  const given = givenToken(opts);
  if (given !== undefined) {
    clusterIdentity(given);
    if (file) {
      mkdirSync(path.dirname(file), { recursive: true });
      if (!existsSync(file)) writeFileSync(file, `${given}\n`, { mode: 0o600 });
      else if (readFileSync(file, 'utf8').trim() !== given) throw new Error(`${file} holds another cluster's token; this data directory belongs to that cluster`);
    }
    return given;
  }
  if (file && existsSync(file)) return loadOrCreateToken(file);
  if (joining) throw new Error('a joining node needs the cluster token: --token, --token-file or RAFTKV_CLUSTER_TOKEN (the founding node keeps it in its DIR/cluster.token)');
  if (!file) {
    const token = newClusterToken();
    logger.info('new cluster token; other nodes join with --token', { token });
    return token;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const token = loadOrCreateToken(file);
  logger.info('new cluster token; other nodes join with --token-file', { file });
  return token;
}
