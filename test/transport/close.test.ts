import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { numbered, sleep, startNode, TEST_IDENTITY, waitFor } from './helpers.js';

/** Handles that would keep the process alive, by kind (stdio pipes and the like are left out). */
function liveHandles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (/TCP|Timeout|Immediate/.test(r)) out[r] = (out[r] ?? 0) + 1;
  return out;
}

describe('close', () => {
  it('leaves no socket, server or timer behind, whatever state the links are in', async () => {
    await sleep(10);
    const before = liveHandles();
    const b = await startNode('b');
    const c = await startNode('c');
    // a: connected to b, c delayed, d never reachable (retry timer pending), e reachable but cut.
    const a = await startNode('a', { b: b.addr, c: c.addr, d: '127.0.0.1:1', e: b.addr });
    b.transport.setPeer('a', a.addr);
    c.transport.setPeer('a', a.addr);
    a.transport.send([numbered('a', 'b', 1), numbered('a', 'e', 1)]);
    // What goes to e lands at b, which drops it (not addressed to b): both links carried traffic.
    await waitFor(() => b.received.length === 1 && b.transport.inboundStats().dropped === 1, 'traffic on the links');
    a.transport.filter.setDelay('c', 10_000);
    a.transport.send([numbered('a', 'c', 1), numbered('a', 'd', 1)]);
    b.transport.send([numbered('b', 'a', 1)]);
    await waitFor(() => a.received.length === 1, 'b to a');
    assert.notDeepEqual(liveHandles(), before);
    await Promise.all([a.transport.close(), b.transport.close(), c.transport.close()]);
    assert.deepEqual(liveHandles(), before);
  });

  it('is idempotent, and send/setPeer after close are harmless', async () => {
    const a = await startNode('a', { b: '127.0.0.1:1' });
    const first = a.transport.close();
    assert.equal(a.transport.close(), first);
    await first;
    a.transport.send([numbered('a', 'b', 1)]);
    a.transport.setPeer('c', '127.0.0.1:2');
    await a.transport.close();
    await assert.rejects(a.transport.start());
  });

  it('can close a transport that was never started, or is still starting', async () => {
    const idle = new TcpTransport({ id: 'a', identity: TEST_IDENTITY, listen: '127.0.0.1:0', peers: { b: '127.0.0.1:1' }, onMessage: () => {} });
    idle.send([numbered('a', 'b', 1)]);
    await idle.close();
    const starting = new TcpTransport({ id: 'a', identity: TEST_IDENTITY, listen: '127.0.0.1:0', peers: {}, onMessage: () => {} });
    const started = starting.start();
    await starting.close();
    await assert.rejects(started);
  });

  it('lets the process exit by itself after close', async () => {
    const transportUrl = new URL('../../src/transport/tcp-transport.js', import.meta.url).href;
    const identityUrl = new URL('../../src/common/cluster-identity.js', import.meta.url).href;
    const script = `
      import { TcpTransport } from ${JSON.stringify(transportUrl)};
      import { clusterIdentity } from ${JSON.stringify(identityUrl)};
      const identity = clusterIdentity('close-test-cluster-token');
      const b = new TcpTransport({ id: 'b', identity, listen: '127.0.0.1:0', peers: {}, onMessage: () => {} });
      const { port } = await b.start();
      const a = new TcpTransport({ id: 'a', identity, listen: '127.0.0.1:0', peers: { b: '127.0.0.1:' + port, c: '127.0.0.1:1' }, onMessage: () => {} });
      await a.start();
      a.filter.setDelay('b', 60000);
      a.send([{ type: 'Heartbeat', from: 'a', to: 'b', term: 1, index: 0, logTerm: 0, commit: 0 }]);
      await new Promise((r) => setTimeout(r, 100));
      await a.close();
      await b.close();
      console.log('closed');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('.', import.meta.url)) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (c) => {
        clearTimeout(kill);
        resolve(c);
      });
    });
    assert.equal(out.trim(), 'closed');
    assert.equal(code, 0, 'the process exited on its own (not killed after 10 s)');
  });
});
