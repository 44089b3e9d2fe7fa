// Watch clients for tests: Server-Sent Events read from a fetch body, and
// WebSocket messages through `ws`, both as lists of parsed events.

import WebSocket from 'ws';

export interface Change {
  type: string;
  key: string;
  value: string | null;
  revision: number;
  /** A put of a hash, list, set or sorted set: its type and Redis's event name. */
  valueType?: string;
  event?: string;
}

export interface WatchStream {
  readonly events: Change[];
  /** An `error` event (SSE) or error message (WebSocket), if one came. */
  error: Record<string, unknown> | undefined;
  /** The id of the last complete SSE event (where an EventSource would resume). */
  lastId: string;
  readonly done: Promise<void>;
  close(): void;
}

/** GET /watch as SSE; resolves once the head arrived (the watch is registered). */
export async function watchSse(url: string, headers: Record<string, string> = {}, fetchWith: (url: string, init: RequestInit) => Promise<Response> = fetch): Promise<WatchStream> {
  const ac = new AbortController();
  const res = await fetchWith(url, { signal: ac.signal, headers });
  if (res.status !== 200) throw Object.assign(new Error(`watch answered ${res.status}: ${await res.text()}`), { status: res.status });
  const stream: WatchStream = { events: [], error: undefined, lastId: '', done: Promise.resolve(), close: () => ac.abort() };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  (stream as { done: Promise<void> }).done = (async () => {
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          let event = 'message';
          let data = '';
          let id: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (id !== undefined) stream.lastId = id;
          if (data === '') continue;
          if (event === 'error') stream.error = JSON.parse(data) as Record<string, unknown>;
          else stream.events.push(JSON.parse(data) as Change);
        }
      }
    } catch {
      // Aborted by close(), or the server went away.
    }
  })();
  return stream;
}

/** GET /watch as a WebSocket; resolves once it is open. */
export function watchWs(url: string, opts: { headers?: Record<string, string>; ca?: string } = {}): Promise<WatchStream> {
  const ws = new WebSocket(url, { ...(opts.headers ? { headers: opts.headers } : {}), ...(opts.ca ? { ca: opts.ca } : {}) });
  const stream: WatchStream = { events: [], error: undefined, lastId: '', done: new Promise((r) => ws.on('close', () => r())), close: () => ws.close() };
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    if ('error' in m) stream.error = m;
    else stream.events.push(m as unknown as Change);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(stream));
    ws.once('error', reject);
  });
}
