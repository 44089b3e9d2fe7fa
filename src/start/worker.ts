// Entry of a node's worker thread (`raftkv cluster`, the default isolation).

import { parentPort, workerData } from 'node:worker_threads';
import { hostNode, type HostData } from './node-host.js';

const port = parentPort!;
await hostNode(
  {
    post: (m) => port.postMessage(m),
    onMessage: (fn) => port.on('message', fn),
    // Closing the port lets the thread end once the node's handles are gone.
    end: () => setImmediate(() => port.close()),
  },
  workerData as HostData,
);
