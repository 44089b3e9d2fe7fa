// Who may call a node, the router or the control API: users with a secret
// token each and a role. The config's `auth.tokenFile` is the admin token
// (Redis's "default" user: `AUTH <token>`); `auth.users` adds named users
// with their own token files and roles.
//
// Tokens are kept and compared as SHA-256 digests: every comparison is
// constant-time over digests of equal length, and every user is compared
// (no early exit), so neither a token's length nor which user it is close to
// shows in the time of an answer. Tokens are never logged; only user names are.

import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RaftkvError } from '../common/errors.js';

/** What a user may do: read keys and status; also write keys; also change membership and use the control API. */
export const ROLES = ['readonly', 'readwrite', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What a request needs. */
export type Access = 'read' | 'write' | 'admin';

const NEEDS: Record<Access, number> = { read: 0, write: 1, admin: 2 };

export function roleAllows(role: Role, access: Access): boolean {
  return ROLES.indexOf(role) >= NEEDS[access];
}

/** The config's `auth` block: file names, relative to the config file. */
export interface AuthFiles {
  /** The admin token (user "default"). */
  tokenFile: string;
  users?: { name: string; role: Role; tokenFile: string }[];
}

/** One user as kept in memory (and sent to node threads): no token, only its digest. */
export interface AuthUser {
  name: string;
  role: Role;
  /** SHA-256 of the token, hex. */
  digest: string;
}

/** Every user; serializable, so it crosses into node threads and processes. */
export interface AuthTable {
  users: AuthUser[];
}

/** The user Redis's one-argument `AUTH <password>` logs in as. */
export const DEFAULT_USER = 'default';

const MIN_TOKEN_CHARS = 16;

export class AuthSetupError extends RaftkvError<'RAFTKV_ERR_AUTH_SETUP'> {
  constructor(message: string) {
    super('RAFTKV_ERR_AUTH_SETUP', message);
  }
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Read every token file (relative to `baseDir`) into the table. */
export function loadAuthTable(files: AuthFiles, baseDir: string): AuthTable {
  const read = (where: string, file: string): string => {
    const full = path.resolve(baseDir, file);
    let token: string;
    try {
      token = readFileSync(full, 'utf8').trim();
    } catch (e) {
      throw new AuthSetupError(`${where}: cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
      throw new AuthSetupError(`${where}: the token in ${full} must be at least ${MIN_TOKEN_CHARS} characters without spaces (\`raftkv token\` prints a good one)`);
    }
    return token;
  };
  const users: AuthUser[] = [{ name: DEFAULT_USER, role: 'admin', digest: tokenDigest(read('auth.tokenFile', files.tokenFile)) }];
  (files.users ?? []).forEach((u, i) => {
    if (users.some((o) => o.name === u.name)) throw new AuthSetupError(`auth.users.${i}.name: user ${JSON.stringify(u.name)} is already defined`);
    users.push({ name: u.name, role: u.role, digest: tokenDigest(read(`auth.users.${i}.tokenFile`, u.tokenFile)) });
  });
  const digests = new Set(users.map((u) => u.digest));
  if (digests.size !== users.length) throw new AuthSetupError('auth: two users have the same token; give each its own');
  return { users };
}

/** Someone who showed a valid token. */
export interface Principal {
  user: string;
  role: Role;
}

/** Checks tokens against a table. */
export class Authenticator {
  readonly #users: { name: string; role: Role; digest: Buffer }[];

  constructor(table: AuthTable) {
    this.#users = table.users.map((u) => ({ name: u.name, role: u.role, digest: Buffer.from(u.digest, 'hex') }));
  }

  /** The user whose token this is (optionally: only if its name is `user`), else undefined. */
  login(token: string, user?: string): Principal | undefined {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    let found: Principal | undefined;
    for (const u of this.#users) {
      // Every user is compared, matched or not: the time does not tell which one was close.
      const same = timingSafeEqual(digest, u.digest);
      if (same && (user === undefined || user === u.name)) found = { user: u.name, role: u.role };
    }
    return found;
  }

  /**
   * An `Authorization` header: "Bearer <token>" (or HTTP Basic with the user
   * name and the token as password, as curl -u sends it).
   */
  fromHeader(header: string): { principal: Principal } | { missing: true } | { wrong: true } {
    if (header === '') return { missing: true };
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    let principal: Principal | undefined;
    if (scheme === 'bearer') principal = this.login(value);
    else if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) principal = this.login(decoded.slice(colon + 1), decoded.slice(0, colon));
    }
    return principal ? { principal } : { wrong: true };
  }
}
