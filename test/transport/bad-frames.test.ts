import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { encodeBatchFrame, encodeHelloFrame } from '../../src/transport/codec.js';
import { frame } from '../../src/transport/framing.js';
import { contexts, healthyPair, meet, numbered, startNode, TEST_IDENTITY, waitFor, type TestNode } from './helpers.js';

/** The hello a member (node a, a peer of b) sends: what follows it is read. */
const memberHello = (): Buffer => encodeHelloFrame('a', TEST_IDENTITY);

const MAX_FRAME = 4096;

/** Opens a raw connection, writes `bytes`, and resolves once the server has closed it. */
function rawSession(port: number, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => {}); // the server may reset the connection
    s.on('data', () => {});
    s.once('close', () => resolve());
    s.once('connect', () => {
      for (const b of bytes) s.write(b);
    });
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error('the server kept the connection open'));
    });
  });
}

describe('bad input from a connection', () => {
  const open: TestNode[] = [];
  after(() => Promise.all(open.map((n) => n.transport.close())));

  const setup = () => healthyPair(open, { limits: { maxPeerFrameBytes: MAX_FRAME } });

  const closedWith = (b: TestNode, code: string) => b.logs.some((l) => l.event === 'transport closing inbound connection' && l.fields.code === code);

  it('closes a connection announcing an oversized frame and keeps serving others', async () => {
    const { b, check } = await setup();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(MAX_FRAME + 1);
    await rawSession(b.port, [memberHello(), header, Buffer.alloc(100)]);
    assert.ok(closedWith(b, 'RAFTKV_ERR_FRAME_TOO_LARGE'));
    await check(1);
  });

  it('closes a connection whose first frame is not a hello', async () => {
    const { b, check } = await setup();
    await rawSession(b.port, [encodeBatchFrame([numbered('evil', 'b', 99)])]);
    await rawSession(b.port, [frame(Buffer.from('GET / HTTP/1.1\r\n\r\n'))]);
    assert.ok(closedWith(b, 'RAFTKV_ERR_BAD_HELLO'));
    await check(1);
    assert.deepEqual(contexts(b.received), [0, 1], 'nothing from the bad connections was delivered');
  });

  it('closes a connection sending garbage after its hello', async () => {
    const { b, check } = await setup();
    const packr = new Packr({ useRecords: false });
    await rawSession(b.port, [memberHello(), frame(Buffer.from([0xc1, 0xff, 0x00]))]);
    await rawSession(b.port, [memberHello(), frame(packr.pack({ type: 'App' }))]);
    await rawSession(b.port, [memberHello(), frame(packr.pack([[4, 'a', 'b', 1, 0, 0, 0, 0, 'not entries']]))]);
    assert.equal(b.logs.filter((l) => l.fields.code === 'RAFTKV_ERR_BAD_FRAME').length, 3);
    await check(1);
    assert.deepEqual(contexts(b.received), [0, 1]);
  });

  it('closes a connection of raw noise (no length prefix at all)', async () => {
    const { b, check } = await setup();
    // "GET " read as a length is over a gigabyte.
    await rawSession(b.port, [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]);
    assert.ok(closedWith(b, 'RAFTKV_ERR_FRAME_TOO_LARGE'));
    await check(1);
  });

  it('delivers the good frames that came before a bad one on the same connection', async () => {
    const { b, check } = await setup();
    await rawSession(b.port, [Buffer.concat([memberHello(), encodeBatchFrame([numbered('a', 'b', 500)]), frame(Buffer.from([0xc1]))])]);
    await check(1);
    assert.deepEqual(contexts(b.received), [0, 500, 1]);
  });
});
