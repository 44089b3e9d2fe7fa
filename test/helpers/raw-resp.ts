// A pipelining RESP client that hands back each reply's raw bytes (for
// byte-for-byte comparison with a real Redis), and a redis-server a test
// starts on a free loopback port and stops by its PID.

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { frame, parseReply } from './resp-client.js';
import { freePorts } from '../../src/kit/ports.js';
import { sleep } from '../../src/kit/wait.js';

export class RawRespClient {
  readonly #socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiting: { n: number; resolve: (r: Buffer[]) => void; reject: (e: Error) => void } | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#check();
    });
    socket.on('error', (e) => this.#waiting?.reject(e));
    socket.on('close', () => this.#waiting?.reject(new Error('connection closed')));
  }

  static connect(port: number): Promise<RawRespClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawRespClient(s)));
      s.once('error', reject);
    });
  }

  /** Send the commands in one write; resolve with each reply's bytes, in order. */
  send(commands: readonly (readonly (string | Buffer)[])[]): Promise<Buffer[]> {
    if (this.#waiting) throw new Error('one pipeline at a time');
    return new Promise((resolve, reject) => {
      this.#waiting = { n: commands.length, resolve, reject };
      this.#socket.write(Buffer.concat(commands.map((c) => frame(...c))));
      this.#check();
    });
  }

  async one(...command: (string | Buffer)[]): Promise<Buffer> {
    return (await this.send([command]))[0]!;
  }

  #check(): void {
    const w = this.#waiting;
    if (!w) return;
    const out: Buffer[] = [];
    let pos = 0;
    while (out.length < w.n) {
      const r = parseReply(this.#buf, pos);
      if (!r) return;
      out.push(this.#buf.subarray(pos, r.next));
      pos = r.next;
    }
    this.#buf = this.#buf.subarray(pos);
    this.#waiting = undefined;
    w.resolve(out);
  }

  close(): void {
    this.#socket.destroy();
  }
}

export class RedisServer {
  readonly port: number;
  readonly #proc: ChildProcess;

  private constructor(port: number, proc: ChildProcess) {
    this.port = port;
    this.#proc = proc;
  }

  /** `extra`: more redis-server options, e.g. ['--appendonly', 'yes']. */
  static async start(dir: string, extra: string[] = []): Promise<RedisServer> {
    const [port] = await freePorts(1);
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
    const server = new RedisServer(port!, proc);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const c = await RawRespClient.connect(port!);
        const pong = await c.one('PING');
        c.close();
        if (pong.toString() === '+PONG\r\n') return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || proc.exitCode !== null) {
        server.stop();
        throw new Error(`redis-server did not start on port ${port}`);
      }
      await sleep(50);
    }
  }

  stop(): void {
    if (this.#proc.exitCode === null && this.#proc.pid !== undefined) process.kill(this.#proc.pid, 'SIGTERM');
  }
}

/** What a key holds, as read commands show it, whatever its type. */
export function dumpCommands(key: string | Buffer): (string | Buffer)[][] {
  return [['type', key], ['hgetall', key], ['lrange', key, '0', '-1'], ['smembers', key], ['zrange', key, '0', '-1', 'WITHSCORES'], ['get', key], ['pexpiretime', key]];
}
