import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { EntryKind, MessageType, type Message } from '../../src/raft/types.js';
import { contexts, meet, numbered, startNode, waitFor, type TestNode } from './helpers.js';

describe('bounds on what waits to go out', () => {
  const open: TestNode[] = [];
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(open.map((n) => n.transport.close()));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('drops beyond maxQueuedBytes while a connected peer does not read', async () => {
    // A peer that accepts and then never reads: the kernel buffers fill, then ours.
    const stalled = net.createServer((s) => {
      sockets.push(s);
      s.pause();
    });
    servers.push(stalled);
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const port = (stalled.address() as net.AddressInfo).port;
    const a = await startNode('a', { b: `127.0.0.1:${port}` }, { maxQueuedBytes: 256 * 1024 });
    open.push(a);
    await waitFor(() => a.transport.stats().b!.connected, 'the connection');
    const big: Message = { type: MessageType.App, from: 'a', to: 'b', term: 1, index: 0, logTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: EntryKind.Normal, data: new Uint8Array(16 * 1024) }] };
    for (let round = 0; round < 2000 && a.transport.stats().b!.dropped === 0; round++) {
      for (let i = 0; i < 8; i++) a.transport.send([big]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const s = a.transport.stats().b!;
    assert.ok(s.dropped > 0, 'messages were dropped once the bound was reached');
    assert.equal(s.connected, true);
    assert.ok(a.logs.some((l) => l.event.includes('queue full') && l.fields.connected === true));
  });

  it('splits a batch too large for one frame, dropping only a message too large alone', async () => {
    const b = await startNode('b');
    const a = await startNode('a', { b: b.addr }, { limits: { maxPeerFrameBytes: 4096 } });
    open.push(a, b);
    meet(a, b);
    const withData = (n: number, size: number): Message => ({ ...numbered('a', 'b', n), type: MessageType.App, entries: [{ index: 1, term: 1, kind: EntryKind.Normal, data: new Uint8Array(size) }] });
    a.transport.send([withData(1, 1500), withData(2, 1500), withData(3, 5000), withData(4, 1500)]);
    a.transport.send([numbered('a', 'b', 5)]);
    await waitFor(() => b.received.at(-1)?.context === 5, 'the last message');
    assert.deepEqual(contexts(b.received), [1, 2, 4, 5]);
    assert.equal(a.transport.stats().b!.dropped, 1);
    assert.ok(a.logs.some((l) => l.event.includes('too large')));
  });
});
