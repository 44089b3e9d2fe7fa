// What ":11000" means: a port on this host. Go's net package binds such an
// address on every interface; raftkv binds it where the cluster can reach it
// and says so: on loopback while every peer is on this machine, and on the
// address this machine reaches a remote peer from when one is named (the one
// the kernel's routing table picks, as a UDP "connect" reveals without
// sending a packet).

import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { bareHost, isLoopbackHost } from '../common/address.js';

export const LOOPBACK = '127.0.0.1';

/** ":port" on `host`; an address with a host stays as it is. */
export function onHost(addr: string, host: string): string {
  return addr.startsWith(':') ? `${host}${addr}` : addr;
}

/** This machine's address toward the first remote host among `peers` (host-less and loopback ones are local), else loopback. */
export async function thisHostToward(peers: readonly string[]): Promise<string> {
  const remote = peers.map(bareHost).find((h) => h !== '' && !isLoopbackHost(h));
  return remote === undefined ? LOOPBACK : localAddressToward(remote);
}

export function localAddressToward(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    socket.once('error', (e) => {
      socket.close();
      reject(new Error(`cannot tell this machine's address toward ${host}: ${e.message}`));
    });
    socket.connect(9, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}
