// The dashboard's login, where the control API wants an admin token. A
// browser's EventSource (GET /events) cannot send an Authorization header, so
// the page is reached through a form: it posts the token once (POST /login)
// and the launcher answers with a session cookie — HttpOnly (no script reads
// it), SameSite=Strict (no other site's page makes the browser send it),
// Secure over https — that the browser then sends by itself with the page,
// its scripts, /events and the buttons' fetch calls. Chosen over a token in
// the URL fragment: the token never sits in a URL, the history or the page's
// scripts, and EventSource keeps its own reconnection (with Last-Event-ID),
// which a fetch-read stream would have to rebuild. A session is a random id
// kept in this process only: a launcher restart logs everyone out.

import { randomBytes } from 'node:crypto';
import type { Authenticator, Principal } from '../security/auth.js';

export const SESSION_COOKIE = 'raftkv_session';
/** A session ends this long after the login. */
const SESSION_MS = 12 * 3600_000;
/** At most this many sessions at once; the oldest goes first (a login loop cannot grow the map). */
const MAX_SESSIONS = 1000;

export class DashboardSessions {
  readonly #sessions = new Map<string, { principal: Principal; expires: number }>();

  /** A new session for an admin, and the Set-Cookie header that hands it to the browser. */
  open(principal: Principal, secure: boolean, now = Date.now()): string {
    const id = randomBytes(32).toString('base64url');
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(id, { principal, expires: now + SESSION_MS });
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}${secure ? '; Secure' : ''}`;
  }

  /** The user of a request's session cookie (the Cookie header, '' when absent), if it is a live session. */
  fromCookie(header: string, now = Date.now()): Principal | undefined {
    const id = cookieValue(header, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (!s) return undefined;
    if (s.expires <= now) {
      this.#sessions.delete(id);
      return undefined;
    }
    return s.principal;
  }
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The admin whose token a login form carried (`token=...`, form-encoded), or why not. */
export function formLogin(auth: Authenticator, body: string): { principal: Principal } | { error: string } {
  const token = new URLSearchParams(body).get('token') ?? '';
  const principal = token === '' ? undefined : auth.login(token);
  if (!principal) return { error: 'invalid token' };
  if (principal.role !== 'admin') return { error: `user ${JSON.stringify(principal.user)} (role ${principal.role}) may not use the dashboard: it needs the admin token` };
  return { principal };
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page GET / answers without a session: a form that posts the token to /login. */
export function loginPage(error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>raftkv dashboard: log in</title>
<style>body{font:15px system-ui,sans-serif;margin:4em auto;max-width:28em}input{font:inherit;width:100%;margin:.4em 0}p.error{color:#b00}</style></head>
<body><h1>raftkv dashboard</h1>
<p>This cluster requires authentication: enter the admin token (the file named by the config's <code>auth.tokenFile</code>).</p>
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}<form method="post" action="/login">
<input type="password" name="token" autocomplete="current-password" autofocus required aria-label="admin token">
<input type="submit" value="Log in"></form></body></html>
`;
}
