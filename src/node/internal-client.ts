// raftkv's one way to call its own nodes, router and launcher over HTTP:
// forwarded writes, a follower relaying a request to its leader, joins, the
// router's shard links, ctl and the control server, chaos and bench. Every
// call is bounded in time, carries the cluster's credentials, and comes back
// decoded (a JSON body, or the NodeError a node's error answer stands for).
// One list says which errors may be retried, and one loop retries them.
// Where the leader is comes from whoever knows it: the node's own Raft state
// (the forwarder, the relay), a shard's answers and status polls (the
// router's shard client).

import { TOKEN_HEADER } from '../common/cluster-identity.js';
import { internalHttp, type InternalHttp } from '../security/internal-http.js';
import { realClock, sleep, type Clock } from './clock.js';
import { NodeError, isNodeErrorCode, noLeader, timeout, type NodeErrorCode } from '../common/errors.js';

/** What a node (or the launcher) answered: the status, and the body as JSON when it was a JSON object. */
export interface Answer {
  status: number;
  ok: boolean;
  json: Record<string, unknown> | undefined;
  text: string;
  headers: Headers;
}

export interface RawAnswer {
  status: number;
  ok: boolean;
  body: Buffer;
  headers: Headers;
}

export interface ClientOptions {
  /** https trusting only this CA (PEM); plain http without. */
  ca?: string;
  /** Or the transport itself, made already (internalHttp(ca)). */
  http?: InternalHttp;
  /** Sent as the cluster token header: the call is a member's. */
  clusterToken?: string;
  /** Sent as `Authorization: Bearer …`: the call is a user's (ctl, chaos, bench on a secure cluster). */
  bearer?: string;
  /** A call's budget unless it names its own; absent: unbounded. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Sent as JSON (with its content type). */
  body?: unknown;
  /** Sent as it is, without a content type of its own (a test of malformed input). */
  rawBody?: string;
  /** This call's budget (default: the client's). */
  timeoutMs?: number;
  /** Cut the call off early (the caller's own timer or close()). */
  signal?: AbortSignal;
  /** More headers; they win over the client's own (an explicit Authorization replaces the bearer). */
  headers?: Record<string, string>;
}

/**
 * Errors after which the same request may be sent again: nothing was applied
 * (or the session makes a second apply impossible), and waiting or asking
 * another member can help. BUSY is the leader's flow control (TRYAGAIN over
 * RESP): the command was refused before it entered the log.
 */
export const RETRYABLE: ReadonlySet<NodeErrorCode> = new Set<NodeErrorCode>([
  'RAFTKV_ERR_NO_LEADER',
  'RAFTKV_ERR_NOT_LEADER',
  'RAFTKV_ERR_SHUTTING_DOWN',
  'RAFTKV_ERR_PROPOSAL_DROPPED',
  'RAFTKV_ERR_BUSY',
  'RAFTKV_ERR_TIMEOUT',
]);

export class InternalClient {
  readonly #http: InternalHttp;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number | undefined;

  constructor(o: ClientOptions = {}) {
    this.#http = o.http ?? internalHttp(o.ca);
    this.#headers = {
      ...(o.clusterToken !== undefined ? { [TOKEN_HEADER]: o.clusterToken } : {}),
      ...(o.bearer !== undefined ? { authorization: `Bearer ${o.bearer}` } : {}),
    };
    this.#timeoutMs = o.timeoutMs;
  }

  get scheme(): 'http' | 'https' {
    return this.#http.scheme;
  }

  /** `scheme://addr/path`. */
  url(addr: string, path: string): string {
    return this.#http.url(addr, path);
  }

  /** `path` on the listener at `addr` (host:port). */
  call(method: string, addr: string, path: string, o: CallOptions = {}): Promise<Answer> {
    return this.request(method, this.#http.url(addr, path), o);
  }

  /**
   * One exchange with a full URL. Rejects only when no answer came (refused,
   * reset, timed out: see failureOf); every status is an answer.
   */
  async request(method: string, url: string, o: CallOptions = {}): Promise<Answer> {
    const a = await this.exchange(method, url, o);
    const text = a.body.toString('utf8');
    return { status: a.status, ok: a.ok, json: objectOf(text), text, headers: a.headers };
  }

  /** One exchange, its body as bytes (relayed as they are: a raw value need not be UTF-8); the time bound covers the whole body. */
  async exchange(method: string, url: string, o: CallOptions = {}): Promise<RawAnswer> {
    const ms = o.timeoutMs ?? this.#timeoutMs;
    const bound = ms === undefined ? undefined : AbortSignal.timeout(ms);
    const signal = bound && o.signal ? AbortSignal.any([bound, o.signal]) : (bound ?? o.signal);
    const json = o.body !== undefined && o.rawBody === undefined;
    const res = await this.#http.fetch(url, {
      method,
      headers: { ...this.#headers, ...(json ? { 'content-type': 'application/json' } : {}), ...o.headers },
      body: o.rawBody ?? (json ? JSON.stringify(o.body) : undefined),
      signal,
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, ok: res.ok, body, headers: res.headers };
  }

  /** The JSON body of a 2xx answer; any other answer is thrown as the NodeError it stands for. */
  async json<T = Record<string, unknown>>(method: string, addr: string, path: string, o: CallOptions = {}): Promise<T> {
    const a = await this.call(method, addr, path, o);
    if (!a.ok) throw answerError(a);
    return (a.json ?? {}) as T;
  }
}

function objectOf(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A node's error answer as the NodeError it stands for (code, message, leader hint, details). */
export function answerError(a: Pick<Answer, 'status' | 'json'>): NodeError {
  const j = a.json ?? {};
  // A code this build does not know (a newer peer's) has no status or RESP word here: judged by the status instead.
  const code = isNodeErrorCode(j.code) ? j.code : a.status >= 500 ? 'RAFTKV_ERR_INTERNAL' : 'RAFTKV_ERR_BAD_REQUEST';
  const details: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(j)) if (k !== 'error' && k !== 'code' && k !== 'leader' && (typeof v === 'string' || typeof v === 'number')) details[k] = v;
  return new NodeError(code, typeof j.error === 'string' ? j.error : `node answered ${a.status}`, typeof j.leader === 'string' ? j.leader : '', Object.keys(details).length > 0 ? details : undefined);
}

/** Why a call got no answer, in a word where there is one: "timeout", a socket error code (ECONNREFUSED…), else the message. */
export function failureOf(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
  const cause = (e as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : e.message;
}

export interface RetryPolicy {
  /** The whole budget, retries included. */
  timeoutMs: number;
  /** What is being done, for the timeout's message. */
  what: string;
  /** Times the budget and the pauses (a simulated node retries on simulated time). */
  clock?: Clock;
  /** Before the next attempt (default 20 ms). */
  pause?: () => Promise<void>;
  /** A failure as a NodeError (default: a NodeError stays, anything else is an unreachable leader). */
  learn?: (e: unknown) => NodeError;
  /** Give up (closed). */
  stopped?: () => boolean;
}

/** No answer at all counts as "no leader reachable": it is retried like one. */
const unreachableLeader = (e: unknown): NodeError => (e instanceof NodeError ? e : noLeader(`the leader could not be reached: ${String(e)}`));

/**
 * Run `attempt` until it succeeds, fails with an error that is not
 * RETRYABLE, or the budget is spent. Out of budget: the last NO_LEADER (it
 * says more than a timeout), else a TIMEOUT error.
 */
export async function retrying<T>(attempt: (n: number) => Promise<T>, p: RetryPolicy): Promise<T> {
  const clock = p.clock ?? realClock;
  const learn = p.learn ?? unreachableLeader;
  const deadline = clock.now() + p.timeoutMs;
  let last: NodeError | undefined;
  for (let n = 0; !p.stopped?.() && (n === 0 || clock.now() < deadline); n++) {
    try {
      return await attempt(n);
    } catch (e) {
      last = learn(e);
      if (!RETRYABLE.has(last.code)) throw last;
    }
    if (clock.now() >= deadline) break;
    await (p.pause ? p.pause() : sleep(clock, 20));
  }
  throw last?.code === 'RAFTKV_ERR_NO_LEADER' ? last : timeout(p.what, p.timeoutMs);
}
