// The bytes a load generator sends: one pre-built request per key, so the
// hot loop only picks a key and writes a buffer.

export type ReadLevel = 'linearizable' | 'leader' | 'stale';

/** What one request does, per API. */
export type RequestSpec =
  | { api: 'raftkv'; op: 'set' }
  | { api: 'raftkv'; op: 'get'; level: ReadLevel }
  | { api: 'etcd'; op: 'put' }
  /** `serializable`: answered from the receiving member's local state, without a quorum round. */
  | { api: 'etcd'; op: 'range'; serializable: boolean }
  | { api: 'resp'; op: RespOp };

/** The RESP workloads' commands: strings, and one write of each data type. */
export type RespOp = 'set' | 'get' | TypeWriteOp;
export type TypeWriteOp = 'lpush' | 'hset' | 'sadd' | 'zadd';

/** How many lists, hashes, sets or sorted sets the data type workloads spread over. */
const TYPE_KEYS = 64;
/**
 * Distinct requests of SADD and ZADD: a repeated member changes nothing,
 * and Redis then skips its AOF write, so the members must mostly be new.
 */
const TYPE_MEMBERS = 200_000;

export interface KeySpace {
  keys: number;
  valueBytes: number;
  /** Prefix of every key name (the rest is a zero-padded index). */
  prefix: string;
}

export function keyName(space: KeySpace, i: number): string {
  return space.prefix + String(i).padStart(Math.max(5, String(space.keys - 1).length), '0');
}

/** A printable value of the given length, the same for every key. */
export function valueOf(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let v = '';
  for (let i = 0; i < bytes; i++) v += alphabet[i % alphabet.length];
  return v;
}

function httpRequest(method: string, path: string, host: string, body?: string, token?: string): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n${token === undefined ? '' : `Authorization: Bearer ${token}\r\n`}`;
  if (body === undefined) return Buffer.from(`${head}\r\n`, 'latin1');
  return Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'utf8');
}

export function respCommand(args: string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return Buffer.from(s, 'utf8');
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** The request for key `i`. `host` is "host:port", for the Host header; a raftkv HTTP request carries `token` as a Bearer token (RESP logs in once per connection instead). */
export function buildRequest(spec: RequestSpec, space: KeySpace, i: number, host: string, token?: string): Buffer {
  const key = keyName(space, i);
  const value = valueOf(space.valueBytes);
  switch (spec.api) {
    case 'raftkv':
      if (spec.op === 'set') return httpRequest('POST', '/key', host, JSON.stringify({ [key]: value }), token);
      return httpRequest('GET', `/key/${encodeURIComponent(key)}?level=${spec.level}`, host, undefined, token);
    case 'etcd':
      if (spec.op === 'put') return httpRequest('POST', '/v3/kv/put', host, JSON.stringify({ key: b64(key), value: b64(value) }));
      return httpRequest('POST', '/v3/kv/range', host, JSON.stringify(spec.serializable ? { key: b64(key), serializable: true } : { key: b64(key) }));
    case 'resp':
      if (spec.op === 'set') return respCommand(['SET', key, value]);
      if (spec.op === 'get') return respCommand(['GET', key]);
      return respCommand(typeWrite(spec.op, space, i, key, value));
  }
}

/** One write of a data type: onto one of TYPE_KEYS values, a new element for each request. */
function typeWrite(op: TypeWriteOp, space: KeySpace, i: number, member: string, value: string): string[] {
  const target = `${space.prefix}${op}:${i % TYPE_KEYS}`;
  switch (op) {
    case 'lpush':
      return ['LPUSH', target, value];
    case 'hset':
      return ['HSET', target, member, value];
    case 'sadd':
      return ['SADD', target, member];
    case 'zadd':
      return ['ZADD', target, String(i), member];
  }
}

export function buildRequests(spec: RequestSpec, space: KeySpace, host: string, token?: string): Buffer[] {
  const n = spec.api === 'resp' && (spec.op === 'sadd' || spec.op === 'zadd') ? Math.max(space.keys, TYPE_MEMBERS) : space.keys;
  return Array.from({ length: n }, (_, i) => buildRequest(spec, space, i, host, token));
}

export function isWrite(spec: RequestSpec): boolean {
  return spec.op !== 'get' && spec.op !== 'range';
}
