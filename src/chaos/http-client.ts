// The chaos clients' one way to reach a node: every request bounded in time,
// every failure (refused, reset, timeout, 5xx) returned, never thrown.

export interface Answer {
  status: number;
  /** Parsed JSON body, when the body was JSON. */
  json: Record<string, unknown> | undefined;
}

export type Outcome = { answer: Answer } | { failure: string };

export async function call(method: string, url: string, body: unknown, timeoutMs: number): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
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
