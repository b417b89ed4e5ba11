// The write cache's key filter (runtime/stores/key-filter.ts, cached-store.ts): it saves LevelDB
// reads of keys that are not there, and never hides a key that is: not one written while its scan
// ran or before it, nor one a restore wrote behind the cache.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CachedStore, TaskStores } from '../../../runtime/stores/index.ts';
import { KeyFilter } from '../../../runtime/stores/key-filter.ts';
import { acknowledged, openStores, tempDir } from './helpers.ts';

/** mulberry32: a seeded sequence in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('KeyFilter', () => {
  it('finds every key it was given, across its growth, and few others', () => {
    const filter = new KeyFilter(1000);
    const rnd = mulberry32(7);
    const keys = Array.from(
      { length: 200_000 },
      (_, i) => `w\0c-${Math.floor(rnd() * 1e9)}\0${i.toString(16)}`,
    );
    for (const k of keys) filter.add(k);
    for (const k of keys) assert.ok(filter.mayContain(k), `lost ${JSON.stringify(k)}`);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayContain(`other-${i}`)) falsePositives++;
    assert.ok(falsePositives < 2000, `${falsePositives} false positives in 100 000`);
    assert.ok(filter.bytes < 200_000 * 4, `${filter.bytes} bytes for 200 000 keys`);
  });
});

describe('write cache key filter', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  let offsets = new Map<string, number>();
  async function commit(stores: TaskStores): Promise<void> {
    const prepared = stores.prepareCommit();
    offsets = acknowledged(prepared.records, offsets);
    await stores.completeCommit(prepared, offsets);
  }

  async function filterBuilt(s: CachedStore<unknown>): Promise<void> {
    for (let i = 0; i < 2000 && !s.filtered; i++) await new Promise((r) => setTimeout(r, 1));
    assert.ok(s.filtered, 'the key filter was built');
  }

  /** Reads enough missing keys to start the filter's build. */
  function startBuild(s: CachedStore<unknown>): void {
    for (let i = 0; i < 300; i++) assert.equal(s.get(`missing-${i}`), undefined);
  }

  /** Reads other keys until the cache (10 clean rows) has dropped every earlier one. */
  function evict(s: CachedStore<unknown>, present: string): void {
    for (let i = 0; i < 50; i++) s.get(present);
  }

  it('answers reads of missing keys without LevelDB, and still finds every key on disk', async () => {
    const stores = await openStores(`${dir}/saves`, { memory: { cacheRows: 10 } });
    const s = stores.store<number>('counts') as CachedStore<number>;
    for (let i = 0; i < 1000; i++) s.put(`k${i}`, i);
    await commit(stores);
    startBuild(s);
    await filterBuilt(s);
    const reads = s.levelReads;
    for (let i = 0; i < 1000; i++) assert.equal(s.get(`absent-${i}`), undefined);
    assert.ok(s.levelReads - reads < 30, `${s.levelReads - reads} LevelDB reads for 1000 missing keys`);
    assert.ok(s.filteredReads >= 970);
    for (let i = 0; i < 1000; i++) assert.equal(s.get(`k${i}`), i, `k${i} after eviction`);
    await stores.close();
  });

  it('keeps keys written before its scan but committed after the scan began', async () => {
    const stores = await openStores(`${dir}/in-flight`, { memory: { cacheRows: 10 } });
    const s = stores.store<number>('counts') as CachedStore<number>;
    for (let i = 0; i < 20; i++) s.put(`old${i}`, i);
    await commit(stores);
    s.put('dirty', 1); // written, not in LevelDB when the scan starts
    s.put('pending', 2);
    const pending = stores.prepareCommit();
    s.put('dirty-too', 3);
    startBuild(s);
    offsets = acknowledged(pending.records, offsets);
    await stores.completeCommit(pending, offsets);
    await commit(stores);
    s.put('during', 4); // written while the scan runs
    await commit(stores);
    await filterBuilt(s);
    for (let i = 0; i < 20; i++) evict(s, `old${i}`);
    assert.equal(s.get('dirty'), 1);
    assert.equal(s.get('pending'), 2);
    assert.equal(s.get('dirty-too'), 3);
    assert.equal(s.get('during'), 4);
    await stores.close();
  });

  it('is dropped when a restore writes behind the cache', async () => {
    const stores = await openStores(`${dir}/restore`, { memory: { cacheRows: 10 } });
    const s = stores.store<number>('counts') as CachedStore<number>;
    s.put('a', 1);
    await commit(stores);
    startBuild(s);
    await filterBuilt(s);
    await stores.applyRestored('counts', [{ key: 'restored', value: Buffer.from('5') }], 7);
    assert.equal(s.filtered, false);
    assert.equal(s.get('restored'), 5);
    await stores.close();
  });

  it('loses no key through builds and rebuilds, with commits completing while records go on', async () => {
    // A join buffer's pattern: mostly new keys (read first, then written), reads of older ones,
    // some deletes; a small cache; each commit completes in the background, as in the runtime.
    const stores = await openStores(`${dir}/model`, { memory: { cacheRows: 1000 } });
    const s = stores.store<number>('left') as CachedStore<number>;
    const model = new Map<string, number>();
    const rnd = mulberry32(3);
    let inflight: Promise<void> | null = null;
    let next = 0;
    const builds = new Set<boolean>();
    for (let step = 0; step < 160_000; step++) {
      const r = rnd();
      if (r < 0.5) {
        const k = `o-${next++}`;
        assert.equal(s.get(k), undefined);
        s.put(k, step);
        model.set(k, step);
      } else if (r < 0.9) {
        const k = `o-${Math.floor(rnd() * next)}`;
        assert.equal(s.get(k), model.get(k), `${k} at step ${step}`);
      } else {
        const k = `o-${Math.floor(rnd() * next)}`;
        s.delete(k);
        model.delete(k);
      }
      if (step % 500 === 0) {
        await inflight;
        const prepared = stores.prepareCommit();
        offsets = acknowledged(prepared.records, offsets);
        const acked = offsets;
        inflight = new Promise((r) => setTimeout(r, 1)).then(() => stores.completeCommit(prepared, acked));
      }
      if (step % 97 === 0) await new Promise((r) => setImmediate(r));
      builds.add(s.filtered);
    }
    await inflight;
    for (let i = 0; i < next; i++) assert.equal(s.get(`o-${i}`), model.get(`o-${i}`), `o-${i} at the end`);
    // the first build, then a rebuild past 65 536 added keys (while the first filter answered)
    assert.ok(s.filteredReads > 10_000, `${s.filteredReads} reads answered by the filter`);
    assert.deepEqual([...builds].sort(), [false, true]);
    await stores.close();
  });
});
