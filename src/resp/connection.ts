// One client connection: it parses every complete command of each chunk,
// runs them in order in "runs" (a run is consecutive writes, or consecutive
// reads, with the local commands among them), and answers strictly in order.
// All writes of a run go to Raft together, as one batch proposal; all reads
// of a run share one read barrier. A run starts only after the previous one
// answered, so a read sees the writes sent before it on its connection and
// never those sent after it.

import type net from 'node:net';
import type { KvCommand, KvResult } from '../node/kv-state.js';
import { join, type Reply } from './encoder.js';
import { respErrorReply } from './errors-resp.js';
import { RespParser, type RespParserLimits } from './parser.js';
import { keyArg, type ClientState, type Command, type CommandContext, type ServerView, type WriteCommand } from './command.js';
import { NodeError } from '../node/errors.js';

/** Commands read but not yet run, past which the connection stops reading (backpressure). */
const MAX_QUEUED = 4096;
/** Commands in one run, so one huge pipeline still answers in steps. */
const MAX_RUN = 1024;
/** Commands, and argument bytes, in one batch proposal (several batches of one run are proposed together). */
const MAX_BATCH_COMMANDS = 256;
const MAX_BATCH_BYTES = 512 * 1024;

interface Resolved {
  args: Buffer[];
  cmd?: Command;
  /** The answer, when it is known before running (unknown command, wrong arity). */
  reply?: Reply;
}

export class RespConnection {
  readonly client: ClientState;
  readonly #socket: net.Socket;
  readonly #server: ServerView;
  readonly #parser: RespParser;
  readonly #ctx: CommandContext;
  /**
   * A follower forwards a batch as one command in one HTTP body, which the
   * leader accepts up to 64 × maxBodyBytes for up to 64 commands: half the
   * bulk limit per batch leaves room for the JSON around it.
   */
  readonly #batchBytes: number;
  #queue: Buffer[][] = [];
  #head = 0;
  #running = false;
  #closed = false;
  /** The client shut its side: answer what it sent, then end. */
  #ended = false;
  #paused = false;
  #protocolError: Error | undefined;

  constructor(socket: net.Socket, server: ServerView, id: number, limits: RespParserLimits) {
    this.#socket = socket;
    this.#server = server;
    this.#parser = new RespParser(limits);
    this.#batchBytes = Math.min(MAX_BATCH_BYTES, Math.floor(limits.maxBulkBytes / 2));
    this.client = { id, addr: `${socket.remoteAddress}:${socket.remotePort}`, connectedAt: Date.now(), name: '', level: 'linearizable', quit: false };
    this.#ctx = { client: this.client, server };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#ended = true;
      void this.#pump();
    });
    // A reset connection ('error' then 'close') only stops this connection.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
    });
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed || this.#protocolError) return;
    const { commands, error } = this.#parser.feed(chunk);
    for (const c of commands) this.#queue.push(c);
    if (error) {
      this.#protocolError = error;
      this.#socket.pause();
    } else if (this.#queue.length - this.#head > MAX_QUEUED && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      // Every complete command that arrived runs, even when the client has
      // gone meanwhile: what is applied does not depend on when it left.
      while (this.#head < this.#queue.length) {
        const run = this.#takeRun();
        const reply = await this.#execute(run);
        if (this.client.quit) {
          // QUIT ends the run it is in: nothing after it runs.
          if (!this.#closed) this.#socket.end(reply);
          this.#closed = true;
          this.#queue = [];
          this.#head = 0;
          return;
        }
        if (this.#closed) continue;
        if (!this.#socket.write(reply)) await this.#drained();
        if (this.#paused && this.#queue.length - this.#head <= MAX_QUEUED / 2) {
          this.#paused = false;
          this.#socket.resume();
        }
      }
      this.#queue = [];
      this.#head = 0;
      if (this.#closed) return;
      if (this.#protocolError) {
        // Redis answers a broken frame with the error, then closes.
        this.#socket.end(respErrorReply(this.#protocolError));
        this.#closed = true;
      } else if (this.#ended) {
        this.#socket.end();
        this.#closed = true;
      }
    } finally {
      this.#running = false;
    }
  }

  #drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#socket.off('drain', done);
        this.#socket.off('close', done);
        resolve();
      };
      this.#socket.on('drain', done);
      this.#socket.on('close', done);
    });
  }

  /** The next run: consecutive writes or consecutive reads, with the local commands among them. */
  #takeRun(): Resolved[] {
    const run: Resolved[] = [];
    let phase: 'write' | 'read' | undefined;
    while (this.#head < this.#queue.length && run.length < MAX_RUN) {
      const r = this.#resolve(this.#queue[this.#head]!);
      const kind = r.cmd?.kind;
      if (kind === 'write' || kind === 'read') {
        if (phase !== undefined && phase !== kind) break;
        phase = kind;
      }
      run.push(r);
      this.#head++;
      if (r.cmd?.kind === 'local' && r.cmd.endsRun) break;
    }
    return run;
  }

  #resolve(args: Buffer[]): Resolved {
    const name = args[0]!.toString('latin1').toLowerCase();
    const cmd = this.#server.commands.get(name);
    if (!cmd) return { args, reply: this.#error(unknownCommand(args)) };
    if (cmd.arity > 0 ? args.length !== cmd.arity : args.length < -cmd.arity) {
      return { args, reply: this.#error(new NodeError('RAFTKV_ERR_BAD_REQUEST', `wrong number of arguments for '${name}' command`)) };
    }
    return { args, cmd };
  }

  async #execute(run: Resolved[]): Promise<Reply> {
    const replies: Reply[] = new Array<Reply>(run.length);
    const writes: { i: number; cmd: WriteCommand; kv: KvCommand; bytes: number }[] = [];
    let reads = false;
    // The keys the reads touch: a node of a sharded cluster refuses keys of other shards.
    const readKeys: string[] = [];
    run.forEach((r, i) => {
      if (r.reply !== undefined) replies[i] = r.reply;
      else if (r.cmd!.kind === 'write') {
        try {
          writes.push({ i, cmd: r.cmd as WriteCommand, kv: (r.cmd as WriteCommand).prepare(r.args), bytes: argBytes(r.args) });
        } catch (e) {
          replies[i] = this.#error(e);
        }
      } else if (r.cmd!.kind === 'read') {
        reads = true;
        const [first, last, step] = r.cmd!.keys;
        if (first > 0) for (let k = first; k <= (last < 0 ? r.args.length + last : last) && k < r.args.length; k += Math.max(1, step)) readKeys.push(keyArg(r.args[k]!));
      }
    });
    if (writes.length > 0) await this.#propose(writes, replies);
    let barrierError: Reply | undefined;
    if (reads) {
      try {
        await this.#server.node.readBarrier(this.client.level, readKeys);
      } catch (e) {
        barrierError = this.#error(e);
      }
    }
    const kv = this.#server.node.kv;
    run.forEach((r, i) => {
      if (replies[i] !== undefined) return;
      const cmd = r.cmd!;
      try {
        if (cmd.kind === 'read') replies[i] = barrierError ?? cmd.read(r.args, kv);
        else if (cmd.kind === 'local') replies[i] = cmd.run(r.args, this.#ctx);
      } catch (e) {
        replies[i] = this.#error(e);
      }
    });
    return join(replies);
  }

  /** Propose the writes of a run: one command alone, several as batches, every batch in the same turn. */
  async #propose(writes: { i: number; cmd: WriteCommand; kv: KvCommand; bytes: number }[], replies: Reply[]): Promise<void> {
    const node = this.#server.node;
    const answer = (w: (typeof writes)[number], result: KvResult): void => {
      try {
        replies[w.i] = w.cmd.reply(result);
      } catch (e) {
        replies[w.i] = this.#error(e);
      }
    };
    if (writes.length === 1) {
      const w = writes[0]!;
      try {
        answer(w, await node.propose(w.kv));
      } catch (e) {
        replies[w.i] = this.#error(e);
      }
      return;
    }
    const batches: (typeof writes)[] = [];
    let bytes = 0;
    for (const w of writes) {
      const last = batches[batches.length - 1];
      if (!last || last.length >= MAX_BATCH_COMMANDS || bytes + w.bytes > this.#batchBytes) {
        batches.push([w]);
        bytes = w.bytes;
      } else {
        last.push(w);
        bytes += w.bytes;
      }
    }
    await Promise.all(
      batches.map(async (batch) => {
        try {
          const result = await node.propose(batch.length === 1 ? batch[0]!.kv : { op: 'batch', cmds: batch.map((w) => w.kv) });
          if (batch.length === 1) return answer(batch[0]!, result);
          if (!('results' in result)) {
            // The whole entry was refused (a stale session): every command gets that answer.
            for (const w of batch) answer(w, result);
            return;
          }
          batch.forEach((w, j) => answer(w, result.results[j]!));
        } catch (e) {
          const reply = this.#error(e);
          for (const w of batch) replies[w.i] = reply;
        }
      }),
    );
  }

  #error(e: unknown): string {
    return respErrorReply(e, (id) => this.#server.respOf(id));
  }
}

function argBytes(args: Buffer[]): number {
  let n = 0;
  for (const a of args) n += a.length;
  return n;
}

function unknownCommand(args: Buffer[]): NodeError {
  const shown = args
    .slice(1, 20)
    .map((a) => `'${a.toString('utf8').slice(0, 128)}' `)
    .join('');
  return new NodeError('RAFTKV_ERR_BAD_REQUEST', `unknown command '${args[0]!.toString('utf8').slice(0, 128)}', with args beginning with: ${shown}`);
}
