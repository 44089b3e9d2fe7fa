import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WatchHub, type WatchEvent } from '../../src/node/watch-hub.js';
import { NodeError } from '../../src/common/errors.js';

const put = (key: string, rev: number) => ({ key, value: `v${rev}`, rev });

test('a watcher gets the changes after its revision, then each new one; system rows are not changes', () => {
  const hub = new WatchHub(100, 10);
  hub.applied([put('a', 11), { key: '\u0000clock', value: '5' }, put('b', 12)], 12);
  const got: WatchEvent[] = [];
  const cancel = hub.watch('', 11, { send: (e) => got.push(...e), end: () => assert.fail('ended') });
  hub.applied([{ key: 'a', value: null, rev: 13 }, { key: 'b', value: null, rev: 13, expired: true }], 13);
  assert.deepEqual(
    got.map((e) => `${e.type} ${e.key} ${e.revision}`),
    ['put b 12', 'delete a 13', 'expire b 13'],
  );
  cancel();
  hub.applied([put('c', 14)], 14);
  assert.equal(got.length, 3, 'nothing after cancel');
});

test('the window drops whole revisions; older starts are compacted, with the oldest served', () => {
  const hub = new WatchHub(3, 0);
  hub.applied([put('a', 1), put('b', 1)], 1);
  hub.applied([put('c', 2), put('d', 2)], 2);
  assert.equal(hub.oldest, 1, 'revision 1 went whole');
  assert.throws(
    () => hub.watch('', 0, { send: () => {}, end: () => {} }),
    (e: unknown) => e instanceof NodeError && e.code === 'RAFTKV_ERR_COMPACTED' && e.details?.oldest === 1,
  );
  const got: string[] = [];
  hub.watch('', 1, { send: (e) => got.push(...e.map((x) => x.key)), end: () => {} });
  assert.deepEqual(got, ['c', 'd']);
});

test('a snapshot install ends every watcher with compacted and restarts the window there', () => {
  const hub = new WatchHub(10, 0);
  let ended: NodeError | undefined;
  hub.watch('p', 0, { send: () => {}, end: (e) => (ended = e) });
  hub.restored(50);
  assert.equal(ended?.code, 'RAFTKV_ERR_COMPACTED');
  assert.equal(hub.oldest, 50);
  assert.equal(hub.watchers, 0);
});
