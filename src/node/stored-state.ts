// The state machine as the store keeps it, read back at start and at a
// snapshot install. Client sessions (kv-state.ts's Session) are one row per
// client (its lowest outstanding sequence number, its results as JSON, the
// index that last touched it), written with each apply batch.

import { KvState, type Session, type SessionWrite } from './kv-state.js';
import type { LoadedState, SessionRow } from '../storage/types.js';
import type { Clock } from './clock.js';

/** The state machine the store loaded; reads hide expired keys by `clock` too (the state machine's own time only moves with entries). */
export function kvFromStore(loaded: LoadedState, clock: Clock): KvState {
  const kv = new KvState(loaded.kv, sessionsFromStore(loaded.sessions), undefined, loaded.revs);
  kv.readClock = () => clock.now();
  return kv;
}

/** Sessions are stored as (client, lowest seq, results JSON, index). */
export function sessionsFromStore(rows: Map<string, { seq: number; result: string; index: number }>): Map<string, Session> {
  const out = new Map<string, Session>();
  for (const [client, r] of rows) out.set(client, { lowest: r.seq, results: JSON.parse(r.result) as Session['results'], index: r.index });
  return out;
}

export function sessionsToStore(writes: SessionWrite[]): { upserts: SessionRow[]; expired: string[] } {
  const upserts: SessionRow[] = [];
  const expired: string[] = [];
  for (const w of writes) {
    if (w.session === null) expired.push(w.client);
    else upserts.push({ client: w.client, seq: w.session.lowest, result: JSON.stringify(w.session.results), index: w.session.index });
  }
  return { upserts, expired };
}
