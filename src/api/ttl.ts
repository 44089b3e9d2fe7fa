// TTLs over HTTP are seconds (fractions allowed, to the millisecond), as
// `ttl` on POST /key and on a txn's put.

import { badRequest } from '../common/errors.js';
import type { Ttl } from '../node/kv-state.js';

/** The longest TTL accepted: about 35 years, well inside exact millisecond arithmetic. */
const MAX_TTL_SECONDS = 1e9;

export function parseTtlSeconds(v: unknown): Ttl {
  const n = typeof v === 'string' && /^[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  const ms = Math.round(n * 1000);
  if (!Number.isFinite(n) || ms < 1 || n > MAX_TTL_SECONDS) throw badRequest(`ttl must be a number of seconds above 0 and at most ${MAX_TTL_SECONDS} (got ${JSON.stringify(v)?.slice(0, 32)})`);
  return { in: ms };
}
