import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { contexts, numbered, sleep, startNode, strictlyIncreasing, waitFor, type TestNode } from './helpers.js';

describe('reconnect', () => {
  const open: TestNode[] = [];
  after(() => Promise.all(open.map((n) => n.transport.close())));

  it('reconnects to a new transport on the same port: nothing duplicated or reordered', async () => {
    const b1 = await startNode('b');
    const a = await startNode('a', { b: b1.addr });
    open.push(a, b1);
    b1.transport.setPeer('a', a.addr);
    let next = 0;
    const sendSome = (k: number) => {
      for (let i = 0; i < k; i++) a.transport.send([numbered('a', 'b', next++)]);
    };
    sendSome(100);
    await waitFor(() => b1.received.length === 100, 'first 100');
    await b1.transport.close();
    sendSome(50); // some may go into the dying connection and be lost
    await waitFor(() => !a.transport.stats().b!.connected, 'a to notice the peer is gone');
    sendSome(50); // queued while down
    const lastQueued = next - 1;
    const b2 = await startNode('b', { a: a.addr }, { listen: `127.0.0.1:${b1.port}` });
    open.push(b2);
    await waitFor(() => b2.received.at(-1)?.context === lastQueued, 'the queued messages');
    sendSome(50);
    await waitFor(() => b2.received.at(-1)?.context === next - 1, 'messages after the reconnect');
    const got = contexts(b2.received);
    assert.ok(strictlyIncreasing(got), `delivered in order without duplicates: ${got.join(',')}`);
    assert.ok(got.length >= 100, 'at least the queued and the later messages arrive');
    assert.ok(got[0]! >= 100, 'the new transport never sees what the old one received');
    assert.equal(a.transport.stats().b!.reconnects, 1);
    assert.equal(a.transport.stats().b!.connected, true);
  });

  it('keeps dialing a peer that is not up yet and delivers once it starts', async () => {
    const probe = await startNode('probe');
    const port = probe.port;
    await probe.transport.close(); // a port that was free a moment ago
    const a = await startNode('a', { b: `127.0.0.1:${port}` });
    open.push(a);
    a.transport.send([numbered('a', 'b', 1)]);
    await sleep(150); // several failed dials
    assert.equal(a.transport.stats().b!.connected, false);
    a.transport.send([numbered('a', 'b', 2)]);
    const b = await startNode('b', { a: a.addr }, { listen: `127.0.0.1:${port}` });
    open.push(b);
    await waitFor(() => b.received.length === 2, 'both queued messages');
    assert.deepEqual(contexts(b.received), [1, 2]);
    assert.ok(a.logs.some((l) => l.event === 'transport peer unreachable'), 'the outage was logged');
  });

  it('drops beyond maxQueuedBytes while the peer is down, keeping order of what it kept', async () => {
    const probe = await startNode('probe');
    const port = probe.port;
    await probe.transport.close();
    const a = await startNode('a', { b: `127.0.0.1:${port}` }, { maxQueuedBytes: 1000 });
    open.push(a);
    for (let i = 0; i < 200; i++) a.transport.send([numbered('a', 'b', i)]);
    const dropped = a.transport.stats().b!.dropped;
    assert.ok(dropped > 0 && dropped < 200, `some but not all dropped (${dropped})`);
    const b = await startNode('b', { a: a.addr }, { listen: `127.0.0.1:${port}` });
    open.push(b);
    await waitFor(() => b.received.length === 200 - dropped, 'the kept messages');
    assert.deepEqual(contexts(b.received), Array.from({ length: 200 - dropped }, (_, i) => i), 'the oldest were kept, in order');
    assert.ok(a.logs.some((l) => l.event.includes('queue full')));
  });

  it('moves to a new address given by setPeer', async () => {
    const b1 = await startNode('b');
    const b2 = await startNode('b');
    const a = await startNode('a', { b: b1.addr });
    open.push(a, b1, b2);
    b1.transport.setPeer('a', a.addr);
    b2.transport.setPeer('a', a.addr);
    a.transport.send([numbered('a', 'b', 1)]);
    await waitFor(() => b1.received.length === 1, 'message at the first address');
    a.transport.setPeer('b', b2.addr);
    a.transport.send([numbered('a', 'b', 2)]);
    await waitFor(() => b2.received.length === 1, 'message at the second address');
    assert.deepEqual(contexts(b2.received), [2]);
    assert.equal(b1.received.length, 1);
  });
});
