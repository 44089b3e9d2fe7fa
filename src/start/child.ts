// Entry of a node's child process (`raftkv cluster --isolation process`),
// where `kill` is a real SIGKILL from the launcher.

import { hostNode, type HostData } from './node-host.js';
import type { ParentToWorker, WorkerToParent } from '../node/worker-protocol.js';

const init = process.env.RAFTKV_NODE_HOST;
if (!init || !process.send) {
  console.error('raftkv: start/child.js is started by the launcher (raftkv cluster --isolation process), not by hand');
  process.exit(2);
}
const data = JSON.parse(init) as HostData;
let ending = false;
const channel = {
  post: (m: WorkerToParent): void => {
    if (process.connected) process.send!(m);
  },
  onMessage: (fn: (m: ParentToWorker) => void): void => {
    process.on('message', (m) => fn(m as ParentToWorker));
    // The launcher is gone (it crashed or was killed): do not outlive it.
    process.on('disconnect', () => {
      if (!ending) fn({ type: 'stop', reason: 'launcher disconnected' });
    });
  },
  end: (): void => {
    ending = true;
    setImmediate(() => process.exit(0));
  },
};
await hostNode(channel, data);
