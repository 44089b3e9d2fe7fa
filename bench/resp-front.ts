// CPU per request of the RESP front alone: the front of src/resp over a stub
// node that answers every write and read at once (no Raft, no disk, no
// peers), driven by redis-benchmark. The cluster's numbers swing by ±10% on a
// shared machine; one thread doing only this swings far less, so changes to
// the front (parsing, replies, socket writes) can be measured here. Run it
// from two builds one after the other to compare them.
//
//   node dist/bench/resp-front.js [--seconds 3] [--rounds 5] [--pipeline 1] [--clients 50] [--test set]

import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Front } from '../src/api/front.js';
import { KvState, type KvCommand, type KvResult } from '../src/node/kv-state.js';
import { silentLogger } from '../src/common/logger.js';
import { startRespFront } from '../src/resp/server.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const SECONDS = Number(opt('--seconds', '3'));
const ROUNDS = Number(opt('--rounds', '5'));
const PIPELINE = Number(opt('--pipeline', '1'));
const CLIENTS = Number(opt('--clients', '50'));
const TEST = opt('--test', 'set');

const kv = new KvState(new Map([['key:__rand_int__', 'xxx']]));
const answer = (cmd: KvCommand): KvResult => (cmd.op === 'batch' ? { ok: true, results: cmd.cmds.map(() => ({ ok: true as const })) } : { ok: true });
const node: Front = {
  propose: (cmd) => Promise.resolve(answer(cmd)),
  read: () => Promise.resolve(kv),
  status: () => {
    throw new Error('not used by this bench');
  },
};

function run(port: number, requests: number): Promise<{ rps: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-c', String(CLIENTS), '-n', String(requests), '-P', String(PIPELINE), '-t', TEST, '--csv'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => /^"(SET|GET)"/.test(l));
      if (code !== 0 || !line) return reject(new Error(`redis-benchmark exited ${code}: ${out.slice(-200)}`));
      resolve({ rps: Number(line.split(',')[1]!.replace(/"/g, '')), wallMs: performance.now() - t0 });
    });
  });
}

const front = await startRespFront({ host: '127.0.0.1', port: 0, front: node, logger: silentLogger });
try {
  const probe = await run(front.port, 20_000);
  const requests = Math.max(10_000, Math.round(probe.rps * SECONDS));
  await run(front.port, requests);
  const us: number[] = [];
  const rps: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = process.cpuUsage();
    const res = await run(front.port, requests);
    const c = process.cpuUsage(c0);
    us.push((c.user + c.system) / requests);
    rps.push(res.rps);
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  console.log(
    `resp-front ${TEST} -c ${CLIENTS} -P ${PIPELINE}: ${med(us).toFixed(2)} µs/request [${Math.min(...us).toFixed(2)}-${Math.max(...us).toFixed(2)}], ${med(rps).toFixed(0)} req/s; load ${os.loadavg()[0]!.toFixed(2)}`,
  );
} finally {
  await front.close();
}
