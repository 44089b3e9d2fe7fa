// Free loopback ports for the clusters that chaos, bench and the tests
// start: found by binding port 0, never the defaults of cluster.config.json.

import net from 'node:net';

/** `n` distinct free loopback ports (free when they were found: bind them soon). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}
