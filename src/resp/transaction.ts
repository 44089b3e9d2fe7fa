// MULTI / EXEC / DISCARD / WATCH / UNWATCH for one RESP connection, with
// Redis's semantics: between MULTI and EXEC commands are queued (+QUEUED),
// a command refused while queuing (unknown, wrong arity, bad arguments)
// makes EXEC answer EXECABORT, and EXEC answers nil when a watched key
// changed since WATCH. EXEC is one state machine `txn` (src/node/txn.ts):
// each watched key's revision must be the one WATCH saw, then every queued
// command runs, all in one log entry, so no reader sees half of it.

import type { Front } from '../api/front.js';
import type { KvCommand, KvResult, TxnCompare } from '../node/kv-state.js';
import type { ReadLevel } from '../node/types.js';
import { EMPTY_ARRAY, NIL_ARRAY, OK, array, simple, type Reply } from './encoder.js';
import { RespError } from './errors-resp.js';
import { keyArg, type Command } from './command.js';

export type TransactionVerb = 'multi' | 'exec' | 'discard' | 'watch' | 'unwatch';

interface Queued {
  kv: KvCommand;
  reply(r: KvResult): Reply;
}

/** A command as the connection resolved it: the command, or the error it already answers. */
export interface TxnInput {
  args: Buffer[];
  cmd?: Command;
  reply?: Reply;
}

export class RespTransaction {
  /** The queued commands while in MULTI; undefined outside. */
  #queued: Queued[] | undefined;
  #dirty = false;
  /** Watched key -> the revision WATCH saw (0: absent). */
  readonly #watched = new Map<string, number>();

  /** Whether this command is the transaction's to run (a transaction verb, or anything while in MULTI but QUIT). */
  captures(r: TxnInput): boolean {
    const verb = r.cmd?.kind === 'local' ? r.cmd.transaction : undefined;
    if (verb !== undefined) return true;
    return this.#queued !== undefined && r.cmd?.name !== 'quit';
  }

  /**
   * Run a captured command. `error` words what a command throws (the
   * connection's mapping); what this throws is the command's error reply.
   */
  async run(r: TxnInput, front: Front, level: ReadLevel, error: (e: unknown) => Reply): Promise<Reply> {
    const cmd = r.cmd;
    const verb = cmd?.kind === 'local' ? cmd.transaction : undefined;
    switch (verb) {
      case 'multi':
        if (this.#queued !== undefined) throw new RespError('ERR', 'MULTI calls can not be nested');
        this.#queued = [];
        this.#dirty = false;
        return OK;
      case 'discard':
        if (this.#queued === undefined) throw new RespError('ERR', 'DISCARD without MULTI');
        this.#reset();
        return OK;
      case 'unwatch':
        this.#watched.clear();
        return OK;
      case 'watch':
        return this.#watch(r.args, front, level);
      case 'exec':
        return this.#exec(front, error);
      default:
        return this.#queue(r);
    }
  }

  #reset(): void {
    this.#queued = undefined;
    this.#dirty = false;
    this.#watched.clear();
  }

  async #watch(args: Buffer[], front: Front, level: ReadLevel): Promise<Reply> {
    if (this.#queued !== undefined) throw new RespError('ERR', 'WATCH inside MULTI is not allowed');
    const keys = args.slice(1).map(keyArg);
    const kv = await front.read(level, keys);
    const now = kv.now();
    // A key watched twice keeps the revision of its first WATCH: any change since then counts.
    for (const k of keys) if (!this.#watched.has(k)) this.#watched.set(k, kv.revision(k, now));
    return OK;
  }

  #queue(r: TxnInput): Reply {
    const fail = (reply: Reply): Reply => {
      this.#dirty = true;
      return reply;
    };
    if (r.reply !== undefined) return fail(r.reply);
    const cmd = r.cmd!;
    try {
      if (cmd.kind === 'write') this.#queued!.push({ kv: cmd.prepare(r.args), reply: (res) => cmd.reply(res) });
      else if ((cmd.kind === 'read' || cmd.kind === 'blocking') && cmd.inTxn) {
        const inTxn = cmd.inTxn;
        this.#queued!.push({ kv: inTxn.prepare(r.args), reply: (res) => inTxn.reply(res) });
      } else throw new RespError('ERR', `${cmd.name.toUpperCase()} cannot be queued in a raftkv transaction`);
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
    return simple('QUEUED');
  }

  async #exec(front: Front, error: (e: unknown) => Reply): Promise<Reply> {
    const queued = this.#queued;
    if (queued === undefined) throw new RespError('ERR', 'EXEC without MULTI');
    const dirty = this.#dirty;
    const compare: TxnCompare[] = [...this.#watched].map(([key, revision]) => ({ key, target: 'revision', result: 'equal', revision }));
    this.#reset();
    if (dirty) throw new RespError('EXECABORT', 'Transaction discarded because of previous errors.');
    if (queued.length === 0 && compare.length === 0) return EMPTY_ARRAY;
    const result = await front.propose({ op: 'txn', compare, success: queued.map((q) => q.kv), failure: [] });
    if (!result.ok) throw new RespError('ERR', `transaction refused: ${'message' in result ? result.message : result.error}`);
    if (!('succeeded' in result)) throw new Error('EXEC got no transaction result');
    if (!result.succeeded) return NIL_ARRAY;
    return array(
      queued.map((q, i) => {
        try {
          return q.reply(result.results[i]!);
        } catch (e) {
          return error(e);
        }
      }),
    );
  }
}
