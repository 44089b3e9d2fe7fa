// Who a `raftkv node` is and where it listens, from its flags, from what
// its data directory remembers, and from hraftd's defaults:
// - no --raft: the HTTP port + 1000 on the same host (hraftd's fork);
// - no --id: "<http>,<raft>" as given (the fork's node ids, ":11000,:12000");
// - no DIR: raftkv-data/<id> under the current directory;
// - ":port": this host (this-host.ts);
// - --join A,B,...: join through any of them, in turn; a node whose own HTTP
//   address comes first founds the cluster (the fork's `--rjoin :11000 --haddr :11000`).
// The first start writes DIR/node.json; a restart needs only DIR (as raftd did),
// and flags that contradict it are refused before anything is touched.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MemberAddrs } from './types.js';
import { onHost, thisHostToward } from './this-host.js';
import { portOf, withPort } from '../common/address.js';

export interface NodeFlags {
  id?: string;
  http?: string;
  raft?: string;
  resp?: string;
  /** One address or several, comma-separated. */
  join?: string;
  dir?: string;
  inmem?: boolean;
}

/** DIR/node.json. */
export interface RememberedNode {
  id: string;
  http: string;
  raft: string;
  resp?: string;
  /** The members it joined through; empty for a founder. */
  join: string[];
}

export interface NodeSettings {
  id: string;
  addrs: MemberAddrs;
  /** Data directory (absolute); undefined in memory. */
  dir: string | undefined;
  /** True when this node starts a new cluster of its own (unless its directory holds one already). */
  founds: boolean;
  /** Members to join through, in turn (never this node itself). */
  joinVia: string[];
  /** What DIR/node.json must hold after this start. */
  remember: RememberedNode;
}

export const DEFAULT_HTTP = ':11000';
export const RAFT_PORT_OFFSET = 1000;
const NODE_FILE = 'node.json';
const ADDR = /^[^\s,]*:\d{1,5}$/;

function checkAddr(flag: string, addr: string): string {
  const port = portOf(addr);
  if (!ADDR.test(addr) || port > 65535) throw new Error(`--${flag} ${JSON.stringify(addr)}: expected host:port or :port (this host), for example 10.0.0.1:11000 or :11000`);
  return addr;
}

/** The Raft address hraftd's fork derives from the HTTP one: same host, port + 1000. */
export function derivedRaftAddr(http: string): string {
  const port = portOf(http) + RAFT_PORT_OFFSET;
  if (port > 65535) throw new Error(`--http ${http}: the Raft port would be ${port} (HTTP port + ${RAFT_PORT_OFFSET}); give --raft`);
  return withPort(http, port);
}

/** A directory name for a node id (ids like ":11000,:12000" hold characters no one wants in a path). */
export function dirNameFor(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.]+|_+$/g, '') || 'node';
}

export function readRemembered(dir: string): RememberedNode | undefined {
  const file = path.join(dir, NODE_FILE);
  if (!existsSync(file)) return undefined;
  let v: Partial<RememberedNode>;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as Partial<RememberedNode>;
  } catch (e) {
    throw new Error(`${file} is not readable JSON (${(e as Error).message}); it says which node this directory belongs to`);
  }
  if (typeof v.id !== 'string' || typeof v.http !== 'string' || typeof v.raft !== 'string' || !Array.isArray(v.join)) throw new Error(`${file} lacks id, http, raft or join`);
  return { id: v.id, http: v.http, raft: v.raft, ...(typeof v.resp === 'string' ? { resp: v.resp } : {}), join: v.join.map(String) };
}

export function writeRemembered(dir: string, node: RememberedNode): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, NODE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(node, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/**
 * The settings of one `raftkv node`. `cwd` anchors relative directories;
 * `hostToward` says which address of this machine reaches the given peers
 * (this-host.ts; tests pass their own).
 */
export async function resolveNodeSettings(flags: NodeFlags, cwd: string, hostToward: (peers: readonly string[]) => Promise<string> = thisHostToward): Promise<NodeSettings> {
  const defaultDir = (id: string): string => path.resolve(cwd, 'raftkv-data', dirNameFor(id));
  const given = flags.dir !== undefined ? path.resolve(cwd, flags.dir) : undefined;
  // The directory, when the flags name it or the id it is named after: what it remembers fills in the rest.
  const known = flags.inmem ? undefined : (given ?? (flags.id !== undefined ? defaultDir(flags.id) : undefined));
  const early = known ? readRemembered(known) : undefined;
  const http = checkAddr('http', flags.http ?? early?.http ?? DEFAULT_HTTP);
  const raft = checkAddr('raft', flags.raft ?? early?.raft ?? derivedRaftAddr(http));
  const resp = flags.resp !== undefined ? checkAddr('resp', flags.resp) : early?.resp;
  const id = flags.id ?? early?.id ?? `${http},${raft}`;
  if (id === '') throw new Error('--id must not be empty');
  const joinGiven = flags.join !== undefined ? flags.join.split(',').filter(Boolean).map((a) => checkAddr('join', a)) : undefined;

  const host = await hostToward(joinGiven ?? early?.join ?? []);
  const addrs: MemberAddrs = { http: onHost(http, host), raft: onHost(raft, host), ...(resp !== undefined ? { resp: onHost(resp, host) } : {}) };
  const join = (joinGiven ?? early?.join ?? []).map((a) => onHost(a, host));
  const dir = flags.inmem ? undefined : (known ?? defaultDir(id));
  const remembered = early ?? (dir && !known ? readRemembered(dir) : undefined);
  if (remembered) {
    const clash = (['id', 'http', 'raft', 'resp'] as const).find((k) => (k === 'id' ? id : addrs[k]) !== remembered[k]);
    if (clash) {
      throw new Error(
        `${dir} belongs to node ${remembered.id} (http ${remembered.http}, raft ${remembered.raft}${remembered.resp ? `, resp ${remembered.resp}` : ''}), ` +
          `not ${clash} ${JSON.stringify(clash === 'id' ? id : (addrs[clash] ?? null))}: start it with its own id and addresses, or with only its directory`,
      );
    }
  }
  const founds = join.length === 0 || join[0] === addrs.http;
  return {
    id,
    addrs,
    dir,
    founds,
    joinVia: join.filter((a) => a !== addrs.http),
    remember: { id, http: addrs.http, raft: addrs.raft, ...(addrs.resp ? { resp: addrs.resp } : {}), join: remembered?.join ?? join },
  };
}
