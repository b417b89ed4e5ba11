// The write cache's bound on clean rows and its eviction order (a second-chance clock): a row
// read since the last eviction pass survives it, an unread one goes first, dirty and pending rows
// are never evicted, and the clean rows never exceed the limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CachedStore } from '../../../runtime/stores/index.ts';
import type { StateDb } from '../../../runtime/stores/cached-store.ts';
import { dataPrefix } from '../../../runtime/stores/key-spaces.ts';

/** A LevelDB stand-in that holds every key `k<n>` with value n and counts the reads per key. */
function countingDb(): { db: StateDb; reads: Map<string, number> } {
  const prefix = dataPrefix('counts');
  const reads = new Map<string, number>();
  const db = {
    getSync(fullKey: string): Buffer | undefined {
      const key = fullKey.slice(prefix.length);
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return Buffer.from(JSON.stringify(Number(key.slice(1))));
    },
  };
  return { db: db as unknown as StateDb, reads };
}

describe('write cache eviction', () => {
  it('evicts unread rows before rows read since the last pass, and stays within its bound', () => {
    const { db, reads } = countingDb();
    const store = new CachedStore<number>('counts', db, 10);
    for (let i = 0; i < 10; i++) assert.equal(store.get(`k${i}`), i);
    assert.equal(store.cachedCount, 10);
    for (let i = 0; i < 5; i++) store.get(`k${i}`); // hits: marked as used
    assert.equal(reads.get('k0'), 1, 'a hit does not read LevelDB');

    store.get('k10'); // 11 clean rows: one pass brings them down to 9
    assert.equal(store.cachedCount, 9);
    for (let i = 0; i < 5; i++) store.get(`k${i}`);
    for (let i = 0; i < 5; i++) assert.equal(reads.get(`k${i}`), 1, `k${i} was read: kept`);
    store.get('k5');
    store.get('k6');
    assert.equal(reads.get('k5'), 2, 'k5 was the oldest unread row: evicted');
    assert.equal(reads.get('k6'), 2, 'k6 next');

    for (let i = 100; i < 1000; i++) {
      store.get(`k${i}`);
      if (i % 3 === 0) store.get(`k${i - 50}`);
      assert.ok(store.cachedCount <= 10, `${store.cachedCount} clean rows after reading k${i}`);
    }
  });

  it('never evicts dirty or pending rows, and counts them out of the bound', () => {
    const { db, reads } = countingDb();
    const store = new CachedStore<number>('counts', db, 4);
    store.put('w0', -1);
    store.put('w1', -2);
    store.prepare(); // w0, w1 pending
    store.put('w2', -3); // dirty
    for (let i = 0; i < 50; i++) store.get(`k${i}`);
    assert.ok(store.cachedCount <= 4);
    assert.equal(store.get('w0'), -1);
    assert.equal(store.get('w1'), -2);
    assert.equal(store.get('w2'), -3);
    assert.equal(reads.get('w0'), undefined, 'pending rows served from the cache');
    assert.equal(store.dirtyCount, 1);

    store.committed(); // w0, w1 become clean: the bound holds again at once
    assert.ok(store.cachedCount <= 4, `${store.cachedCount} clean rows after the commit`);
    store.prepare();
    store.committed();
    assert.ok(store.cachedCount <= 4);
  });

  it('rollback drops dirty and pending rows but keeps the clean ones', () => {
    const { db, reads } = countingDb();
    const store = new CachedStore<number>('counts', db, 10);
    store.get('k1');
    store.put('k2', 20);
    store.prepare();
    store.put('k2', 21);
    store.put('k3', 30);
    store.rollback();
    assert.equal(store.get('k1'), 1);
    assert.equal(reads.get('k1'), 1, 'the clean row stayed cached');
    assert.equal(store.get('k2'), 2, 'back to what LevelDB holds');
    assert.equal(store.get('k3'), 3);
    assert.deepEqual(store.prepare(), []);
  });
});
