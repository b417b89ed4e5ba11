// Checkpoints and restore of LevelDB task stores from a fake changelog: state and checkpoint in one batch,
// a crash between the Kafka commit and the LevelDB batch, rebuilds without or outside a checkpoint,
// compaction gaps, resumed restores, destroyed, unreadable or locked databases, and the offset sum
// a closed database leaves beside it.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { restoreStores } from '../../../runtime/kafka/restore/index.ts';
import { type TaskStores, tasksWithLocalState } from '../../../runtime/stores/index.ts';
import { FakeChangelog } from './fake-changelog.ts';
import { changelogOf, collect, openStores, tempDir } from './helpers.ts';

/** One commit as the runtime does it: Kafka first, then LevelDB. */
async function commit(stores: TaskStores, changelog: FakeChangelog): Promise<void> {
  const prepared = stores.prepareCommit();
  const acked = changelog.append(prepared.records);
  await stores.completeCommit(prepared, acked);
}

const CL = changelogOf('balances');

describe('checkpoints and restore', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('writes the state and the checkpoint in one batch', async () => {
    const loc = `${dir}/atomic`;
    const changelog = new FakeChangelog();
    let stores = await openStores(loc);
    const s = stores.store<number>('balances');
    s.put('a', 1);
    s.put('b', 2);
    await commit(stores, changelog);
    s.put('a', 3);
    await commit(stores, changelog);
    assert.deepEqual(stores.checkpoint('balances'), { ...CL, offset: 3 });
    await stores.close();

    stores = await openStores(loc);
    assert.equal(stores.openOutcome, 'opened');
    assert.deepEqual(stores.checkpoint('balances'), { ...CL, offset: 3 });
    assert.equal(stores.store('balances').get('a'), 3);
    const summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.records, 0, 'nothing to replay after a clean commit');
    assert.equal(summary.stores[0]!.reason, 'checkpoint');
    await stores.close();
  });

  it('recovers a crash between the Kafka commit and the LevelDB batch from the checkpoint', async () => {
    const loc = `${dir}/crash`;
    const changelog = new FakeChangelog();
    let stores = await openStores(loc);
    const s = stores.store<{ balance: number }>('balances');
    s.put('a', { balance: 10 });
    s.put('b', { balance: 5 });
    await commit(stores, changelog);
    s.put('a', { balance: 25 });
    s.delete('b');
    s.put('c', { balance: 1 });
    const prepared = stores.prepareCommit();
    changelog.append(prepared.records); // Kafka has it...
    await stores.close(); // ...and the process dies before the LevelDB batch.

    stores = await openStores(loc);
    assert.deepEqual(
      stores.store('balances').get('a'),
      { balance: 10 },
      'LevelDB still holds the older prefix',
    );
    assert.equal(stores.checkpoint('balances')!.offset, 2);
    const summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.deepEqual(summary.stores[0], {
      store: 'balances',
      ...CL,
      from: 2,
      to: 5,
      restored: 3,
      rebuilt: false,
      reason: 'checkpoint',
    });
    const t = stores.store<{ balance: number }>('balances');
    assert.deepEqual(await collect(t.scan()), [
      ['a', { balance: 25 }],
      ['c', { balance: 1 }],
    ]);
    assert.equal(stores.checkpoint('balances')!.offset, 5);
    await stores.close();
  });

  it('rebuilds a store without checkpoint from offset 0, dropping rows whose tombstones were compacted away', async () => {
    const loc = `${dir}/no-checkpoint`;
    const changelog = new FakeChangelog();
    let stores = await openStores(loc);
    const s = stores.store<number>('balances');
    s.put('stale', 1);
    s.put('kept', 2);
    // Written without a checkpoint (no acknowledged offsets): LevelDB has rows, but no position.
    const p = stores.prepareCommit();
    await stores.completeCommit(p, new Map());
    assert.equal(stores.checkpoint('balances'), undefined);
    await stores.close();
    changelog.append([
      { ...CL, key: 'kept', value: Buffer.from('2') },
      { ...CL, key: 'new', value: Buffer.from('3') },
    ]);

    stores = await openStores(loc);
    const summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.stores[0]!.reason, 'no-checkpoint');
    assert.equal(summary.stores[0]!.rebuilt, true);
    assert.deepEqual(await collect(stores.store('balances').scan()), [
      ['kept', 2],
      ['new', 3],
    ]);
    await stores.close();
  });

  it('applies tombstones and survives compaction gaps, including a compacted tail', async () => {
    const loc = `${dir}/tombstones`;
    const changelog = new FakeChangelog(2);
    for (let i = 0; i < 10; i++)
      changelog.append([{ ...CL, key: `k${i % 4}`, value: Buffer.from(String(i)) }]);
    changelog.append([{ ...CL, key: 'k1', value: null }]);
    changelog.append([{ ...CL, key: 'k2', value: Buffer.from('99') }]);
    changelog.append([{ ...CL, key: 'k2', value: Buffer.from('100') }]); // offset 12
    changelog.compact(CL);
    // Compaction may remove the log's tail: the last offsets hold no record any more.
    changelog.logs.get(`${CL.topic}:${CL.partition}`)!.entries = changelog.logs
      .get(`${CL.topic}:${CL.partition}`)!
      .entries.filter((e) => e.offset < 11);
    const stores = await openStores(loc);
    const summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.stores[0]!.to, 13);
    assert.deepEqual(await collect(stores.store('balances').scan()), [
      ['k0', 8],
      ['k3', 7],
    ]);
    assert.equal(stores.checkpoint('balances')!.offset, 13, 'the checkpoint reaches the end despite the gap');
    await stores.close();
  });

  it('wipes and rebuilds when the checkpoint is below the log start or beyond the end', async () => {
    const changelog = new FakeChangelog();
    changelog.append([
      { ...CL, key: 'x', value: Buffer.from('1') },
      { ...CL, key: 'y', value: Buffer.from('2') },
    ]);
    let stores = await openStores(`${dir}/range`);
    await stores.applyRestored('balances', [{ key: 'ghost', value: Buffer.from('0') }], 1);
    changelog.deleteBefore(CL, 2);
    changelog.append([{ ...CL, key: 'z', value: Buffer.from('3') }]);
    let summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.stores[0]!.reason, 'checkpoint-below-log-start');
    assert.deepEqual(await collect(stores.store('balances').scan()), [['z', 3]]);

    await stores.applyRestored('balances', [{ key: 'ghost', value: Buffer.from('0') }], 50);
    summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.stores[0]!.reason, 'checkpoint-beyond-end');
    assert.deepEqual(await collect(stores.store('balances').scan()), [['z', 3]]);
    await stores.close();
    stores = await openStores(`${dir}/range`);
    assert.equal(stores.checkpoint('balances')!.offset, 3);
    await stores.close();
  });

  it('resumes an interrupted restore from the last restored chunk', async () => {
    const loc = `${dir}/resume`;
    const changelog = new FakeChangelog(100);
    changelog.append(
      Array.from({ length: 1000 }, (_, i) => ({ ...CL, key: `k${i}`, value: Buffer.from(String(i)) })),
    );
    let stores = await openStores(loc);
    const abort = new AbortController();
    await assert.rejects(
      restoreStores({
        stores,
        names: ['balances'],
        source: changelog,
        signal: abort.signal,
        onProgress: (p) => {
          if (p[0]!.restored >= 300) abort.abort();
        },
      }),
      { name: 'AbortError' },
    );
    await stores.close();
    stores = await openStores(loc);
    const resumedFrom = stores.checkpoint('balances')!.offset;
    assert.ok(resumedFrom >= 300 && resumedFrom < 1000, `checkpoint ${resumedFrom}`);
    const progress: number[] = [];
    const summary = await restoreStores({
      stores,
      names: ['balances'],
      source: changelog,
      onProgress: (p) => progress.push(p[0]!.restored),
    });
    assert.equal(summary.stores[0]!.from, resumedFrom);
    assert.equal(summary.records, 1000 - resumedFrom);
    assert.equal(progress.at(-1), 1000 - resumedFrom);
    assert.equal(await stores.countRows('balances'), 1000);
    assert.equal(stores.store('balances').get('k999'), 999);
    await stores.close();
  });

  it('fails cleanly when a LevelDB write fails while the next chunk is being fetched', async () => {
    const changelog = new FakeChangelog(10);
    changelog.append(
      Array.from({ length: 50 }, (_, i) => ({ ...CL, key: `k${i}`, value: Buffer.from('1') })),
    );
    const stores = await openStores(`${dir}/write-failure`);
    const slowSource = {
      offsets: changelog.offsets.bind(changelog),
      fetch: async (p: Parameters<FakeChangelog['fetch']>[0]) => {
        await new Promise((r) => setTimeout(r, 20));
        return changelog.fetch(p);
      },
      close: async () => {},
    };
    let calls = 0;
    await assert.rejects(
      restoreStores({
        stores,
        names: ['balances'],
        source: slowSource,
        onProgress: () => {
          if (++calls === 1) void stores.close(); // the next chunk's write finds the database closed
        },
      }),
      /closed/,
    );
  });

  it('restores several stores of a task together, each from its own changelog', async () => {
    const changelog = new FakeChangelog(10);
    const a = changelogOf('a');
    const b = changelogOf('b');
    changelog.append(Array.from({ length: 35 }, (_, i) => ({ ...a, key: `a${i}`, value: Buffer.from('1') })));
    changelog.append(Array.from({ length: 5 }, (_, i) => ({ ...b, key: `b${i}`, value: Buffer.from('2') })));
    const stores = await openStores(`${dir}/multi`);
    const summary = await restoreStores({ stores, names: ['a', 'b'], source: changelog });
    assert.deepEqual(
      summary.stores.map((s) => [s.store, s.restored]),
      [
        ['a', 35],
        ['b', 5],
      ],
    );
    assert.equal(await stores.countRows('a'), 35);
    assert.equal(await stores.countRows('b'), 5);
    assert.ok(changelog.fetches <= 5, `fetches ${changelog.fetches}`);
    await stores.close();
  });

  it('ignores a checkpoint of another changelog partition', async () => {
    const loc = `${dir}/moved`;
    let stores = await openStores(loc);
    await stores.applyRestored('balances', [], 7);
    await stores.close();
    stores = await openStores(loc, {
      changelogOf: (s) => ({ topic: `renamed-${s}-changelog`, partition: 3 }),
    });
    assert.equal(stores.checkpoint('balances'), undefined);
    await stores.close();
  });
});

describe('destroy and unreadable databases', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(() => cleanup());

  it('destroy drops the task state; the next open starts empty', async () => {
    const loc = `${dir}/destroy`;
    let stores = await openStores(loc);
    assert.equal(stores.openOutcome, 'created');
    await stores.applyRestored('balances', [{ key: 'a', value: Buffer.from('1') }], 1);
    await stores.destroy();
    assert.equal(existsSync(loc), false);
    stores = await openStores(loc);
    assert.equal(stores.openOutcome, 'created');
    assert.equal(stores.checkpoint('balances'), undefined);
    assert.equal(stores.store('balances').get('a'), undefined);
    await stores.close();
  });

  it('a row read while a restore writes it is not cached with its old value (standby reads)', async () => {
    const stores = await openStores(`${dir}/read-during-restore`);
    await stores.applyRestored('balances', [{ key: 'a', value: Buffer.from('1') }], 1);
    const writing = stores.applyRestored('balances', [{ key: 'a', value: Buffer.from('2') }], 2);
    // A read while the batch is written sees either value (the native write runs off the main
    // thread) and caches it; once the write is done, the new one must be read.
    assert.ok([1, 2].includes(stores.store('balances').get('a') as number));
    await writing;
    assert.equal(stores.store('balances').get('a'), 2);
    await stores.close();
  });

  it('reports row counts and sizes per store', async () => {
    const loc = `${dir}/status`;
    let stores = await openStores(loc);
    const rows = Array.from({ length: 5000 }, (_, i) => ({
      key: `k${i}`,
      value: Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(80) })),
    }));
    await stores.applyRestored('big', rows, 5000);
    await stores.applyRestored('small', rows.slice(0, 3), 3);
    assert.equal(await stores.countRows('big'), 5000);
    assert.equal(await stores.countRows('small'), 3);
    await stores.close();
    stores = await openStores(loc); // opening moves the write-ahead log into table files
    const big = await stores.approximateSize('big');
    assert.ok(big > 10_000, `big: ${big} bytes`);
    assert.ok((await stores.approximateSize('none')) === 0);
    await stores.close();
  });

  it('recreates an unreadable database and rebuilds it from offset 0', async () => {
    const loc = `${dir}/corrupt`;
    const changelog = new FakeChangelog();
    let stores = await openStores(loc);
    stores.store<number>('balances').put('a', 1);
    await commit(stores, changelog);
    await stores.close();
    await writeFile(`${loc}/CURRENT`, 'MANIFEST-999999\n');

    stores = await openStores(loc);
    assert.equal(stores.openOutcome, 'recreated');
    assert.equal(stores.checkpoint('balances'), undefined);
    const summary = await restoreStores({ stores, names: ['balances'], source: changelog });
    assert.equal(summary.stores[0]!.from, 0);
    assert.equal(stores.store('balances').get('a'), 1);
    await stores.close();
  });

  it('refuses a database locked by another open instance', async () => {
    const loc = `${dir}/locked`;
    const first = await openStores(loc);
    await assert.rejects(openStores(loc), /in use by another process/);
    await first.close();
  });

  it('leaves its offset sum beside the database when it closes, for the group assignor', async () => {
    const root = `${dir}/local-state`;
    assert.deepEqual(tasksWithLocalState(root, 'app'), new Map());
    const changelog = new FakeChangelog();
    let stores = await openStores(`${root}/app/7`);
    stores.store<number>('balances').put('a', 1);
    stores.store<number>('balances').put('b', 2);
    await commit(stores, changelog);
    assert.deepEqual(tasksWithLocalState(root, 'app'), new Map([[7, 0]]), 'open: no sum yet');
    await stores.close();
    assert.deepEqual(tasksWithLocalState(root, 'app'), new Map([[7, 2]]));
    // Open again, the database moves past the file: it is gone until the next close (a crash
    // then leaves the sum unknown, 0, rather than too high).
    stores = await openStores(`${root}/app/7`);
    assert.deepEqual(tasksWithLocalState(root, 'app'), new Map([[7, 0]]));
    await stores.destroy();
    assert.deepEqual(tasksWithLocalState(root, 'app'), new Map());
  });
});
