// One redis-server on a loopback free port: with `appendfsync always` (every
// write on disk before the answer, as raftkv's fsync durability) or with no
// persistence at all.

import path from 'node:path';
import type { Child, ChildProcesses } from './child-processes.js';
import { tailOf, type Endpoint } from './endpoint.js';
import { sleep } from '../../src/kit/wait.js';
import { freePorts } from '../../src/kit/ports.js';
import { respPing } from './resp-ping.js';

export type RedisPersistence = 'always' | 'none';

export class RedisServer {
  readonly endpoint: Endpoint;
  readonly child: Child;
  readonly #procs: ChildProcesses;

  private constructor(endpoint: Endpoint, child: Child, procs: ChildProcesses) {
    this.endpoint = endpoint;
    this.child = child;
    this.#procs = procs;
  }

  static async start(o: { binary: string; procs: ChildProcesses; dir: string; persistence: RedisPersistence; startTimeoutMs?: number }): Promise<RedisServer> {
    const [port] = await freePorts(1);
    const persistence = o.persistence === 'always' ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
    const name = `redis-${o.persistence}`;
    const child = o.procs.spawn(name, o.binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', o.dir, '--save', '', ...persistence, '--daemonize', 'no', '--loglevel', 'warning'], path.join(o.dir, `${name}.log`));
    const endpoint: Endpoint = { id: name, host: '127.0.0.1', port: port! };
    const deadline = performance.now() + (o.startTimeoutMs ?? 20_000);
    while (performance.now() < deadline) {
      if (child.process.exitCode !== null) break;
      if (await respPing(endpoint.host, endpoint.port, 500)) return new RedisServer(endpoint, child, o.procs);
      await sleep(20);
    }
    await o.procs.stop(child);
    throw new Error(`${name} did not answer PING\n--- ${child.logFile}\n${await tailOf(child.logFile)}`);
  }

  async stop(): Promise<void> {
    await this.#procs.stop(this.child);
  }
}
