// Browser cross-site safety. A page on another site can make a visitor's
// browser POST to a node on localhost (a "simple" request needs no CORS
// preflight), so a state-changing request whose Origin names another
// host:port than the one it was sent to is refused. Clients that are not
// browsers (curl, fetch from Node, the nodes themselves) send no Origin.

/** Methods that change state; GET, HEAD and OPTIONS never do here. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/**
 * Whether a request must be refused as cross-site: a state-changing method
 * with an Origin header (`origin`, '' when absent) whose host:port is not the
 * request's Host header. An Origin of "null" (a sandboxed page, a file) is
 * never the same origin.
 */
export function crossSite(method: string, origin: string, host: string): boolean {
  if (origin === '' || !STATE_CHANGING.has(method)) return false;
  try {
    const o = new URL(origin);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return true;
    // Through URL both sides lose a default port (":80" for http) and get lower case.
    return host === '' || o.host !== new URL(`${o.protocol}//${host}`).host;
  } catch {
    return true;
  }
}
