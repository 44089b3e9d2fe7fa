import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { contexts, numbered, sleep, startNode, waitFor, type TestNode } from './helpers.js';

/** Two transports that know each other. */
async function pair(open: TestNode[]): Promise<[TestNode, TestNode]> {
  const b = await startNode('b');
  const a = await startNode('a', { b: b.addr });
  b.transport.setPeer('a', a.addr);
  open.push(a, b);
  return [a, b];
}

/** Sends a marker both ways and waits for it, proving the links are up and drained. */
async function roundTrip(a: TestNode, b: TestNode, n: number): Promise<void> {
  a.transport.send([numbered('a', 'b', n)]);
  b.transport.send([numbered('b', 'a', n)]);
  await waitFor(() => b.received.at(-1)?.context === n && a.received.at(-1)?.context === n, `marker ${n} both ways`);
}

describe('link filter on live transports', () => {
  const open: TestNode[] = [];
  after(() => Promise.all(open.map((n) => n.transport.close())));

  it('cut drops everything to the peer, heal restores the link', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    a.transport.filter.cut('b');
    for (let i = 1; i <= 10; i++) a.transport.send([numbered('a', 'b', i)]);
    a.transport.filter.heal('b');
    await roundTrip(a, b, 11);
    assert.deepEqual(contexts(b.received), [0, 11]);
    assert.equal(a.transport.stats().b!.dropped, 10);
    assert.equal(a.transport.stats().b!.connected, true, 'a cut does not touch the connection');
  });

  it('a one-way cut A->B on A leaves B->A working', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    a.transport.filter.cut('b');
    a.transport.send([numbered('a', 'b', 1)]);
    b.transport.send([numbered('b', 'a', 1)]);
    await waitFor(() => a.received.length === 2, 'b to a');
    a.transport.filter.heal();
    await roundTrip(a, b, 2);
    assert.deepEqual(contexts(b.received), [0, 2]);
    assert.deepEqual(contexts(a.received), [0, 1, 2]);
  });

  it('a one-way cut A->B enforced on B (cutFrom) leaves B->A working', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    b.transport.filter.cutFrom('a');
    a.transport.send([numbered('a', 'b', 1), numbered('a', 'b', 2)]);
    b.transport.send([numbered('b', 'a', 1)]);
    await waitFor(() => a.received.length === 2, 'b to a');
    await sleep(20);
    assert.deepEqual(contexts(b.received), [0], 'nothing from a was handed on');
    b.transport.filter.heal('a');
    await roundTrip(a, b, 3);
    assert.deepEqual(contexts(b.received), [0, 3]);
    assert.equal(a.transport.stats().b!.dropped, 0, 'the sender did not drop: the receiver did');
  });

  it('100% loss drops every message, 0% none', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    a.transport.filter.setLoss('*', 100);
    const batch = Array.from({ length: 100 }, (_, i) => numbered('a', 'b', i + 1));
    a.transport.send(batch);
    for (const m of batch) a.transport.send([m]);
    assert.equal(a.transport.stats().b!.dropped, 200);
    a.transport.filter.setLoss('*', 0);
    await roundTrip(a, b, 1000);
    assert.deepEqual(contexts(b.received), [0, 1000]);
  });

  it('partial loss drops whole messages and keeps the order of the rest', async () => {
    const [a, b] = await pair(open);
    a.transport.filter.setLoss('b', 50);
    for (let i = 0; i < 400; i += 4) a.transport.send([0, 1, 2, 3].map((k) => numbered('a', 'b', i + k)));
    a.transport.filter.heal();
    await roundTrip(a, b, 1000);
    const got = contexts(b.received);
    const dropped = a.transport.stats().b!.dropped;
    assert.equal(got.length, 401 - dropped);
    assert.ok(dropped > 50 && dropped < 350, `about half lost (${dropped})`);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, 'in order');
    assert.ok(b.received.every((m) => m.type === 'Heartbeat' && m.from === 'a'), 'every delivered message is whole');
  });

  it('delay holds messages back and keeps FIFO order when the delay shrinks', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    a.transport.filter.setDelay('b', 80);
    for (let i = 1; i <= 20; i++) a.transport.send([numbered('a', 'b', i)]);
    a.transport.filter.setDelay('b', 5);
    for (let i = 21; i <= 30; i++) a.transport.send([numbered('a', 'b', i)]);
    a.transport.filter.setDelay('b', 0);
    for (let i = 31; i <= 40; i++) a.transport.send([numbered('a', 'b', i)]);
    await sleep(20);
    assert.deepEqual(contexts(b.received), [0], 'nothing overtakes the delayed messages');
    await waitFor(() => b.received.length === 41, 'the delayed messages');
    assert.deepEqual(contexts(b.received), Array.from({ length: 41 }, (_, i) => i));
    a.transport.filter.heal();
    await roundTrip(a, b, 41);
  });

  it('a cut made while messages are delayed drops them', async () => {
    const [a, b] = await pair(open);
    await roundTrip(a, b, 0);
    a.transport.filter.setDelay('b', 30);
    a.transport.send([numbered('a', 'b', 1), numbered('a', 'b', 2)]);
    a.transport.filter.cut('b');
    await sleep(60);
    a.transport.filter.heal();
    await roundTrip(a, b, 3);
    assert.deepEqual(contexts(b.received), [0, 3]);
    assert.equal(a.transport.stats().b!.dropped, 2);
  });
});
