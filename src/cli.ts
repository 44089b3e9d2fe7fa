#!/usr/bin/env node
import { cac } from 'cac';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadClusterConfig } from './cluster/config.js';
import { startControlServer } from './cluster/control-server.js';
import { runCtl } from './cluster/ctl.js';
import { Launcher } from './cluster/launcher.js';
import { renderStatusTable } from './cluster/status-table.js';
import { formatRecord, makeLogger, type LogRecord } from './node/logger.js';
import { runNode } from './node/run-node.js';
import { printLog } from './storage/print-log.js';

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
  .option('--no-table', 'do not draw the live status table')
  .option('--log-level <level>', 'debug, info, warn or error', { default: 'info' })
  .action(async (opts: { config: string; fresh?: boolean; inmem?: boolean; logJson?: boolean; table: boolean; logLevel: string }) => {
    const { config, warnings } = loadClusterConfig(opts.config);
    for (const w of warnings) console.warn(`warning: ${w}`);
    const baseDir = path.dirname(path.resolve(opts.config));
    if (opts.fresh) rmSync(path.resolve(baseDir, config.dataDir), { recursive: true, force: true });
    const print = printer(opts.logJson === true);
    const launcher = new Launcher({ config, baseDir, onLog: print, logLevel: opts.logLevel as LogRecord['level'], inMemory: opts.inmem });
    const started = Date.now();
    await launcher.start();
    const [controlHost, controlPort] = splitAddr(config.control);
    const control = await startControlServer(launcher, controlHost, controlPort);
    print({ level: 'info', msg: 'cluster started', time: Date.now(), nodes: launcher.ids, ms: Date.now() - started, data: path.resolve(baseDir, config.dataDir), control: `${controlHost}:${control.port}` });
    const table = opts.table && process.stdout.isTTY;
    const timer = setInterval(async () => {
      if (!table) return;
      const statuses = await launcher.statuses();
      const rows = launcher.ids.map((id) => ({ id, state: launcher.stateOf(id), status: statuses.get(id), cutOff: launcher.isCutOff(id) }));
      process.stdout.write(`\n${renderStatusTable(rows)}\n\n`);
    }, 2000);
    let stopping = false;
    const shutdown = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      clearInterval(timer);
      print({ level: 'info', msg: `${signal}: stopping every node`, time: Date.now() });
      await control.close();
      await launcher.stop();
      print({ level: 'info', msg: 'cluster stopped', time: Date.now() });
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  });

cli
  .command('node [dir]', 'Run one node in this process (one node per machine)')
  .option('--id <id>', 'node id')
  .option('--http <addr>', 'HTTP API address', { default: '127.0.0.1:11000' })
  .option('--raft <addr>', 'Raft peer address', { default: '127.0.0.1:12000' })
  .option('--resp <addr>', 'Redis protocol address')
  .option('--join <addr>', 'HTTP address of a member to join through')
  .option('--inmem', 'keep the log and state in memory only')
  .option('--durability <d>', 'fsync or os', { default: 'fsync' })
  .option('--tick-ms <ms>', 'tick length', { default: 10 })
  .option('--log-json', 'print logs as JSON lines')
  .action(async (dir: string | undefined, opts: Record<string, string | boolean | undefined>) => {
    const id = String(opts.id ?? '');
    if (!id) throw new Error('--id is required');
    if (!dir && !opts.inmem) throw new Error('a data directory is required (or --inmem)');
    const addrs = { raft: String(opts.raft), http: String(opts.http), ...(opts.resp ? { resp: String(opts.resp) } : {}) };
    const logger = makeLogger(printer(opts.logJson === true), 'info', { id });
    const running = await runNode(
      {
        id,
        dir: path.resolve(dir ?? '.'),
        inMemory: opts.inmem === true,
        durability: opts.durability === 'os' ? 'os' : 'fsync',
        addrs,
        founders: opts.join ? undefined : { [id]: addrs },
        tickMs: Number(opts.tickMs),
        heartbeatTicks: 5,
        electionTicks: [30, 60],
        snapshotEvery: 10000,
        maxBodyBytes: 1 << 20,
        join: opts.join ? String(opts.join) : undefined,
      },
      logger,
    );
    logger.info('node listening', { http: running.http.port, raft: addrs.raft, ...(running.resp ? { resp: running.resp.port } : {}) });
    const shutdown = (): void => void running.stop().then(() => logger.info('node stopped'));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });

cli
  .command('ctl <command> [...args]', 'Fault injection on a running cluster: status | leader | kill N | restart N | pause N | resume N | partition A,B C | partition A->B | heal | delay MS [N..] | loss PCT [N..]')
  .option('--control <addr>', 'control API address (default: the config file\'s "control")')
  .option('--config <file>', 'cluster config file', { default: 'cluster.config.json' })
  .action(async (command: string, args: string[], opts: { control?: string; config: string }) => {
    const control = opts.control ?? loadClusterConfig(opts.config).config.control;
    process.stdout.write((await runCtl(control, command, args)) + '\n');
  });

cli.command('log <dir>', "Print a node's Raft log, one entry a line (index, term, kind, checksum, command)").action(async (dir: string) => {
  await printLog(path.resolve(dir), (line) => process.stdout.write(line + '\n'));
});

function splitAddr(addr: string): [string, number] {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

// hraftd spellings: -id -haddr -raddr -join DIR
function hraftdArgs(argv: string[]): string[] {
  const map: Record<string, string> = { '-id': '--id', '-haddr': '--http', '-raddr': '--raft', '-join': '--join', '-inmem': '--inmem' };
  if (!argv.slice(2).some((a) => a in map)) return argv;
  const out = argv.slice(0, 2);
  if (argv[2] !== 'node') out.push('node');
  for (const a of argv.slice(2)) out.push(map[a] ?? a);
  return out;
}

cli.help();
cli.version('0.1.0');
try {
  cli.parse(hraftdArgs(process.argv), { run: false });
  await cli.runMatchedCommand();
} catch (e) {
  if (e instanceof ConfigError) console.error(e.message);
  else console.error(`raftkv: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
