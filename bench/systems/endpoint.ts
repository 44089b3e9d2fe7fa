/** A loopback address a workload sends to. */
export interface Endpoint {
  id: string;
  host: string;
  port: number;
}

export function parseHostPort(id: string, addr: string): Endpoint {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new Error(`${JSON.stringify(addr)} is not host:port`);
  return { id, host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}

/** Members to send a workload's requests to: the leader and one follower. */
export interface Topology {
  leader: Endpoint;
  follower: Endpoint | undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
