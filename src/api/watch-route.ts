// GET /watch?prefix=p&from=REV: every change of the keys under `prefix`
// after revision REV, as Server-Sent Events (`curl -N` works, and so does a
// browser's EventSource, which resumes with Last-Event-ID), or as WebSocket
// messages on the same path. Served by any node from its own applied state
// (watch-hub.ts); a revision it no longer holds is answered 410 `compacted`
// with the oldest revision it can serve.

import { NodeError, badRequest, toNodeError } from '../common/errors.js';
import { compactedError, type WatchEvent, type WatchHub } from '../node/watch-hub.js';
import type { WebSocketRoute } from './http-exchange.js';
import { httpError } from './errors-http.js';
import type { Front } from './front.js';
import type { Reply, RequestContext } from './router.js';

/** An SSE comment this often keeps idle proxies and servers from closing the stream. */
const HEARTBEAT_MS = 5000;

interface WatchParams {
  prefix: string;
  from: number;
}

function revisionArg(v: string, name: string): number {
  if (!/^[0-9]{1,15}$/.test(v)) throw badRequest(`${name} must be a revision (a non-negative integer), not ${JSON.stringify(v.slice(0, 32))}`);
  return Number(v);
}

function params(query: URLSearchParams, hub: WatchHub, lastEventId = ''): WatchParams {
  const from = query.get('from');
  // No `from`: changes after what this node applied so far.
  const start = from !== null ? revisionArg(from, 'from') : lastEventId !== '' ? revisionArg(lastEventId, 'Last-Event-ID') : hub.current;
  return { prefix: query.get('prefix') ?? '', from: start };
}

function hubOf(front: Front): WatchHub {
  const hub = front.extras?.watch;
  if (!hub) throw badRequest('watch is served by the nodes, not the router: watch a node of the shard');
  return hub;
}

const eventJson = (e: WatchEvent): string =>
  JSON.stringify(
    e.valueType === undefined && e.event === undefined
      ? { type: e.type, key: e.key, value: e.value, revision: e.revision }
      : { type: e.type, key: e.key, value: e.value, revision: e.revision, ...(e.valueType !== undefined ? { valueType: e.valueType } : {}), ...(e.event !== undefined ? { event: e.event } : {}) },
  );

/** Events as SSE: the last event of each revision carries its id, so a resumed stream never splits a revision. */
function sse(events: readonly WatchEvent[]): string {
  let out = '';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const lastOfRevision = i + 1 === events.length || events[i + 1]!.revision !== e.revision;
    out += `event: ${e.type}\ndata: ${eventJson(e)}\n${lastOfRevision ? `id: ${e.revision}\n` : ''}\n`;
  }
  return out;
}

function errorBody(err: NodeError): string {
  return JSON.stringify(httpError(err).body);
}

export async function watch(ctx: RequestContext): Promise<Reply> {
  const hub = hubOf(ctx.front);
  const p = params(ctx.query, hub, ctx.lastEventId);
  // Refused before the stream starts: a plain 410.
  if (p.from < hub.oldest) throw compactedError(p.from, hub.oldest);
  return {
    status: 200,
    stream: {
      contentType: 'text/event-stream; charset=utf-8',
      start(sink) {
        sink.write(`retry: 1000\n: watching ${JSON.stringify(p.prefix)} after revision ${p.from}\n\n`);
        let cancel: () => void = () => {};
        const heartbeat = setInterval(() => sink.write(': ping\n\n'), HEARTBEAT_MS);
        const stop = (): void => {
          clearInterval(heartbeat);
          cancel();
        };
        try {
          cancel = hub.watch(p.prefix, p.from, {
            send: (events) => {
              if (!sink.write(sse(events))) stop();
            },
            end: (err) => {
              sink.write(`event: error\ndata: ${errorBody(err)}\n\n`);
              stop();
              sink.end();
            },
          });
        } catch (e) {
          // Compacted meanwhile (a snapshot landed): said in the stream.
          sink.write(`event: error\ndata: ${errorBody(toNodeError(e))}\n\n`);
          stop();
          sink.end();
        }
        return stop;
      },
    },
  };
}

/** The same watch over a WebSocket: one JSON message per change; an error message, then a close, when it cannot go on. */
export function watchSocket(front: Front): WebSocketRoute {
  return {
    path: '/watch',
    access: 'read',
    open(query, peer) {
      const fail = (e: unknown): void => {
        peer.send(errorBody(toNodeError(e)));
        peer.close(4000, toNodeError(e).code);
      };
      try {
        const hub = hubOf(front);
        const p = params(query, hub);
        return hub.watch(p.prefix, p.from, {
          send: (events) => {
            for (const e of events) if (!peer.send(eventJson(e))) return;
          },
          end: fail,
        });
      } catch (e) {
        fail(e);
        return () => {};
      }
    },
  };
}
