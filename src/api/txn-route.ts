// POST /txn in etcd's shape: `compare` (value, revision or existence of
// keys), then the `success` or the `failure` list of put / delete / get, all
// applied as one log entry. Answers which branch ran, with its results.

import { badRequest } from '../common/errors.js';
import type { KvCommand, KvResult, TxnCompare } from '../node/kv-state.js';
import { COMPARE_RESULTS, COMPARE_TARGETS } from '../node/txn.js';
import { checkResult, parseJsonObject, validateKey } from './kv-rules.js';
import type { Reply, RequestContext } from './router.js';
import { parseTtlSeconds } from './ttl.js';

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function list(body: Record<string, unknown>, name: string): unknown[] {
  const v = body[name];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badRequest(`field ${JSON.stringify(name)} must be a list`);
  return v;
}

function keyOf(o: Record<string, unknown>, what: string): string {
  if (typeof o.key !== 'string') throw badRequest(`${what} needs a string "key"`);
  return validateKey(o.key);
}

function parseCompare(v: unknown, i: number): TxnCompare {
  const what = `compare ${i + 1}`;
  const o = object(v, what);
  const key = keyOf(o, what);
  const target = typeof o.target === 'string' ? o.target.toLowerCase() : undefined;
  const result = typeof o.result === 'string' ? o.result.toLowerCase() : undefined;
  if (!target || !(COMPARE_TARGETS as readonly string[]).includes(target)) throw badRequest(`${what}: target must be one of ${COMPARE_TARGETS.join(', ')}`);
  if (!result || !(COMPARE_RESULTS as readonly string[]).includes(result)) throw badRequest(`${what}: result must be one of ${COMPARE_RESULTS.join(', ')}`);
  const c = { key, target, result } as TxnCompare;
  if (target === 'value') {
    if (typeof o.value !== 'string') throw badRequest(`${what}: a value compare needs a string "value"`);
    c.value = o.value;
  } else if (target === 'revision') {
    if (typeof o.revision !== 'number' || !Number.isSafeInteger(o.revision) || o.revision < 0) throw badRequest(`${what}: a revision compare needs a non-negative integer "revision"`);
    c.revision = o.revision;
  } else {
    c.exists = o.exists === undefined ? true : o.exists === true;
    if (o.exists !== undefined && typeof o.exists !== 'boolean') throw badRequest(`${what}: "exists" must be a boolean`);
  }
  return c;
}

function parseRequestOp(v: unknown, what: string): KvCommand {
  const o = object(v, what);
  const kinds = Object.keys(o);
  if (kinds.length !== 1) throw badRequest(`${what} must hold exactly one of put, delete, get`);
  const kind = kinds[0]!;
  const args = object(o[kind], `${what}.${kind}`);
  const key = keyOf(args, `${what}.${kind}`);
  switch (kind) {
    case 'put': {
      if (typeof args.value !== 'string') throw badRequest(`${what}.put needs a string "value"`);
      const ttl = args.ttl === undefined ? undefined : parseTtlSeconds(args.ttl);
      return { op: 'set', kv: [[key, args.value]], ...(ttl ? { ttl } : {}) };
    }
    case 'delete':
      return { op: 'del', keys: [key] };
    case 'get':
      return { op: 'get', key };
    default:
      throw badRequest(`${what}: unknown request ${JSON.stringify(kind)}; use put, delete or get`);
  }
}

/** A result in etcd's shape, for the request that produced it. */
function renderResult(cmd: KvCommand, r: KvResult): unknown {
  // A get of a hash, list, set or sorted set: the transaction applied; this result says why it has no value.
  if (cmd.op === 'get' && !r.ok && r.error === 'wrongtype') return { get: { key: cmd.key, error: { code: 'RAFTKV_ERR_WRONGTYPE', message: 'the key holds a hash, list, set or sorted set: read it with GET /key' } } };
  const ok = checkResult(r);
  switch (cmd.op) {
    case 'get': {
      const value = 'value' in ok ? ok.value : null;
      return { get: { key: cmd.key, value, revision: 'rev' in ok ? ok.rev : 0 } };
    }
    case 'del':
      return { delete: { deleted: 'count' in ok ? ok.count : 0 } };
    default:
      return { put: {} };
  }
}

type TxnCommand = Extract<KvCommand, { op: 'txn' }>;

/** A POST /txn body as a state machine command (the node's route and the router's). */
export function parseTxnBody(raw: Buffer): TxnCommand {
  const body = parseJsonObject(raw);
  for (const k of Object.keys(body)) if (k !== 'compare' && k !== 'success' && k !== 'failure') throw badRequest(`unknown field ${JSON.stringify(k)}; a txn has compare, success and failure`);
  const compare = list(body, 'compare').map(parseCompare);
  const success = list(body, 'success').map((v, i) => parseRequestOp(v, `success ${i + 1}`));
  const failure = list(body, 'failure').map((v, i) => parseRequestOp(v, `failure ${i + 1}`));
  return { op: 'txn', compare, success, failure };
}

/** The answer to a txn: which branch ran, and its results in etcd's shape. */
export function txnReply(cmd: TxnCommand, result: KvResult): Reply {
  const r = checkResult(result);
  if (!('succeeded' in r)) throw new Error('a txn answered without saying which branch ran');
  const branch = r.succeeded ? cmd.success : cmd.failure;
  return { status: 200, json: { succeeded: r.succeeded, results: branch.map((c, i) => renderResult(c, r.results[i]!)) } };
}

export async function txn(ctx: RequestContext): Promise<Reply> {
  const cmd = parseTxnBody(ctx.body);
  return txnReply(cmd, await ctx.front.propose(cmd));
}
