// Hash slots as Redis Cluster computes them: the expected values were read
// from a real redis-server 7 (`CLUSTER KEYSLOT`), and CRC16("123456789") is
// the XMODEM check value.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotMap, slotProblems } from '../../src/common/slot-map.js';
import { SLOT_COUNT, crc16, formatSlotRanges, keySlot, parseSlotRanges, splitSlotsEvenly } from '../../src/common/slots.js';

test('CRC16 is XMODEM: the check value of "123456789" is 0x31C3', () => {
  assert.equal(crc16(Buffer.from('123456789')), 0x31c3);
  assert.equal(crc16(Buffer.alloc(0)), 0);
});

test('key slots match redis-server CLUSTER KEYSLOT', () => {
  const known: [string, number][] = [
    ['foo', 12182],
    ['bar', 5061],
    ['hello', 866],
    ['somekey', 11058],
    ['123456789', 12739],
    ['k0', 8579],
    ['k1', 12706],
    ['é', 10180], // UTF-8 bytes, not UTF-16 code units
    ['', 0],
  ];
  for (const [key, slot] of known) assert.equal(keySlot(key), slot, key);
});

test('a {tag} is hashed alone, so tagged keys share a slot', () => {
  assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
  assert.equal(keySlot('{user1000}.following'), 3443);
  assert.equal(keySlot('user1000'), 3443);
  assert.equal(keySlot('foo{hash_tag}'), 2515);
  assert.equal(keySlot('bar{hash_tag}'), 2515);
});

test('hash tag edge cases follow Redis: the first "{", the first "}" after it, and never an empty tag', () => {
  assert.equal(keySlot('foo{}{bar}'), 8363); // empty first tag: the whole key
  assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar')); // the tag is "{bar"
  assert.equal(keySlot('foo{{bar}}zap'), 4015);
  assert.equal(keySlot('foo{bar}{zap}'), keySlot('bar')); // only the first tag counts
  assert.equal(keySlot('foo{bar'), crc16(Buffer.from('foo{bar')) % SLOT_COUNT); // never closed: the whole key
});

test('slot ranges parse, format and split evenly', () => {
  assert.deepEqual(parseSlotRanges('0-8191'), [[0, 8191]]);
  assert.deepEqual(parseSlotRanges('0-99, 200,300-399'), [[0, 99], [200, 200], [300, 399]]);
  assert.equal(formatSlotRanges([[0, 99], [200, 200]]), '0-99,200');
  assert.throws(() => parseSlotRanges('0-16384'), /out of range/);
  assert.throws(() => parseSlotRanges('10-5'), /ends before it starts/);
  assert.throws(() => parseSlotRanges('a-b'), /not a slot or a range/);
  assert.deepEqual(splitSlotsEvenly(2), [[0, 8191], [8192, 16383]]);
  assert.deepEqual(splitSlotsEvenly(3), [[0, 5460], [5461, 10921], [10922, 16383]]);
  assert.deepEqual(splitSlotsEvenly(1), [[0, 16383]]);
});

test('a slot map needs every slot owned exactly once', () => {
  assert.deepEqual(slotProblems([{ id: 'a', slots: [[0, 16383]] }]), []);
  assert.match(slotProblems([{ id: 'a', slots: [[0, 100]] }, { id: 'b', slots: [[100, 16383]] }])[0]!, /slot 100 is also owned by shard a/);
  assert.match(slotProblems([{ id: 'a', slots: [[0, 99]] }, { id: 'b', slots: [[200, 16383]] }])[0]!, /slots 100-199 belong to no shard/);
  const map = new SlotMap([{ id: 'a', slots: [[0, 8191]] }, { id: 'b', slots: [[8192, 16383]] }]);
  assert.equal(map.shardOfKey('foo').id, 'b'); // 12182
  assert.equal(map.shardOfKey('bar').id, 'a'); // 5061
  assert.equal(map.shardOfKey('{foo}.anything').id, 'b');
});
