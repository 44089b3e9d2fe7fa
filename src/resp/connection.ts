// One client connection: it parses every complete command of each chunk,
// runs them in order in "runs" (a run is consecutive writes, or consecutive
// reads, with the local commands among them), and answers strictly in order.
// All writes of a run go to Raft together, as one batch proposal; all reads
// of a run share one read barrier. A run starts only after the previous one
// answered, so a read sees the writes sent before it on its connection and
// never those sent after it. Replies of runs that did not have to wait
// leave together, in one socket write.
//
// Nothing a client sends may stop the node: every exception of a command
// becomes that command's error reply, and the connection's own loop catches
// the rest and closes only this connection.

import type net from 'node:net';
import { keyTooLong } from '../api/kv-rules.js';
import type { KvView } from '../api/front.js';
import type { KvCommand, KvResult } from '../node/kv-state.js';
import type { Limits } from '../common/limits.js';
import type { Logger } from '../common/logger.js';
import { RaftError } from '../raft/errors.js';
import { errorReply, join, type Reply } from './encoder.js';
import { RespError, respErrorReply } from './errors-resp.js';
import { roleAllows } from '../security/auth.js';
import { RespParser, type ParseResult } from './parser.js';
import { ReplyTooLarge, keyArg, wrongArity, type ClientState, type Command, type CommandContext, type ServerView, type WriteCommand } from './command.js';
import { NodeError, badRequest, tooLarge, unauthenticated } from '../common/errors.js';
import type { Outcome } from '../node/request-meter.js';
import { RespTransaction } from './transaction.js';
import { ALLOWED_WHILE_SUBSCRIBED } from './commands/pubsub.js';

/** Commands read but not yet run, past which the connection stops reading (backpressure). */
const MAX_QUEUED = 4096;
/** Argument bytes read but not yet run, past which it stops reading too: a few big commands are as heavy as many small ones. */
const MAX_QUEUED_BYTES = 64 << 20;
/** Gathered replies past this many bytes are written before the next run, waiting or not. */
const FLUSH_BYTES = 64 * 1024;
/** Commands in one run, so one huge pipeline still answers in steps. */
const MAX_RUN = 1024;
/** Commands, and argument bytes, in one batch proposal (several batches of one run are proposed together). */
const MAX_BATCH_COMMANDS = 256;
const MAX_BATCH_BYTES = 512 * 1024;

export interface ConnectionOptions {
  limits: Readonly<Limits>;
  /** Largest bulk string (a value, a key); a larger one is a protocol error. */
  maxBulkBytes: number;
  logger: Logger;
}

interface Pending {
  i: number;
  cmd: WriteCommand;
  kv: KvCommand;
  bytes: number;
}

interface Resolved {
  args: Buffer[];
  cmd?: Command;
  /** The answer, when it is known before running (unknown command, wrong arity). */
  reply?: Reply;
  /** The connection's transaction runs it (MULTI ... EXEC), alone in its run. */
  txn?: boolean;
}

export class RespConnection {
  readonly client: ClientState;
  readonly #socket: net.Socket;
  readonly #server: ServerView;
  readonly #parser: RespParser;
  readonly #ctx: CommandContext;
  readonly #limits: Readonly<Limits>;
  readonly #logger: Logger;
  /** The answer to a reply past limits.maxReplyBytes. */
  readonly #replyTooLarge: string;
  /**
   * A follower forwards a batch as one command in one HTTP body, which the
   * leader accepts up to 64 × maxBodyBytes for up to 64 commands: half the
   * bulk limit per batch leaves room for the JSON around it.
   */
  readonly #batchBytes: number;
  #queue: Buffer[][] = [];
  #head = 0;
  #queuedBytes = 0;
  #running = false;
  #closed = false;
  /** The client shut its side: answer what it sent, then end. */
  #ended = false;
  #paused = false;
  #protocolError: Error | undefined;
  /** Commands read so far: only the first may be an HTTP request line. */
  #seen = 0;
  /** HTTP came in: answer what came before it, then close without a word. */
  #refused = false;
  /** Replies not yet written: the runs that did not wait, since the last write (see #pump). */
  #out: Reply[] = [];
  #outBytes = 0;
  /** Bytes of the reply #finish built last. */
  #replyBytes = 0;
  readonly #txn = new RespTransaction();

  constructor(socket: net.Socket, server: ServerView, id: number, opts: ConnectionOptions) {
    const limits = opts.limits;
    this.#socket = socket;
    this.#server = server;
    this.#limits = limits;
    this.#logger = opts.logger;
    this.#replyTooLarge = errorReply(`ERR reply exceeds the limit of ${limits.maxReplyBytes} bytes (limits.maxReplyBytes)`);
    this.#parser = new RespParser({ maxBulkBytes: opts.maxBulkBytes, maxArgs: limits.maxArgs, maxInlineBytes: limits.maxInlineBytes, maxCommandBytes: limits.maxCommandBytes });
    this.#batchBytes = Math.min(MAX_BATCH_BYTES, Math.floor(opts.maxBulkBytes / 2));
    this.client = {
      id,
      addr: `${socket.remoteAddress}:${socket.remotePort}`,
      connectedAt: Date.now(),
      name: '',
      level: 'linearizable',
      quit: false,
      push: (reply) => {
        if (this.#closed) return;
        // A subscriber that does not read its notifications is dropped rather than buffered without end.
        if (this.#socket.writableLength > this.#limits.maxReplyBytes) this.destroy();
        else this.#socket.write(reply);
      },
    };
    this.#ctx = { client: this.client, server };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#ended = true;
      // As Redis frees a client at EOF: a blocked command stops waiting (the socket closes only once the pump ends it).
      this.client.closed = true;
      void this.#pump();
    });
    // A reset connection ('error' then 'close') only stops this connection.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.client.subscriptions?.close();
      this.client.closed = true;
    });
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs);
      socket.on('timeout', () => this.#onIdle());
    }
  }

  destroy(): void {
    this.#closed = true;
    this.#socket.destroy();
  }

  /**
   * No input or output for limits.idleTimeoutMs. A running command is not
   * idleness (its reply re-arms the timer); a connection this side ended
   * and the client keeps half open is.
   */
  #onIdle(): void {
    if (this.#running) return;
    this.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closed || this.#protocolError || this.#refused) return;
    let parsed: ParseResult;
    try {
      parsed = this.#parser.feed(chunk);
    } catch (e) {
      // The parser words every bad input as a protocol error: anything else is its bug.
      this.#crashed('RESP parser crashed', e);
      return;
    }
    const { commands, error } = parsed;
    for (const c of commands) {
      if (crossProtocol(c, this.#seen++ === 0)) {
        // An HTTP request (a browser tricked into posting to this port): run none of it.
        this.#logger.warn('Possible SECURITY ATTACK detected: an HTTP request line or header on the RESP port; closing the connection', { client: this.client.addr, line: c.map((a) => a.toString('latin1', 0, 64)).join(' ').slice(0, 128) });
        this.#refused = true;
        this.#socket.pause();
        break;
      }
      this.#queue.push(c);
      this.#queuedBytes += argBytes(c);
    }
    if (this.#refused) {
      // Nothing more is read; the commands before it are answered, as Redis does.
    } else if (error) {
      this.#protocolError = error;
      this.#socket.pause();
    } else if ((this.#queue.length - this.#head > MAX_QUEUED || this.#queuedBytes > MAX_QUEUED_BYTES) && !this.#paused) {
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
        // The replies gathered so far go before a run that may wait (on Raft, on
        // a read barrier): no reply waits for a later one. Runs that do not wait
        // (local commands, reads at level stale or leader) add theirs, and all
        // leave in one socket write, one syscall.
        if (this.#out.length > 0 && (this.#mayWait(run) || this.#outBytes >= FLUSH_BYTES) && !this.#flush()) await this.#drained();
        const reply = await this.#execute(run);
        if (this.client.quit) {
          // QUIT ends the run it is in: nothing after it runs.
          if (!this.#closed) this.#socket.end(this.#takeOut(reply));
          this.#closed = true;
          this.#queue = [];
          this.#head = 0;
          this.#queuedBytes = 0;
          return;
        }
        if (this.#closed) {
          this.#takeOut();
          continue;
        }
        this.#out.push(reply);
        this.#outBytes += this.#replyBytes;
        if (this.#paused && this.#queue.length - this.#head <= MAX_QUEUED / 2 && this.#queuedBytes <= MAX_QUEUED_BYTES / 2) {
          this.#paused = false;
          this.#socket.resume();
        }
      }
      this.#queue = [];
      this.#head = 0;
      this.#queuedBytes = 0;
      if (this.#closed) {
        this.#takeOut();
        return;
      }
      if (this.#out.length > 0 && !this.#flush()) await this.#drained();
      if (this.#closed) return;
      if (this.#refused) {
        this.#socket.end();
        this.#closed = true;
      } else if (this.#protocolError) {
        // Redis answers a broken frame with the error, then closes.
        this.#socket.end(respErrorReply(this.#protocolError));
        this.#closed = true;
      } else if (this.#ended) {
        this.#socket.end();
        this.#closed = true;
      }
    } catch (e) {
      // Commands answer their own errors: this is a bug of the loop, and only this connection ends.
      this.#crashed('RESP connection crashed', e);
    } finally {
      this.#running = false;
    }
  }

  /** Whether a run can wait before it is answered: a write goes through Raft, a linearizable read through a barrier. */
  #mayWait(run: readonly Resolved[]): boolean {
    for (const r of run) {
      if (r.txn) return true;
      const kind = r.cmd?.kind;
      if (kind === 'write' || kind === 'blocking' || (kind === 'read' && this.client.level === 'linearizable')) return true;
    }
    return false;
  }

  /** The gathered replies (and `last`) as one, emptying the gathering. */
  #takeOut(last?: Reply): Reply {
    const out = this.#out;
    if (last !== undefined) out.push(last);
    this.#out = [];
    this.#outBytes = 0;
    return out.length === 1 ? out[0]! : join(out);
  }

  /** Write the gathered replies; false when the socket asks to wait for 'drain'. */
  #flush(): boolean {
    return this.#socket.write(this.#takeOut());
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
      if (this.#txn.captures(r)) {
        // A transaction's command runs alone: MULTI changes what the commands after it do.
        if (run.length > 0) break;
        r.txn = true;
        run.push(r);
        this.#head++;
        this.#queuedBytes -= argBytes(r.args);
        break;
      }
      const kind = r.cmd?.kind;
      // A blocking command runs alone.
      if (kind === 'blocking' && run.length > 0) break;
      if (kind === 'write' || kind === 'read') {
        if (phase !== undefined && phase !== kind) break;
        phase = kind;
      }
      run.push(r);
      this.#head++;
      this.#queuedBytes -= argBytes(r.args);
      if ((r.cmd?.kind === 'local' && r.cmd.endsRun) || kind === 'blocking') break;
    }
    return run;
  }

  #resolve(args: Buffer[]): Resolved {
    const name = args[0]!.toString('latin1').toLowerCase();
    const auth = this.#server.auth;
    // As Redis with requirepass: nothing but logging in (or leaving) before a login, not even an unknown command's error.
    if (auth && this.client.user === undefined && !BEFORE_LOGIN.has(name)) return { args, reply: this.#error(unauthenticated('Authentication required.')) };
    const cmd = this.#server.commands.get(name);
    if (!cmd) return { args, reply: this.#error(unknownCommand(args)) };
    const user = this.client.user;
    // A blocking command pops (BLPOP, BRPOP, BLMOVE): a write too.
    if (user && (cmd.kind === 'write' || cmd.kind === 'blocking') && !roleAllows(user.role, 'write')) {
      return { args, reply: this.#error(new RespError('NOPERM', `User ${user.user} has no permissions to run the '${name}' command`)) };
    }
    if (cmd.arity > 0 ? args.length !== cmd.arity : args.length < -cmd.arity) {
      return { args, reply: this.#error(wrongArity(name)) };
    }
    const bad = this.#checkArgs(cmd, args);
    if (bad) return { args, reply: this.#error(bad) };
    if ((this.client.subscriptions?.count ?? 0) > 0 && !ALLOWED_WHILE_SUBSCRIBED.has(name)) {
      return { args, reply: this.#error(badRequest(`Can't execute '${name}': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT are allowed in this context`)) };
    }
    return { args, cmd };
  }

  /**
   * Keys (empty, or past limits.maxKeyBytes) and the values of writes (past
   * limits.maxValueBytes), for every command alike from its key positions,
   * in bytes as sent; before anything runs, so a read's keys are sound for
   * its read barrier.
   */
  #checkArgs(cmd: Command, args: Buffer[]): NodeError | undefined {
    const [first, last, step] = cmd.keys;
    const lastKey = last < 0 ? args.length + last : last;
    const { maxKeyBytes, maxValueBytes } = this.#limits;
    for (let i = 1; i < args.length; i++) {
      const n = args[i]!.length;
      if (first > 0 && i >= first && i <= lastKey && (i - first) % Math.max(1, step) === 0) {
        if (n === 0) return badRequest('the key is empty');
        if (n > maxKeyBytes) return keyTooLong(maxKeyBytes);
      } else if ((cmd.kind === 'write' || cmd.kind === 'blocking') && n > maxValueBytes) {
        return tooLarge(`the value is longer than ${maxValueBytes} bytes (limits.maxValueBytes)`);
      }
    }
    return undefined;
  }

  async #execute(run: Resolved[]): Promise<Reply> {
    const meters = this.#server.meters;
    if (!meters) return this.#executeRun(run, new Array<Reply>(run.length));
    const startedAt = performance.now();
    const replies = new Array<Reply>(run.length);
    const reply = await this.#executeRun(run, replies);
    for (let i = 0; i < run.length; i++) {
      const cmd = run[i]!.cmd;
      (cmd ? (meters.of.get(cmd) ?? meters.unknown) : meters.unknown).done(respOutcome(replies[i]!), startedAt);
    }
    return reply;
  }

  async #executeRun(run: Resolved[], replies: Reply[]): Promise<Reply> {
    const only = run.length === 1 ? run[0]! : undefined;
    const blocking = only?.cmd?.kind === 'blocking' ? only.cmd : undefined;
    // A transaction's command, or a blocking one, runs alone (#takeRun); in MULTI a blocking command is queued.
    if (only && (only.txn || blocking)) {
      let reply: Reply;
      try {
        reply = blocking && !only.txn ? await blocking.run(only.args, this.#ctx) : await this.#txn.run(only, this.#server.front, this.client.level, (e) => this.#commandError(e, undefined));
      } catch (e) {
        reply = this.#commandError(e, run[0]!.args);
      }
      this.#replyBytes = typeof reply === 'string' ? Buffer.byteLength(reply) : reply.length;
      replies[0] = reply;
      return reply;
    }
    const writes: Pending[] = [];
    let reads = false;
    // The keys the reads touch: a node of a sharded cluster refuses keys of other shards.
    const readKeys: string[] = [];
    for (let i = 0; i < run.length; i++) {
      const r = run[i]!;
      if (r.reply !== undefined) {
        replies[i] = r.reply;
        continue;
      }
      const cmd = r.cmd!;
      const keysBefore = readKeys.length;
      try {
        if (cmd.kind === 'write') writes.push({ i, cmd, kv: cmd.prepare(r.args), bytes: argBytes(r.args) });
        else if (cmd.kind === 'read') {
          const [first, last, step] = cmd.keys;
          if (first > 0) for (let k = first; k <= (last < 0 ? r.args.length + last : last) && k < r.args.length; k += Math.max(1, step)) readKeys.push(keyArg(r.args[k]!));
          reads = true;
        }
      } catch (e) {
        // This command is answered now; none of its keys go to the barrier.
        readKeys.length = keysBefore;
        replies[i] = this.#commandError(e, r.args);
      }
    }
    if (writes.length > 0) await this.#propose(writes, replies);
    let view: KvView | undefined;
    let barrierError: Reply | undefined;
    if (reads) {
      try {
        view = await this.#server.front.read(this.client.level, readKeys);
      } catch (e) {
        barrierError = this.#commandError(e, undefined);
      }
    }
    return this.#finish(run, replies, view, barrierError);
  }

  /**
   * Run the reads and local commands, and join every reply, checking sizes
   * as they come: the replies of a run and what the socket still holds stay
   * within limits.maxReplyBytes, and the reply that would cross it is an error.
   */
  #finish(run: Resolved[], replies: Reply[], view: KvView | undefined, barrierError: Reply | undefined): Reply {
    let room = this.#limits.maxReplyBytes - this.#socket.writableLength - this.#outBytes;
    const start = room;
    for (let i = 0; i < run.length; i++) {
      let reply = replies[i];
      if (reply === undefined) {
        const r = run[i]!;
        const cmd = r.cmd!;
        try {
          if (cmd.kind === 'read') reply = barrierError ?? cmd.read(r.args, view!, room);
          else if (cmd.kind === 'local') reply = cmd.run(r.args, this.#ctx);
          else throw new Error(`the write ${cmd.name} got no reply`);
        } catch (e) {
          reply = this.#commandError(e, r.args);
        }
      }
      let bytes = typeof reply === 'string' ? Buffer.byteLength(reply) : reply.length;
      if (bytes > room) {
        reply = this.#replyTooLarge;
        bytes = reply.length;
      }
      room -= bytes;
      replies[i] = reply;
    }
    this.#replyBytes = start - room;
    return join(replies);
  }

  /** Propose the writes of a run: one command alone, several as batches, every batch in the same turn. */
  async #propose(writes: Pending[], replies: Reply[]): Promise<void> {
    const front = this.#server.front;
    const answer = (w: Pending, result: KvResult | undefined): void => {
      try {
        if (result === undefined) throw new Error('a batch answered fewer results than it had commands');
        replies[w.i] = w.cmd.reply(result);
      } catch (e) {
        replies[w.i] = this.#commandError(e, [Buffer.from(w.cmd.name)]);
      }
    };
    if (writes.length === 1) {
      const w = writes[0]!;
      try {
        answer(w, await front.propose(w.kv));
      } catch (e) {
        replies[w.i] = this.#commandError(e, [Buffer.from(w.cmd.name)]);
      }
      return;
    }
    const batches: Pending[][] = [];
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
          const result = await front.propose(batch.length === 1 ? batch[0]!.kv : { op: 'batch', cmds: batch.map((w) => w.kv) });
          if (batch.length === 1) return answer(batch[0]!, result);
          if (!('results' in result)) {
            // The whole entry was refused (a stale session): every command gets that answer.
            for (const w of batch) answer(w, result);
            return;
          }
          batch.forEach((w, j) => answer(w, result.results[j]));
        } catch (e) {
          const reply = this.#commandError(e, undefined);
          for (const w of batch) replies[w.i] = reply;
        }
      }),
    );
  }

  /** An error the node or a command meant (its reply), or an exception nobody meant: a bug, logged loudly. */
  #commandError(e: unknown, args: Buffer[] | undefined): string {
    if (e instanceof NodeError || e instanceof RaftError || e instanceof RespError) return this.#error(e);
    if (e instanceof ReplyTooLarge) return this.#replyTooLarge;
    const message = e instanceof Error ? e.message : String(e);
    this.#logger.error('RESP command crashed', { client: this.client.addr, command: args?.[0]?.toString('latin1', 0, 32), error: e instanceof Error ? (e.stack ?? message) : message });
    return errorReply(`ERR internal error: ${message}`);
  }

  #crashed(what: string, e: unknown): void {
    this.#logger.error(what, { client: this.client.addr, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.#takeOut();
    this.destroy();
  }

  #error(e: unknown): string {
    return respErrorReply(e, (id) => this.#server.respOf(id));
  }
}

const MINUS = 0x2d;
const T = 0x54;

/** An error reply is the client's, but TRYAGAIN and TIMEOUT (no leader, too slow) are the server's. */
function respOutcome(reply: Reply): Outcome {
  const first = typeof reply === 'string' ? reply.charCodeAt(0) : reply[0];
  if (first !== MINUS) return 'ok';
  const second = typeof reply === 'string' ? reply.charCodeAt(1) : reply[1];
  return second === T ? 'server_error' : 'client_error';
}

/** What a connection may send before it logged in. */
const BEFORE_LOGIN = new Set(['auth', 'hello', 'quit']);

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
  return badRequest(`unknown command '${args[0]!.toString('utf8').slice(0, 128)}', with args beginning with: ${shown}`);
}

const HTTP_VERSION = /^HTTP\/\d/i;

/**
 * Like Redis: a `POST` or `Host:` command anywhere, or a first line shaped
 * like an HTTP request line (`GET / HTTP/1.1`), is a browser or a proxy
 * talking HTTP to this port, possibly on an attacker's behalf.
 */
function crossProtocol(args: Buffer[], first: boolean): boolean {
  const name = args[0]!;
  if (name.length === 4 || name.length === 5) {
    const lower = name.toString('latin1').toLowerCase();
    if (lower === 'post' || lower === 'host:') return true;
  }
  if (!first || args.length !== 3) return false;
  const version = args[2]!;
  return version.length <= 16 && HTTP_VERSION.test(version.toString('latin1'));
}
