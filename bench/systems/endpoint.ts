import { parseHostPort } from '../../src/transport/address.js';

/** A loopback address a workload sends to. */
export interface Endpoint {
  id: string;
  host: string;
  port: number;
}

/** The member `id` at `addr` (host:port). */
export function endpointOf(id: string, addr: string): Endpoint {
  return { id, ...parseHostPort(addr) };
}

/** Members to send a workload's requests to: the leader and one follower. */
export interface Topology {
  leader: Endpoint;
  follower: Endpoint | undefined;
}

/** The last lines of a log file, to explain why a server did not start. */
export async function tailOf(file: string, lines = 15): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
