// The foreign-key subscription index: the subscribers of a foreign key in one value (buckets past
// CHUNK_MAX), one store write per subscription change, and the earlier linked-list layout converted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../projections/keys.ts';
import {
  CHUNK_MAX,
  SubscriptionIndex,
  subscriptionTriples,
} from '../../../projections/operators/subscriptions.ts';
import { MemoryStore } from '../../../projections/store.ts';

/** A MemoryStore that counts writes (puts and deletes). */
class CountingStore extends MemoryStore<any> {
  writes = 0;
  override put(key: string, value: unknown): void {
    this.writes++;
    super.put(key, value);
  }
  override delete(key: string): void {
    this.writes++;
    super.delete(key);
  }
}

const lefts = (idx: SubscriptionIndex, fk: unknown) => [...idx.subscribers(fk)].map((s) => s.left);

/** Writes `subscribers` of `fk` as the linked-list layout did (head h<fk>, entries e[<fk>,<left>]). */
function writeLegacy(store: MemoryStore<any>, fk: string, subscribers: Array<[unknown, number]>): void {
  const entryKey = (left: unknown) => `e${canonicalJson([fk, left])}`;
  subscribers.forEach(([left, hash], i) => {
    const prev = i > 0 ? [subscribers[i - 1]![0]] : null;
    const next = i < subscribers.length - 1 ? [subscribers[i + 1]![0]] : null;
    store.put(entryKey(left), { hash, prev, next });
  });
  const last = subscribers[subscribers.length - 1]![0];
  store.put(`h${JSON.stringify(fk)}`, { first: subscribers[0]![0], last, size: subscribers.length });
}

void describe('subscription index', () => {
  void it('keeps subscribers in subscription order through removals anywhere', () => {
    const store = new MemoryStore<any>();
    const idx = new SubscriptionIndex(store);
    for (const l of ['a', 'b', 'c', 'd']) idx.subscribe('f', l, 1);
    idx.subscribe('g', 'a', 1);
    assert.deepEqual(lefts(idx, 'f'), ['a', 'b', 'c', 'd']);
    idx.unsubscribe('f', 'b'); // middle
    idx.unsubscribe('f', 'a'); // head
    idx.unsubscribe('f', 'd'); // tail
    assert.deepEqual(lefts(idx, 'f'), ['c']);
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
    assert.deepEqual(lefts(idx, 'f'), []);
    assert.deepEqual(lefts(idx, 'g'), ['a']);
    assert.equal(store.size, 1, "only g's value remains");
  });

  void it('matches foreign keys by their encoded form (FK 0 finds right key "0")', () => {
    const idx = new SubscriptionIndex(new MemoryStore<any>());
    idx.subscribe(0, 'l1', 1);
    assert.deepEqual(lefts(idx, '0'), ['l1']);
  });

  void it('tells left keys apart by their JSON form (5 and "5" are two rows)', () => {
    const idx = new SubscriptionIndex(new MemoryStore<any>());
    idx.subscribe('f', 5, 1);
    idx.subscribe('f', '5', 2);
    idx.unsubscribe('f', 5);
    assert.deepEqual([...idx.subscribers('f')], [{ left: '5', hash: 2 }]);
  });

  void it('costs one store write per subscribe and unsubscribe, none for an unchanged one', () => {
    const store = new CountingStore();
    const idx = new SubscriptionIndex(store);
    for (let i = 0; i < 10; i++) idx.subscribe('f', `l${i}`, i);
    assert.equal(store.writes, 10);
    idx.subscribe('f', 'l3', 3); // same row version again
    assert.equal(store.writes, 10);
    idx.unsubscribe('f', 'l5');
    idx.unsubscribe('f', 'l0');
    assert.equal(store.writes, 12);
  });

  void it('spreads a large fan-in over buckets of bounded size, losing no subscriber', () => {
    const store = new CountingStore();
    const idx = new SubscriptionIndex(store);
    const n = CHUNK_MAX * 20;
    for (let i = 0; i < n; i++) idx.subscribe('f', i, i);
    for (const [, value] of store.entries())
      if ('e' in value) assert.ok(value.e.length <= CHUNK_MAX, `a value holds ${value.e.length}`);
    assert.ok(store.writes < n * 2, `${store.writes} writes for ${n} subscriptions`);
    const all = [...idx.subscribers('f')];
    assert.equal(all.length, n);
    assert.deepEqual(
      all.map((s) => s.left).sort((a, b) => (a as number) - (b as number)),
      Array.from({ length: n }, (_, i) => i),
    );
    assert.ok(all.every((s) => s.hash === s.left));
    // The order is the same on every run: bucket by bucket, oldest first within each.
    const again = new SubscriptionIndex(new MemoryStore<any>());
    for (let i = 0; i < n; i++) again.subscribe('f', i, i);
    assert.deepEqual(lefts(again, 'f'), lefts(idx, 'f'));
    for (let i = 0; i < n; i += 2) idx.unsubscribe('f', i);
    idx.subscribe('f', 1, 99);
    const odd = [...idx.subscribers('f')];
    assert.equal(odd.length, n / 2);
    assert.ok(odd.every((s) => (s.left as number) % 2 === 1));
    assert.equal(odd.find((s) => s.left === 1)!.hash, 99);
  });

  void it('lists its content as triples, whatever order and buckets history left', () => {
    const grown = new MemoryStore<any>();
    const direct = new MemoryStore<any>();
    const a = new SubscriptionIndex(grown);
    const b = new SubscriptionIndex(direct);
    for (let i = 0; i < CHUNK_MAX * 2; i++) a.subscribe('f', i, i); // splits into buckets
    for (let i = 10; i < CHUNK_MAX * 2; i++) a.unsubscribe('f', i);
    for (let i = 9; i >= 0; i--) b.subscribe('f', i, i); // one value, other order
    a.subscribe(0, 'x', 1);
    b.subscribe('0', 'x', 1);
    assert.notDeepEqual([...grown.entries()], [...direct.entries()]);
    assert.deepEqual(subscriptionTriples(grown.entries()), subscriptionTriples(direct.entries()));
    assert.equal(subscriptionTriples(direct.entries()).length, 11);
    assert.deepEqual(subscriptionTriples(direct.entries())[0], ['0', '"x"', 1]);
  });

  void it('converts a linked-list head of the earlier layout on first use', () => {
    const store = new MemoryStore<any>();
    writeLegacy(store, 'f', [
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    writeLegacy(store, 'g', [['a', 4]]);
    const idx = new SubscriptionIndex(store);
    assert.deepEqual(
      [...idx.subscribers('f')],
      [
        { left: 'a', hash: 1 },
        { left: 'b', hash: 2 },
        { left: 'c', hash: 3 },
      ],
    );
    idx.subscribe('f', 'd', 5);
    idx.unsubscribe('g', 'a');
    assert.deepEqual(lefts(idx, 'f'), ['a', 'b', 'c', 'd']);
    assert.deepEqual(lefts(idx, 'g'), []);
    assert.deepEqual([...store.entries()].map(([k]) => k).sort(), ['h"f"'], 'no linked-list row is left');
  });

  void it('converts a large linked list into buckets', () => {
    const store = new MemoryStore<any>();
    const n = CHUNK_MAX * 3;
    writeLegacy(
      store,
      'f',
      Array.from({ length: n }, (_, i): [unknown, number] => [`l${i}`, i]),
    );
    const idx = new SubscriptionIndex(store);
    idx.unsubscribe('f', 'l7');
    const all = lefts(idx, 'f');
    assert.equal(all.length, n - 1);
    assert.ok(!all.includes('l7'));
    assert.ok(![...store.entries()].some(([k]) => k.startsWith('e')), 'no linked-list entry is left');
  });
});
