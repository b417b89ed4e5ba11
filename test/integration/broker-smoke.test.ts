// Proves the broker is a real Kafka and that kafkajs' features streamfold relies on work against it:
// log compaction, transactions with sendOffsets + read_committed, consumer groups, admin with configs.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Consumer } from 'kafkajs';
import {
  brokers,
  createTopic,
  kafka,
  produce,
  readToEnd,
  transactionalProducer,
  uniqueTopic,
} from './helpers.ts';

// kafkajs is CommonJS; Node's named-export detection misses this one.
const { ConfigResourceTypes } = kafkajs;

async function endOffset(topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const [p0] = await admin.fetchTopicOffsets(topic);
    return Number(p0?.high);
  } finally {
    await admin.disconnect();
  }
}

void describe('broker smoke', () => {
  void test('the broker answers', async (t) => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      assert.equal(cluster.brokers.length, 1);
      t.diagnostic(`broker ${brokers().join(',')} cluster ${cluster.clusterId}`);
      t.diagnostic(
        `broker origin: ${process.env.STREAMFOLD_TEST_BROKER ?? 'KAFKA_BROKERS given by the caller'}`,
      );
    } finally {
      await admin.disconnect();
    }
  });

  void test('keeps records with historic timestamps past a retention check (no time retention)', async () => {
    // Tests produce fixture events from 2026-01-01 on. With the default 7-day retention the broker's
    // retention check (every 10 s) deleted them, read or not, and consumers skipped them after an
    // offset reset (the streamfold run test lost records that way when the machine was busy).
    const topic = uniqueTopic('smoke-old-timestamps');
    await createTopic(topic);
    const historic = Date.UTC(2026, 0, 1);
    await produce(
      topic,
      [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: String(historic + i) })),
    );
    // log.retention.check.interval.ms is 10 s: at least one check runs in this wait.
    await sleep(10_500);
    const admin = kafka().admin();
    await admin.connect();
    try {
      const [p0] = await admin.fetchTopicOffsets(topic);
      assert.deepEqual([p0?.low, p0?.high], ['0', '3'], 'no record was deleted');
    } finally {
      await admin.disconnect();
    }
    assert.deepEqual(
      (await readToEnd(topic)).map((r) => r.value),
      ['v0', 'v1', 'v2'],
    );
  });

  void test('the log cleaner removes superseded records of a compacted topic', async () => {
    const topic = uniqueTopic('smoke-compacted');
    await createTopic(topic, {
      configs: {
        'cleanup.policy': 'compact',
        // roll segments fast: the active segment is never cleaned
        'segment.ms': 100,
        'min.cleanable.dirty.ratio': 0.01,
        'min.compaction.lag.ms': 0,
        'delete.retention.ms': 100,
      },
    });
    const keys = ['a', 'b', 'c'];
    const versions = 50;
    const messages = [];
    for (let v = 1; v <= versions; v++) for (const key of keys) messages.push({ key, value: `${key}-v${v}` });
    await produce(topic, messages);
    await sleep(300);
    // An append after segment.ms rolls the segment holding all the versions, making it cleanable.
    await produce(topic, [{ key: 'roll', value: 'roll' }]);
    // Compaction removes records but never renumbers them: the end offset proves every version was written.
    assert.equal(await endOffset(topic), keys.length * versions + 1, 'all versions were written');

    const deadline = Date.now() + 45_000;
    let records = await readToEnd(topic);
    while (records.length > keys.length + 1 && Date.now() < deadline) {
      await sleep(1_000);
      records = await readToEnd(topic);
    }
    assert.deepEqual(
      records.map((r) => [r.key, r.value]),
      [...keys.map((k) => [k, `${k}-v${versions}`]), ['roll', 'roll']],
      'only the latest value of each key is left',
    );
  });

  void test('transactions: committed output and offsets are visible, aborted ones are not', async () => {
    const input = uniqueTopic('smoke-txn-in');
    const output = uniqueTopic('smoke-txn-out');
    const groupId = uniqueTopic('smoke-txn-group');
    await createTopic(input);
    await createTopic(output);
    await produce(input, [{ value: 'in-0' }, { value: 'in-1' }, { value: 'in-2' }]);

    const producer = await transactionalProducer(kafka('smoke-txn'), 'smoke-txn-id');
    try {
      const committed = await producer.transaction();
      await committed.send({ topic: output, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
      await committed.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: '2' }] }],
      });
      await committed.commit();

      const aborted = await producer.transaction();
      await aborted.send({ topic: output, messages: [{ value: 'aborted-1' }] });
      await aborted.sendOffsets({
        consumerGroupId: groupId,
        topics: [{ topic: input, partitions: [{ partition: 0, offset: '3' }] }],
      });
      await aborted.abort();
    } finally {
      await producer.disconnect();
    }

    const readCommitted = await readToEnd(output, { readCommitted: true });
    assert.deepEqual(
      readCommitted.map((r) => r.value),
      ['committed-1', 'committed-2'],
    );
    // The aborted record did reach the log: only the isolation level hides it.
    const readUncommitted = await readToEnd(output, { readCommitted: false });
    assert.deepEqual(
      readUncommitted.map((r) => r.value),
      ['committed-1', 'committed-2', 'aborted-1'],
    );

    const admin = kafka().admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [input] });
      assert.deepEqual(
        offsets?.partitions.map((p) => [p.partition, p.offset]),
        [[0, '2']],
      );
    } finally {
      await admin.disconnect();
    }
  });

  void test('a consumer group splits a 3-partition topic between two members', async () => {
    const topic = uniqueTopic('smoke-group');
    const groupId = uniqueTopic('smoke-group');
    await createTopic(topic, { partitions: 3 });

    const assignments = new Map<string, number[]>();
    const received = new Map<string, Array<{ partition: number; value: string }>>();
    const start = async (name: string): Promise<Consumer> => {
      // Short long-polls: a member hears of a rebalance only between fetches.
      const consumer = kafka(name).consumer({
        groupId,
        heartbeatInterval: 300,
        sessionTimeout: 6_000,
        maxWaitTimeInMs: 200,
      });
      received.set(name, []);
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        assignments.set(name, payload.memberAssignment[topic] ?? []);
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.get(name)?.push({ partition, value: message.value?.toString() ?? '' });
        },
      });
      return consumer;
    };
    const consumers = [await start('member-1'), await start('member-2')];
    try {
      const split = () => {
        const [a = [], b = []] = [assignments.get('member-1'), assignments.get('member-2')];
        return a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === '0,1,2';
      };
      const deadline = Date.now() + 30_000;
      while (!split() && Date.now() < deadline) await sleep(100);
      assert.ok(split(), `both members own partitions: ${JSON.stringify([...assignments])}`);

      const messages = Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `m${i}` }));
      await produce(topic, messages);
      const total = () => [...received.values()].reduce((n, list) => n + list.length, 0);
      while (total() < messages.length && Date.now() < deadline + 20_000) await sleep(100);

      for (const [name, list] of received) {
        const owned = assignments.get(name) ?? [];
        assert.ok(list.length > 0, `${name} consumed something`);
        assert.ok(
          list.every((m) => owned.includes(m.partition)),
          `${name} only reads its partitions`,
        );
      }
      const all = [...received.values()]
        .flat()
        .map((m) => m.value)
        .sort();
      assert.deepEqual(all, messages.map((m) => m.value).sort(), 'each message consumed exactly once');

      const admin = kafka().admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([groupId]);
        assert.equal(groups[0]?.members.length, 2);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  });

  void test('admin creates a topic with configs and describes them', async () => {
    const topic = uniqueTopic('smoke-admin');
    await createTopic(topic, {
      partitions: 2,
      configs: { 'cleanup.policy': 'compact', 'retention.ms': 1234567, 'max.message.bytes': 2000000 },
    });
    await assert.rejects(createTopic(topic), /already exists/);

    const admin = kafka().admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(metadata.topics[0]?.partitions.length, 2);
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      const entries = new Map(described.resources[0]?.configEntries.map((e) => [e.configName, e]));
      assert.equal(entries.get('cleanup.policy')?.configValue, 'compact');
      assert.equal(entries.get('retention.ms')?.configValue, '1234567');
      assert.equal(entries.get('max.message.bytes')?.configValue, '2000000');
      assert.equal(entries.get('retention.ms')?.isDefault, false);
      assert.equal(entries.get('segment.bytes')?.isDefault, true, 'untouched configs report their defaults');
    } finally {
      await admin.disconnect();
    }
  });
});
