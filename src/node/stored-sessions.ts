// Client sessions (kv-state.ts's Session) as the store keeps them: one row
// per client (its lowest outstanding sequence number, its results as JSON,
// the index that last touched it). Read back at start and at a snapshot
// install; written with each apply batch.

import type { Session, SessionWrite } from './kv-state.js';
import type { SessionRow } from '../storage/types.js';

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
