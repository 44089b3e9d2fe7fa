import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TcpTransport } from '../../src/transport/tcp-transport.js';
import { contexts, everyMessageType, meet, numbered, startNode, TEST_IDENTITY, waitFor, type TestNode } from './helpers.js';

describe('round trip between transports', () => {
  const open: TestNode[] = [];
  after(() => Promise.all(open.map((n) => n.transport.close())));

  it('carries every message type both ways with byte arrays intact', async () => {
    const b = await startNode('b');
    const a = await startNode('a', { b: b.addr });
    open.push(a, b);
    b.transport.setPeer('a', a.addr);
    const ab = everyMessageType('a', 'b');
    const ba = everyMessageType('b', 'a');
    a.transport.send(ab);
    b.transport.send(ba);
    await waitFor(() => b.received.length === ab.length && a.received.length === ba.length, 'both batches');
    assert.deepEqual(b.received, ab);
    assert.deepEqual(a.received, ba);
    for (const m of b.received) for (const e of m.entries ?? []) assert.ok(e.data instanceof Uint8Array);
    const s = a.transport.stats();
    assert.equal(s.b!.connected, true);
    assert.equal(s.b!.sentMsgs, ab.length);
    assert.ok(s.b!.sentBytes > 70_000, 'the 70 kB entry went over the wire');
    assert.equal(s.b!.dropped, 0);
  });

  it('keeps per-link order over many sends and splits a mixed send by destination', async () => {
    const b = await startNode('b');
    const c = await startNode('c');
    const a = await startNode('a', { b: b.addr, c: c.addr });
    open.push(a, b, c);
    meet(a, b);
    meet(a, c);
    const n = 2000;
    for (let i = 0; i < n; i += 4) {
      a.transport.send([numbered('a', 'b', i), numbered('a', 'c', i), numbered('a', 'b', i + 1), numbered('a', 'b', i + 2), numbered('a', 'c', i + 3)]);
      a.transport.send([numbered('a', 'b', i + 3)]);
    }
    await waitFor(() => b.received.length === n && c.received.length === n / 2, 'all messages');
    assert.deepEqual(contexts(b.received), Array.from({ length: n }, (_, i) => i));
    assert.deepEqual(contexts(c.received), Array.from({ length: n / 2 }, (_, i) => (i % 2 === 0 ? 2 * i : 2 * i + 1)));
    assert.ok(b.received.every((m) => m.to === 'b' && m.from === 'a'));
  });

  it('queues what is sent before start and delivers it once connected', async () => {
    const b = await startNode('b');
    const a = new TcpTransport({ id: 'a', identity: TEST_IDENTITY, listen: '127.0.0.1:0', peers: { b: b.addr }, onMessage: () => {} });
    open.push(b, { transport: a, addr: '', port: 0, received: [], logs: [] });
    a.send([numbered('a', 'b', 1), numbered('a', 'b', 2)]);
    assert.equal(a.stats().b!.connected, false);
    const { host, port } = await a.start();
    b.transport.setPeer('a', `${host}:${port}`);
    a.send([numbered('a', 'b', 3)]);
    await waitFor(() => b.received.length === 3, 'queued and fresh messages');
    assert.deepEqual(contexts(b.received), [1, 2, 3]);
  });

  it('ignores unknown peers, its own id and unchanged setPeer calls without throwing', async () => {
    const b = await startNode('b');
    const a = await startNode('a', { a: '127.0.0.1:1', b: b.addr });
    open.push(a, b);
    b.transport.setPeer('a', a.addr);
    assert.deepEqual(Object.keys(a.transport.stats()), ['b'], 'its own id is not a peer');
    a.transport.send([numbered('a', 'nobody', 1), numbered('a', 'b', 2)]);
    a.transport.setPeer('b', b.addr);
    a.transport.send([numbered('a', 'b', 3)]);
    await waitFor(() => b.received.length === 2, 'messages to the known peer');
    assert.deepEqual(contexts(b.received), [2, 3]);
    assert.equal(a.transport.stats().b!.reconnects, 0, 'an unchanged address does not re-dial');
    assert.ok(a.logs.some((l) => l.event.includes('no address') && l.fields.peer === 'nobody'));
  });

  it('removes a peer: its messages are dropped, and it can be added back', async () => {
    const b = await startNode('b');
    const a = await startNode('a', { b: b.addr });
    open.push(a, b);
    b.transport.setPeer('a', a.addr);
    a.transport.send([numbered('a', 'b', 1)]);
    await waitFor(() => b.received.length === 1, 'first message');
    a.transport.removePeer('b');
    assert.deepEqual(a.transport.stats(), {});
    a.transport.send([numbered('a', 'b', 2)]);
    a.transport.setPeer('b', b.addr);
    a.transport.send([numbered('a', 'b', 3)]);
    await waitFor(() => b.received.length === 2, 'message after re-adding');
    assert.deepEqual(contexts(b.received), [1, 3]);
  });
});
