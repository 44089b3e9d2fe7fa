// The chaos clients' one way to reach a node: every request bounded in time,
// every failure (refused, reset, timeout, 5xx) returned, never thrown. On a
// secure cluster: https trusting its CA, and the token on every request.

import { failureOf, InternalClient } from '../node/internal-client.js';

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
  readonly #client: InternalClient;

  constructor(security?: ClientSecurity) {
    this.#client = new InternalClient(security ? { ca: security.ca, bearer: security.token } : {});
  }

  /** `scheme://addr`: the base URL of a listener. */
  base(addr: string): string {
    return this.#client.url(addr, '');
  }

  async call(method: string, url: string, body: unknown, timeoutMs: number): Promise<Outcome> {
    try {
      const { status, json } = await this.#client.request(method, url, { body, timeoutMs });
      return { answer: { status, json } };
    } catch (e) {
      return { failure: failureOf(e) };
    }
  }
}

/** Plain http, no token. */
export const PLAIN_HTTP = new ChaosHttp();
