// The chaos clients' one way to reach a node: every request bounded in time,
// every failure (refused, reset, timeout, 5xx) returned, never thrown. On a
// secure cluster: https trusting its CA, and the token on every request.

import { internalHttp, type Fetch } from '../security/internal-http.js';

export interface Answer {
  status: number;
  /** Parsed JSON body, when the body was JSON. */
  json: Record<string, unknown> | undefined;
}

export type Outcome = { answer: Answer } | { failure: string };

/** The CA a secure cluster's certificates chain to, and the token its clients send. */
export interface ClientSecurity {
  ca: string;
  token: string;
}

export class ChaosHttp {
  readonly #fetch: Fetch;
  readonly #scheme: string;
  readonly #authorization: Record<string, string>;

  constructor(security?: ClientSecurity) {
    const client = internalHttp(security?.ca);
    this.#fetch = client.fetch;
    this.#scheme = client.scheme;
    this.#authorization = security ? { authorization: `Bearer ${security.token}` } : {};
  }

  /** `scheme://addr`: the base URL of a listener. */
  base(addr: string): string {
    return `${this.#scheme}://${addr}`;
  }

  async call(method: string, url: string, body: unknown, timeoutMs: number): Promise<Outcome> {
    try {
      const res = await this.#fetch(url, {
        method,
        headers: { ...this.#authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      let json: Record<string, unknown> | undefined;
      try {
        const v: unknown = JSON.parse(text);
        if (typeof v === 'object' && v !== null) json = v as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return { answer: { status: res.status, json } };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      return { failure: err.name === 'TimeoutError' ? 'timeout' : (err.cause?.code ?? err.message) };
    }
  }
}

/** Plain http, no token. */
export const PLAIN_HTTP = new ChaosHttp();
