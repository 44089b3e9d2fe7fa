// The run's readable trace: the last N events in a ring, plus a running hash
// of every event so two runs can be compared without keeping them whole.

import { EntryKind, MessageType, decodeConfChange, type Entry, type Message } from '../../src/raft/index.js';
import { decodeEnvelope } from '../../src/node/kv-state.js';
import { TICK } from './event-queue.js';

export class Trace {
  readonly #ring: string[];
  #next = 0;
  #count = 0;
  #hash = 0x811c9dc5;

  constructor(size = 60) {
    this.#ring = new Array<string>(Math.max(1, size));
  }

  add(time: number, text: string): void {
    const line = `[${fmtTime(time)}] ${text}`;
    this.#ring[this.#next] = line;
    this.#next = (this.#next + 1) % this.#ring.length;
    this.#count++;
    let h = this.#hash;
    for (let i = 0; i < line.length; i++) h = Math.imul(h ^ line.charCodeAt(i), 0x01000193);
    this.#hash = h >>> 0;
  }

  /** The last events, oldest first. */
  lines(): string[] {
    const n = Math.min(this.#count, this.#ring.length);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.#ring[(this.#next - n + i + this.#ring.length) % this.#ring.length]!);
    return out;
  }

  /** A hash of every event ever added, in order. */
  fingerprint(): string {
    return `${this.#count}:${this.#hash.toString(16)}`;
  }
}

export function fmtTime(time: number): string {
  return (time / TICK).toFixed(2).padStart(8);
}

export function fmtEntry(e: Entry): string {
  const at = `${e.index}/${e.term}`;
  switch (e.kind) {
    case EntryKind.Noop:
      return `${at} noop`;
    case EntryKind.ConfChange: {
      const cc = decodeConfChange(e.data);
      return `${at} ${cc.type} ${cc.node}`;
    }
    default:
      try {
        return `${at} ${JSON.stringify(decodeEnvelope(e.data))}`;
      } catch {
        return `${at} (${e.data.byteLength} undecodable bytes)`;
      }
  }
}

export function fmtMessage(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case MessageType.App: {
      const es = m.entries ?? [];
      s += ` prev=${m.index}/${m.logTerm} commit=${m.commit}`;
      if (es.length > 0) s += ` entries=${es[0]!.index}..${es[es.length - 1]!.index}/t${es[es.length - 1]!.term}`;
      break;
    }
    case MessageType.AppResp:
      s += ` index=${m.index}`;
      if (m.reject) s += ` REJECT hint=${m.rejectHint}/t${m.logTerm}`;
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      s += ` last=${m.index}/${m.logTerm}${m.force ? ' force' : ''}`;
      break;
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      s += m.reject ? ' REJECT' : ' granted';
      break;
    case MessageType.Heartbeat:
      s += ` commit=${m.commit}${m.context ? ` round=${m.context}` : ''}`;
      break;
    case MessageType.HeartbeatResp:
      if (m.context) s += ` round=${m.context}`;
      break;
    case MessageType.Snap:
      s += ` snap=${m.snapshot?.index}/t${m.snapshot?.term} offset=${m.offset}${m.last ? ' last' : ''}`;
      break;
    case MessageType.SnapResp:
      s += ` snap=${m.index} offset=${m.offset}${m.reject ? ' REJECT' : ''}`;
      break;
    case MessageType.ReadIndex:
    case MessageType.ReadIndexResp:
      s += ` ctx=${m.context} index=${m.index}`;
      break;
    default:
      break;
  }
  return s;
}

/** Heartbeats without a read round are most of the traffic and say little: the ring skips them. */
export function isChatter(m: Message): boolean {
  return (m.type === MessageType.Heartbeat || m.type === MessageType.HeartbeatResp) && !m.context;
}
