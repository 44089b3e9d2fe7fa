// The event log of the dashboard and the terminal view: the few log records
// a newcomer wants to see (elections, leaders, snapshots, membership, faults,
// nodes coming and going), each as one short sentence.

import type { LogRecord } from '../common/logger.js';

export type EventKind = 'election' | 'leader' | 'snapshot' | 'membership' | 'fault' | 'node' | 'error';

export interface ClusterEvent {
  /** Increasing: a client that has seen up to seq N asks for nothing older. */
  seq: number;
  time: number;
  kind: EventKind;
  /** The node it happened on, when one did. */
  node?: string;
  text: string;
}

const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** The event a log record stands for, or undefined for the records the event log leaves out. */
export function eventOf(r: LogRecord): Omit<ClusterEvent, 'seq'> | undefined {
  const node = typeof r.id === 'string' ? r.id : undefined;
  const at = { time: r.time, ...(node !== undefined ? { node } : {}) };
  const who = node ?? 'the launcher';
  const e = (kind: EventKind, text: string): Omit<ClusterEvent, 'seq'> => ({ ...at, kind, text });
  switch (r.msg) {
    case 'campaign':
      return e('election', r.kind === 'pre-election' ? `${who} asks for pre-votes for term ${str(r.term)}` : `${who} starts an election for term ${str(r.term)}`);
    case 'became leader':
      return e('leader', `${who} became leader of term ${str(r.term)}`);
    case 'stepped down: no quorum heard from':
      return e('leader', `${who} stepped down at term ${str(r.term)}: no quorum heard from`);
    case 'transfer leadership':
      return e('leader', `${who} hands leadership to ${str(r.to)}`);
    case 'snapshot captured':
      return e('snapshot', `${who} took a snapshot at index ${str(r.index)}`);
    case 'sending snapshot':
      return e('snapshot', `${who} sends its snapshot at index ${str(r.index)} to ${str(r.to)}`);
    case 'snapshot restored':
      return e('snapshot', `${who} installed a snapshot at index ${str(r.index)}`);
    case 'membership changed':
      return e('membership', `${who} applied a membership change: ${str(r.change)} ${str(r.node)}`);
    case 'node started':
      return e('node', `${who} started (term ${str(r.term)}, applied ${str(r.applied)})`);
    case 'node worker exited':
    case 'node process exited':
      return e('node', `${who} stopped${r.code !== undefined && r.code !== 0 ? ` (exit code ${str(r.code)})` : ''}`);
    case 'node failed':
      return e('error', `${who} failed: ${str(r.reason ?? r.error).split('\n')[0]}`);
    case 'fault injected':
      return e('fault', `fault: ${str(r.fault)}`);
    default:
      return r.level === 'error' ? e('error', `${who}: ${r.msg}`) : undefined;
  }
}

/** The last `capacity` events, numbered. */
export class EventLog {
  readonly #capacity: number;
  readonly #events: ClusterEvent[] = [];
  #seq = 0;
  /** Nodes between their 'node started' and their exit: a node replays its membership changes while it starts, which is no news. */
  readonly #running = new Set<string>();

  constructor(capacity = 200) {
    this.#capacity = capacity;
  }

  /** Keep the record if it is an event. */
  add(r: LogRecord): void {
    const e = eventOf(r);
    if (!e) return;
    if (e.node !== undefined) {
      if (r.msg === 'node started') this.#running.add(e.node);
      else if (e.kind === 'node') this.#running.delete(e.node);
      else if (e.kind === 'membership' && !this.#running.has(e.node)) return;
    }
    this.#events.push({ seq: ++this.#seq, ...e });
    if (this.#events.length > this.#capacity) this.#events.shift();
  }

  /** Events after `seq` (all kept ones for 0), oldest first. */
  since(seq: number): ClusterEvent[] {
    if (seq >= this.#seq) return [];
    return this.#events.filter((e) => e.seq > seq);
  }

  get lastSeq(): number {
    return this.#seq;
  }
}
