import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LinkFilter } from '../../src/transport/link-filter.js';

describe('link filter', () => {
  it('is inactive and passes everything with no rules', () => {
    const f = new LinkFilter();
    assert.equal(f.active, false);
    assert.equal(f.dropsTo('b'), false);
    assert.equal(f.isCutFrom('b'), false);
    assert.equal(f.delayTo('b'), 0);
  });

  it('cuts one way per peer and heals', () => {
    const f = new LinkFilter();
    f.cut('b');
    assert.equal(f.dropsTo('b'), true);
    assert.equal(f.dropsTo('c'), false);
    assert.equal(f.isCutFrom('b'), false, 'a cut to b says nothing of traffic from b');
    f.cutFrom('c');
    assert.equal(f.isCutFrom('c'), true);
    f.heal('b');
    assert.equal(f.dropsTo('b'), false);
    assert.equal(f.isCutFrom('c'), true, 'healing b leaves c alone');
    f.heal();
    assert.equal(f.active, false);
  });

  it("applies '*' rules to every peer, with peer rules taking precedence", () => {
    let r = 0.5;
    const f = new LinkFilter(() => r);
    f.setLoss('*', 60);
    f.setDelay('*', 30);
    assert.equal(f.dropsTo('b'), true);
    f.setLoss('b', 0);
    assert.equal(f.dropsTo('b'), false, 'loss 0 for b overrides *');
    assert.equal(f.dropsTo('c'), true);
    r = 0.7;
    assert.equal(f.dropsTo('c'), false, 'a draw above the loss passes');
    f.setDelay('c', 5);
    assert.equal(f.delayTo('c'), 5);
    assert.equal(f.delayTo('d'), 30);
    f.cut('*');
    assert.equal(f.isCutTo('zz'), true);
    assert.deepEqual(f.rules(), { cutTo: ['*'], cutFrom: [], loss: { '*': 60, b: 0 }, delay: { '*': 30, c: 5 } });
    f.heal();
    assert.deepEqual(f.rules(), { cutTo: [], cutFrom: [], loss: {}, delay: {} });
  });

  it('drops every message at 100% loss and none at 0%', () => {
    const f = new LinkFilter();
    f.setLoss('b', 100);
    for (let i = 0; i < 1000; i++) assert.equal(f.dropsTo('b'), true);
    f.setLoss('*', 0);
    f.setLoss('b', 0);
    for (let i = 0; i < 1000; i++) assert.equal(f.dropsTo('b'), false);
  });

  it('refuses nonsense percentages and delays', () => {
    const f = new LinkFilter();
    assert.throws(() => f.setLoss('b', 101), RangeError);
    assert.throws(() => f.setLoss('b', Number.NaN), RangeError);
    assert.throws(() => f.setDelay('b', -1), RangeError);
    assert.throws(() => f.setDelay('b', Number.POSITIVE_INFINITY), RangeError);
  });
});
