// The foreign-key subscription index: a linked list per foreign key over get/put/delete.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SubscriptionIndex } from '../../../projections/operators/subscriptions.ts';
import { MemoryStore } from '../../../projections/store.ts';

void describe('subscription index', () => {
  void it('keeps subscribers in subscription order through removals anywhere', () => {
    const store = new MemoryStore<any>();
    const idx = new SubscriptionIndex(store);
    const list = (fk: unknown) => [...idx.subscribers(fk)].map((s) => s.left);
    for (const l of ['a', 'b', 'c', 'd']) idx.subscribe('f', l, 1);
    idx.subscribe('g', 'a', 1);
    assert.deepEqual(list('f'), ['a', 'b', 'c', 'd']);
    idx.unsubscribe('f', 'b'); // middle
    idx.unsubscribe('f', 'a'); // head
    idx.unsubscribe('f', 'd'); // tail
    assert.deepEqual(list('f'), ['c']);
    idx.subscribe('f', 'e', 1);
    idx.subscribe('f', 'c', 7); // re-subscribe keeps the place, updates the hash
    assert.deepEqual(
      [...idx.subscribers('f')],
      [
        { left: 'c', hash: 7 },
        { left: 'e', hash: 1 },
      ],
    );
    idx.unsubscribe('f', 'c');
    idx.unsubscribe('f', 'e');
    idx.unsubscribe('f', 'zzz'); // unknown: no-op
    assert.deepEqual(list('f'), []);
    assert.deepEqual(list('g'), ['a']);
    assert.equal(store.size, 2, "only g's head and entry remain");
  });

  void it('matches foreign keys by their encoded form (FK 0 finds right key "0")', () => {
    const idx = new SubscriptionIndex(new MemoryStore<any>());
    idx.subscribe(0, 'l1', 1);
    assert.deepEqual(
      [...idx.subscribers('0')].map((s) => s.left),
      ['l1'],
    );
  });
});
