// The task stores' write cache: a task reads its own writes before a commit, one changelog record per
// changed key, prepared values served while Kafka commits, rollback, a bounded read cache, and scans that
// merge committed, pending and dirty rows in key order.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CachedStore } from '../../../runtime/stores/index.ts';
import { acknowledged, collect, openStores, tempDir } from './helpers.ts';

describe('TaskStores write cache', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('reads its own writes before any commit and hides deletes', async () => {
    const stores = await openStores(`${dir}/own-writes`);
    const s = stores.store<{ n: number }>('balances');
    assert.equal(s.get('a'), undefined);
    s.put('a', { n: 1 });
    s.put('b', { n: 2 });
    s.delete('b');
    assert.deepEqual(s.get('a'), { n: 1 });
    assert.equal(s.get('b'), undefined);
    await stores.close();
  });

  it('writes one changelog record per changed key, with the latest value', async () => {
    const stores = await openStores(`${dir}/hot-key`);
    const s = stores.store<{ n: number }>('balances');
    for (let i = 1; i <= 1000; i++) s.put('hot', { n: i });
    s.put('gone', { n: 0 });
    s.delete('gone');
    s.put('cold', { n: 7 });
    const { records } = stores.prepareCommit();
    assert.equal(records.length, 3);
    const byKey = new Map(records.map((r) => [r.key, r]));
    assert.deepEqual(JSON.parse(byKey.get('hot')!.value!.toString()), { n: 1000 });
    assert.equal(byKey.get('gone')!.value, null, 'a delete is a tombstone');
    assert.deepEqual(byKey.get('cold')!, {
      store: 'balances',
      topic: 'app-balances-changelog',
      partition: 3,
      key: 'cold',
      value: Buffer.from('{"n":7}'),
    });
    await stores.close();
  });

  it('keeps serving prepared values while the Kafka side commits, and newer writes win', async () => {
    const stores = await openStores(`${dir}/pending`);
    const s = stores.store<number>('counts');
    s.put('k', 1);
    const commit = stores.prepareCommit();
    assert.equal(s.get('k'), 1, 'pending value visible');
    s.put('k', 2);
    assert.throws(() => stores.prepareCommit(), /already prepared/);
    await stores.completeCommit(commit, acknowledged(commit.records, new Map()));
    assert.equal(s.get('k'), 2, 'dirty value still wins after the older commit completed');
    const next = stores.prepareCommit();
    assert.deepEqual(
      next.records.map((r) => r.value?.toString()),
      ['2'],
    );
    await stores.close();
  });

  it('reads committed rows from LevelDB after a reopen (getSync on a miss)', async () => {
    const loc = `${dir}/reopen`;
    let stores = await openStores(loc);
    const s = stores.store<{ v: string }>('profiles');
    s.put('c1', { v: 'ann' });
    s.put('c2', { v: 'bob' });
    const c = stores.prepareCommit();
    await stores.completeCommit(c, acknowledged(c.records, new Map()));
    await stores.close();
    stores = await openStores(loc);
    const t = stores.store<{ v: string }>('profiles');
    assert.deepEqual(t.get('c1'), { v: 'ann' });
    assert.deepEqual(t.get('c2'), { v: 'bob' });
    assert.equal(t.get('c3'), undefined);
    await stores.close();
  });

  it('rollback forgets uncommitted and prepared changes', async () => {
    const stores = await openStores(`${dir}/rollback`);
    const s = stores.store<number>('counts');
    s.put('a', 1);
    const c = stores.prepareCommit();
    await stores.completeCommit(c, acknowledged(c.records, new Map()));
    s.put('a', 2);
    stores.prepareCommit();
    s.put('b', 3);
    stores.rollback();
    assert.equal(s.get('a'), 1);
    assert.equal(s.get('b'), undefined);
    assert.equal(stores.prepareCommit().records.length, 0);
    await stores.close();
  });

  it('bounds the clean read cache', async () => {
    const stores = await openStores(`${dir}/bounded`, { memory: { cacheRows: 100 } });
    const s = stores.store<number>('counts');
    for (let i = 0; i < 1000; i++) s.put(`k${i}`, i);
    const c = stores.prepareCommit();
    await stores.completeCommit(c, acknowledged(c.records, new Map()));
    const cached = s as CachedStore<number>;
    assert.ok(cached.cachedCount <= 100, `cached ${cached.cachedCount}`);
    for (let i = 0; i < 1000; i++) assert.equal(s.get(`k${i}`), i);
    assert.ok(cached.cachedCount <= 100, `cached ${cached.cachedCount} after reads`);
    await stores.close();
  });

  it('keeps stores apart: same key in two stores', async () => {
    const stores = await openStores(`${dir}/spaces`);
    stores.store<number>('a').put('k', 1);
    stores.store<number>('b').put('k', 2);
    const c = stores.prepareCommit();
    await stores.completeCommit(c, acknowledged(c.records, new Map()));
    assert.equal(stores.store('a').get('k'), 1);
    assert.equal(stores.store('b').get('k'), 2);
    assert.deepEqual(await collect(stores.store('a').scan()), [['k', 1]]);
    await stores.close();
  });
});

describe('TaskStores scan', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('merges committed rows with pending and dirty ones, in key order', async () => {
    const stores = await openStores(`${dir}/merge`);
    const s = stores.store<number>('t');
    for (const k of ['a1', 'a3', 'b1', 'b3', 'c1']) s.put(k, 0);
    const c = stores.prepareCommit();
    await stores.completeCommit(c, acknowledged(c.records, new Map()));
    s.put('a2', 1); // new, dirty
    s.put('a3', 1); // overwrite
    stores.prepareCommit(); // pending
    s.delete('b1'); // dirty delete of a committed row
    s.put('b2', 2);
    s.put('d1', 2);

    assert.deepEqual(await collect(s.scan()), [
      ['a1', 0],
      ['a2', 1],
      ['a3', 1],
      ['b2', 2],
      ['b3', 0],
      ['c1', 0],
      ['d1', 2],
    ]);
    assert.deepEqual(await collect(s.scan({ prefix: 'b' })), [
      ['b2', 2],
      ['b3', 0],
    ]);
    assert.deepEqual(await collect(s.scan({ gt: 'a2', lte: 'b3' })), [
      ['a3', 1],
      ['b2', 2],
      ['b3', 0],
    ]);
    assert.deepEqual(
      (await collect(s.scan({ reverse: true, limit: 3 }))).map(([k]) => k),
      ['d1', 'c1', 'b3'],
    );
    assert.deepEqual(
      (await collect(s.scan({ prefix: 'a', reverse: true }))).map(([k]) => k),
      ['a3', 'a2', 'a1'],
    );
    await stores.close();
  });
});

describe('changelog plumbing', () => {
  it('groups records per topic for sendBatch and turns acknowledgements into checkpoints', async () => {
    const { changelogMessages, acknowledgedOffsets } = await import('../../../runtime/stores/index.ts');
    const records = [
      { store: 'a', topic: 'app-a-changelog', partition: 2, key: 'x', value: Buffer.from('1') },
      { store: 'a', topic: 'app-a-changelog', partition: 2, key: 'y', value: null },
      { store: 'b', topic: 'app-b-changelog', partition: 2, key: 'x', value: Buffer.from('2') },
    ];
    const batch = changelogMessages(records, 5);
    assert.deepEqual(
      batch.map((t) => [t.topic, t.messages.map((m) => [m.key, m.partition, m.value?.toString() ?? null])]),
      [
        [
          'app-a-changelog',
          [
            ['x', 2, '1'],
            ['y', 2, null],
          ],
        ],
        ['app-b-changelog', [['x', 2, '2']]],
      ],
    );
    const next = acknowledgedOffsets(records, [
      { topicName: 'app-a-changelog', partition: 2, baseOffset: '40', errorCode: 0 },
      { topicName: 'app-b-changelog', partition: 2, baseOffset: '-1', errorCode: 0 },
    ]);
    assert.deepEqual([...next], [['app-a-changelog:2', 42]]);
  });
});
