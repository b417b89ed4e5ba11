// State stores against the real broker and real LevelDB: compacted changelogs created by the
// admin helpers, commits that write changelog records then one LevelDB batch, and restores with
// the group-less changelog reader (from offset 0, from a checkpoint, with tombstones, with aborted
// transactions, past an aborted transaction the log cleaner emptied, and 200k records).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Admin, Kafka, Producer } from 'kafkajs';
import {
  changelogTopic,
  describeTopicConfigs,
  ensureTopics,
  TopicMismatchError,
} from '../../../runtime/kafka/admin/index.ts';
import { KafkaChangelogSource, restoreStores } from '../../../runtime/kafka/restore/index.ts';
import { acknowledgedOffsets, changelogMessages, TaskStores } from '../../../runtime/stores/index.ts';
import { abortedAndCompactedAway, kafka, transactionalProducer, uniqueTopic, testDir } from '../helpers.ts';

const PARTITIONS = 2;
const TASK = 1;

describe('changelog-backed stores on a real broker', () => {
  let client: Kafka;
  let admin: Admin;
  let producer: Producer;
  const dir = testDir('stores');
  const app = uniqueTopic('stores');
  const changelogOf = (store: string) => ({ topic: changelogTopic(`${app}-${store}`), partition: TASK });
  const open = (name: string) => TaskStores.open({ location: join(dir, name), changelogOf });

  /** One commit as the runtime does it: changelog to Kafka first, then the LevelDB batch. */
  async function commit(stores: TaskStores, opts: { crashBeforeLevelDb?: boolean } = {}): Promise<void> {
    const prepared = stores.prepareCommit();
    const acks = await producer.sendBatch({ topicMessages: changelogMessages(prepared.records), acks: -1 });
    if (opts.crashBeforeLevelDb) return;
    await stores.completeCommit(prepared, acknowledgedOffsets(prepared.records, acks));
  }

  async function restore(stores: TaskStores, names: string[]) {
    const source = await KafkaChangelogSource.connect(client);
    try {
      return await restoreStores({ stores, names, source });
    } finally {
      await source.close();
    }
  }

  /** The coordinator writes transaction markers just after commit()/abort() return. */
  async function markersWritten(topic: string, end: number): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const high = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === TASK)!.high;
      if (Number(high) >= end) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function table(stores: TaskStores, name: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for await (const [k, v] of stores.store(name).scan()) out[k] = v;
    return out;
  }

  before(async () => {
    client = kafka('streamfold-test-stores');
    admin = client.admin();
    await admin.connect();
    producer = client.producer({ idempotent: true });
    await producer.connect();
    await ensureTopics(
      admin,
      ['balances', 'profiles', 'big', 'txn', 'gap'].map((s) => ({
        name: changelogTopic(`${app}-${s}`),
        kind: 'changelog' as const,
        partitions: PARTITIONS,
      })),
    );
  });

  after(async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  test('internal topics are compacted, creation is idempotent, a wrong partition count is explained', async () => {
    const topic = changelogTopic(`${app}-balances`);
    const configs = await describeTopicConfigs(admin, [topic], ['cleanup.policy']);
    assert.equal(configs.get(topic)?.get('cleanup.policy'), 'compact');
    const again = await ensureTopics(admin, [{ name: topic, kind: 'changelog', partitions: PARTITIONS }]);
    assert.deepEqual(again, { created: [], existing: [topic] });
    await assert.rejects(
      ensureTopics(admin, [{ name: topic, kind: 'changelog', partitions: PARTITIONS + 1 }]),
      (err: Error) =>
        err instanceof TopicMismatchError &&
        err.message.includes(`${topic} has ${PARTITIONS} partitions but needs ${PARTITIONS + 1}`),
    );
  });

  test('commits write the changelog and a checkpoint; a lost disk is rebuilt from offset 0 with tombstones', async () => {
    const stores = await open('lost-disk');
    const s = stores.store<{ balance: number }>('balances');
    for (let i = 0; i < 100; i++) s.put(`acc-${i % 10}`, { balance: i }); // 10 hot keys
    await commit(stores);
    s.delete('acc-3');
    s.put('acc-4', { balance: -4 });
    await commit(stores);
    const expected = await table(stores, 'balances');
    assert.equal(Object.keys(expected).length, 9);

    const [end] = (await admin.fetchTopicOffsets(changelogTopic(`${app}-balances`))).filter(
      (p) => p.partition === TASK,
    );
    assert.equal(Number(end!.high), 12, '10 records for 100 updates, then 2');
    assert.equal(stores.checkpoint('balances')?.offset, 12, 'the checkpoint is the acknowledged end');
    await stores.destroy();

    const rebuilt = await open('lost-disk');
    assert.equal(rebuilt.openOutcome, 'created');
    const summary = await restore(rebuilt, ['balances']);
    assert.deepEqual(
      summary.stores.map((r) => [r.from, r.to, r.restored, r.reason]),
      [[0, 12, 12, 'no-checkpoint']],
    );
    assert.deepEqual(await table(rebuilt, 'balances'), expected);
    assert.equal(rebuilt.store('balances').get('acc-3'), undefined);
    await rebuilt.close();
  });

  test('a crash between the Kafka commit and the LevelDB batch is repaired from the checkpoint', async () => {
    let stores = await open('crash');
    const p = stores.store<{ name: string }>('profiles');
    p.put('c1', { name: 'ann' });
    p.put('c2', { name: 'bob' });
    await commit(stores);
    p.put('c1', { name: 'anne' });
    p.delete('c2');
    p.put('c3', { name: 'cid' });
    await commit(stores, { crashBeforeLevelDb: true });
    await stores.close();

    stores = await open('crash');
    assert.deepEqual(stores.store('profiles').get('c1'), { name: 'ann' }, 'LevelDB holds the older prefix');
    const summary = await restore(stores, ['profiles']);
    assert.deepEqual(
      summary.stores.map((r) => [r.from, r.to, r.restored, r.reason]),
      [[2, 5, 3, 'checkpoint']],
    );
    assert.deepEqual(await table(stores, 'profiles'), { c1: { name: 'anne' }, c3: { name: 'cid' } });
    await stores.close();
  });

  test('a changelog that starts with an aborted transaction the cleaner emptied is restored past it', async () => {
    // What a crash in a task's first transaction leaves in its changelog once compacted: a batch
    // header without records at offsets 0..4. The reader used to take the empty answer for the end
    // of the log and restore nothing.
    await abortedAndCompactedAway(changelogTopic(`${app}-gap`), TASK);
    const stores = await open('gap-writer');
    const s = stores.store<number>('gap');
    s.put('a', 1);
    s.put('b', 2);
    await commit(stores);
    const expected = await table(stores, 'gap');
    await stores.destroy();

    const rebuilt = await open('gap-reader');
    const summary = await restore(rebuilt, ['gap']);
    assert.deepEqual(
      summary.stores.map((r) => [r.from, r.restored, r.reason]),
      [[0, 2, 'no-checkpoint']],
    );
    assert.deepEqual(await table(rebuilt, 'gap'), expected);
    await rebuilt.close();
  });

  test('records of aborted transactions are not restored', async () => {
    const topic = changelogTopic(`${app}-txn`);
    const tx = await transactionalProducer(client, 'stores-tx');
    try {
      const t1 = await tx.transaction();
      await t1.send({ topic, messages: [{ key: 'k', value: '"committed"', partition: TASK }] });
      await t1.commit();
      const t2 = await tx.transaction();
      await t2.send({
        topic,
        messages: [
          { key: 'k', value: '"aborted"', partition: TASK },
          { key: 'z', value: '"aborted"', partition: TASK },
        ],
      });
      await t2.abort();
    } finally {
      await tx.disconnect();
    }
    await markersWritten(topic, 5);
    const stores = await open('txn');
    const summary = await restore(stores, ['txn']);
    assert.equal(summary.stores[0]!.restored, 1);
    assert.equal(summary.stores[0]!.to, 5, 'record, commit marker, 2 aborted records, abort marker');
    assert.deepEqual(await table(stores, 'txn'), { k: 'committed' });
    assert.equal(stores.checkpoint('txn')?.offset, 5);
    await stores.close();
  });

  test(
    'a compacted changelog (gaps in its offsets) restores to the latest value per key',
    {
      timeout: 90_000,
    },
    async () => {
      const store = 'compacted';
      const topic = changelogTopic(`${app}-${store}`);
      await ensureTopics(admin, [
        {
          name: topic,
          kind: 'changelog',
          partitions: PARTITIONS,
          // Make the log cleaner act within seconds.
          configs: {
            'segment.ms': '100',
            'min.cleanable.dirty.ratio': '0.01',
            'min.compaction.lag.ms': '0',
            'delete.retention.ms': '100',
          },
        },
      ]);
      const messages = [];
      for (let v = 1; v <= 50; v++)
        for (const key of ['a', 'b', 'c']) messages.push({ key, value: JSON.stringify(v), partition: TASK });
      messages.push({ key: 'b', value: null as unknown as string, partition: TASK });
      await producer.send({ topic, messages, acks: -1 });
      await new Promise((r) => setTimeout(r, 300));
      // An append after segment.ms rolls the segment, which makes the old one cleanable.
      await producer.send({ topic, messages: [{ key: 'roll', value: '0', partition: TASK }], acks: -1 });

      const deadline = Date.now() + 60_000;
      for (let attempt = 0; ; attempt++) {
        const stores = await open(`compacted-${attempt}`);
        const summary = await restore(stores, [store]);
        const state = await table(stores, store);
        await stores.destroy();
        assert.deepEqual(state, { a: 50, c: 50, roll: 0 });
        assert.equal(summary.stores[0]!.to, 152);
        if (summary.records <= 5) break; // compacted: a, c, (b's tombstone), roll
        if (Date.now() > deadline)
          assert.fail(`the log was not compacted in time (${summary.records} records)`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  );

  test('exactly-once flow: LevelDB after the transaction commits; aborted work is rolled back and never restored', async () => {
    const store = 'eos';
    const topic = changelogTopic(`${app}-${store}`);
    await ensureTopics(admin, [{ name: topic, kind: 'changelog', partitions: PARTITIONS }]);
    const tx = await transactionalProducer(client, 'stores-eos');
    let stores = await open(store);
    const s = stores.store<number>(store);
    /** One transactional commit; `outcome` decides what happens after the records are sent. */
    const transactionalCommit = async (outcome: 'commit' | 'abort' | 'crash-before-leveldb') => {
      const prepared = stores.prepareCommit();
      const t = await tx.transaction();
      const acks = await t.sendBatch({ topicMessages: changelogMessages(prepared.records) });
      if (outcome === 'abort') {
        await t.abort();
        stores.rollback();
        return;
      }
      await t.commit();
      if (outcome === 'commit')
        await stores.completeCommit(prepared, acknowledgedOffsets(prepared.records, acks));
    };
    try {
      s.put('a', 1);
      await transactionalCommit('commit'); // record 0, marker 1
      assert.equal(stores.checkpoint(store)?.offset, 1);
      s.put('a', 2);
      s.put('b', 2);
      await transactionalCommit('abort'); // records 2-3, marker 4
      assert.equal(s.get('a'), 1, 'an aborted commit leaves the store as LevelDB has it');
      assert.equal(s.get('b'), undefined);
      s.put('a', 3);
      await transactionalCommit('crash-before-leveldb'); // record 5, marker 6
    } finally {
      await tx.disconnect();
    }
    await stores.close();

    await markersWritten(topic, 7);
    stores = await open(store);
    assert.equal(stores.store(store).get('a'), 1);
    const summary = await restore(stores, [store]);
    assert.deepEqual(
      summary.stores.map((r) => [r.from, r.to, r.restored, r.reason]),
      [[1, 7, 1, 'checkpoint']],
      'caught up from the checkpoint, never wiped; aborted records skipped',
    );
    assert.deepEqual(await table(stores, store), { a: 3 });
    await stores.close();
  });

  test('two stores restore together even when a full fetch response leaves one out', async () => {
    const names = ['pair-a', 'pair-b'];
    await ensureTopics(
      admin,
      names.map((n) => ({
        name: changelogTopic(`${app}-${n}`),
        kind: 'changelog' as const,
        partitions: PARTITIONS,
      })),
    );
    // Separate sends make separate record batches.
    for (let i = 0; i < 8; i++) {
      for (const n of names) {
        await producer.send({
          topic: changelogTopic(`${app}-${n}`),
          messages: [{ key: `k${i}`, value: String(i), partition: TASK }],
          acks: -1,
        });
      }
    }
    const stores = await open('pair');
    // A 1-byte response limit: the broker returns one batch of one partition and nothing for the other.
    const source = await KafkaChangelogSource.connect(client, { maxBytes: 1, maxBytesPerPartition: 1 });
    try {
      const summary = await restoreStores({ stores, names, source });
      assert.deepEqual(
        summary.stores.map((r) => [r.store, r.restored, r.to]),
        [
          ['pair-a', 8, 8],
          ['pair-b', 8, 8],
        ],
      );
    } finally {
      await source.close();
    }
    for (const n of names) assert.equal(await stores.countRows(n), 8);
    await stores.close();
  });

  test('a missing changelog topic is reported by name', async () => {
    const missing = changelogTopic(`${app}-never-created`);
    const stores = await TaskStores.open({
      location: join(dir, 'missing'),
      changelogOf: () => ({ topic: missing, partition: 0 }),
    });
    const source = await KafkaChangelogSource.connect(client);
    try {
      await assert.rejects(
        restoreStores({ stores, names: ['x'], source }),
        new RegExp(`a changelog topic does not exist \\(one of ${missing}\\)`),
      );
    } finally {
      await source.close();
      await stores.close();
    }
  });

  test('a 200k-record changelog restores completely', { timeout: 180_000 }, async (t) => {
    const topic = changelogTopic(`${app}-big`);
    const total = 200_000;
    const keys = 50_000;
    const chunk = 10_000;
    const value = (i: number) =>
      JSON.stringify({
        balance: i * 1.5,
        deposits: i,
        owner: `owner-${i % 977}`,
        customerId: `c-${i % keys}`,
      });
    const produceStart = performance.now();
    for (let from = 0; from < total; from += chunk) {
      const messages = Array.from({ length: chunk }, (_, j) => ({
        key: `acc-${(from + j) % keys}`,
        value: value(from + j),
        partition: TASK,
      }));
      await producer.send({ topic, messages, acks: -1 });
    }
    t.diagnostic(`produced ${total} records in ${Math.round(performance.now() - produceStart)} ms`);

    const stores = await open('big');
    let progressCalls = 0;
    const source = await KafkaChangelogSource.connect(client);
    let summary;
    try {
      summary = await restoreStores({ stores, names: ['big'], source, onProgress: () => progressCalls++ });
    } finally {
      await source.close();
    }
    const rate = Math.round(summary.records / (summary.ms / 1000));
    t.diagnostic(
      `restored ${summary.records} records in ${Math.round(summary.ms)} ms: ${rate} records/s (${progressCalls} progress calls)`,
    );
    assert.equal(summary.records, total);
    assert.ok(progressCalls > 1);
    assert.equal(await stores.countRows('big'), keys);
    assert.deepEqual(stores.store('big').get('acc-7'), JSON.parse(value(total - keys + 7)));
    assert.equal(stores.checkpoint('big')?.offset, total);
    await stores.close();
  });
});
