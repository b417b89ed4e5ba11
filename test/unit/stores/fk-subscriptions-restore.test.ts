// The foreign-key join's subscription index over a real task store (write cache + LevelDB on
// disk): one changelog record per subscription change, a restore from the changelog answers the
// same subscribers, and an index written in the earlier linked-list layout (restored from an old
// changelog) is converted on use, with the conversion itself in the changelog.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canonicalJson } from '../../../projections/keys.ts';
import { CHUNK_MAX, SubscriptionIndex } from '../../../projections/operators/subscriptions.ts';
import { restoreStores } from '../../../runtime/kafka/restore/index.ts';
import type { TaskStores } from '../../../runtime/stores/index.ts';
import { FakeChangelog } from './fake-changelog.ts';
import { openStores, tempDir } from './helpers.ts';

const STORE = 'app-p-c-fk-subscriptions';

async function commit(stores: TaskStores, changelog: FakeChangelog): Promise<number> {
  const prepared = stores.prepareCommit();
  await stores.completeCommit(prepared, changelog.append(prepared.records));
  return prepared.records.length;
}

async function restored(location: string, changelog: FakeChangelog): Promise<TaskStores> {
  const stores = await openStores(location);
  await restoreStores({ stores, names: [STORE], source: changelog });
  return stores;
}

const subscribersOf = (stores: TaskStores, fk: string) =>
  [...new SubscriptionIndex(stores.store(STORE)).subscribers(fk)].map((s) => [s.left, s.hash]);

describe('FK subscription index on a task store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('writes one changelog record per subscription change and restores to the same answers', async () => {
    const changelog = new FakeChangelog();
    const stores = await openStores(`${dir}/live`);
    const index = new SubscriptionIndex(stores.store(STORE));
    const records: number[] = [];
    for (let i = 0; i < 30; i++) {
      index.subscribe(`c${i % 3}`, `o${i}`, i);
      records.push(await commit(stores, changelog));
    }
    index.unsubscribe('c1', 'o4');
    records.push(await commit(stores, changelog));
    assert.deepEqual(records, Array(31).fill(1), 'one record per subscribe/unsubscribe commit');
    // A large fan-in (buckets) in one commit, then a few changes to it.
    for (let i = 0; i < CHUNK_MAX * 4; i++) index.subscribe('big', i, i);
    await commit(stores, changelog);
    index.unsubscribe('big', 17);
    index.subscribe('big', 18, 1000);
    await commit(stores, changelog);
    const expected = ['c0', 'c1', 'c2', 'big'].map((fk) => subscribersOf(stores, fk));
    await stores.close();

    const copy = await restored(`${dir}/restored`, changelog);
    assert.deepEqual(
      ['c0', 'c1', 'c2', 'big'].map((fk) => subscribersOf(copy, fk)),
      expected,
    );
    assert.equal(expected[3]!.length, CHUNK_MAX * 4 - 1);
    await copy.close();
  });

  it('converts a linked-list index restored from an old changelog, and the conversion restores too', async () => {
    const changelog = new FakeChangelog();
    // The earlier layout's rows, as an old version committed them: head h<fk>, entries e[<fk>,<left>].
    const old = await openStores(`${dir}/old`);
    const raw = old.store<unknown>(STORE);
    const lefts = ['o1', 'o2', 'o3'];
    lefts.forEach((l, i) =>
      raw.put(`e${canonicalJson(['c1', l])}`, {
        hash: i,
        prev: i > 0 ? [lefts[i - 1]] : null,
        next: i < lefts.length - 1 ? [lefts[i + 1]] : null,
      }),
    );
    raw.put('h"c1"', { first: 'o1', last: 'o3', size: 3 });
    await commit(old, changelog);
    await old.close();

    const stores = await restored(`${dir}/new`, changelog);
    assert.deepEqual(subscribersOf(stores, 'c1'), [
      ['o1', 0],
      ['o2', 1],
      ['o3', 2],
    ]);
    new SubscriptionIndex(stores.store(STORE)).subscribe('c1', 'o4', 3);
    const prepared = stores.prepareCommit();
    assert.deepEqual(
      prepared.records.map((r) => [r.key, r.value === null ? null : JSON.parse(r.value.toString())]).sort(),
      [
        ['e["c1","o1"]', null],
        ['e["c1","o2"]', null],
        ['e["c1","o3"]', null],
        [
          'h"c1"',
          {
            e: [
              ['o1', 0],
              ['o2', 1],
              ['o3', 2],
              ['o4', 3],
            ],
          },
        ],
      ],
    );
    await stores.completeCommit(prepared, changelog.append(prepared.records));
    await stores.close();

    const copy = await restored(`${dir}/again`, changelog);
    assert.deepEqual(subscribersOf(copy, 'c1'), [
      ['o1', 0],
      ['o2', 1],
      ['o3', 2],
      ['o4', 3],
    ]);
    await copy.close();
  });
});
