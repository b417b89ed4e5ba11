// `produceShopEvents` against the real broker: creates the missing topics with 3 partitions, writes
// exactly the seeded simulation, keyed by entity id, every entity's events in order on one partition.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateEvents, produceShopEvents } from '../../../runtime/generator/index.ts';
import { brokers, createTopic, kafka, readToEnd, uniqueTopic } from '../helpers.ts';

void describe('produceShopEvents', () => {
  void test('produces N seeded events to the three topics, creating the missing ones', async () => {
    const topics = {
      accounts: uniqueTopic('gen-accounts'),
      orders: uniqueTopic('gen-orders'),
      customers: uniqueTopic('gen-customers'),
    };
    // One topic exists already with 1 partition: left as it is.
    await createTopic(topics.customers, { partitions: 1 });
    const count = 1200;
    const result = await produceShopEvents({
      brokers: brokers(),
      seed: 'it',
      count,
      rate: 0,
      topics,
      population: 50,
    });
    assert.equal(result.produced, count);
    assert.deepEqual(result.createdTopics.sort(), [topics.accounts, topics.orders].sort());

    const admin = kafka().admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: Object.values(topics) });
      const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
      assert.deepEqual(partitions, { [topics.accounts]: 3, [topics.orders]: 3, [topics.customers]: 1 });
    } finally {
      await admin.disconnect();
    }

    const expected = generateEvents('it', count, { topics, population: 50 });
    const now = Date.now();
    let total = 0;
    for (const topic of Object.values(topics)) {
      const records = await readToEnd(topic);
      total += records.length;
      assert.equal(records.length, result.byTopic[topic], `${topic}: count`);
      const want = expected.filter((e) => e.topic === topic);
      // Per key, the records are on one partition and in the simulation's order.
      const partitionOf = new Map<string, number>();
      for (const r of records) {
        const key = r.key as string;
        assert.equal(partitionOf.get(key) ?? r.partition, r.partition, `${key} stays on one partition`);
        partitionOf.set(key, r.partition);
        assert.ok(r.timestamp <= now + 1000, 'no timestamp in the future');
        assert.equal(JSON.parse(r.value as string).timestamp, r.timestamp, 'value time = record time');
      }
      const strip = (v: Record<string, unknown>) => ({ ...v, timestamp: 0 });
      for (const key of partitionOf.keys()) {
        const got = records.filter((r) => r.key === key).map((r) => strip(JSON.parse(r.value as string)));
        const exp = want.filter((e) => e.key === key).map((e) => strip(e.value));
        assert.deepEqual(got, exp, `events of ${key}`);
      }
      if (topic !== topics.customers)
        assert.ok(new Set(partitionOf.values()).size > 1, `${topic}: spread over partitions`);
    }
    assert.equal(total, count);
  });

  void test('a paced run follows the rate and stops when aborted', async () => {
    const topics = {
      accounts: uniqueTopic('gen-paced-a'),
      orders: uniqueTopic('gen-paced-o'),
      customers: uniqueTopic('gen-paced-c'),
    };
    const abort = new AbortController();
    const t0 = Date.now();
    // Stop a second after the first batch: topic creation on a busy machine must not eat the run.
    let timer: NodeJS.Timeout | undefined;
    const onBatch = () => (timer ??= setTimeout(() => abort.abort(), 1000));
    const result = await produceShopEvents({
      brokers: brokers(),
      seed: 'paced',
      rate: 40,
      topics,
      signal: abort.signal,
      onBatch,
    });
    const seconds = (Date.now() - t0) / 1000;
    // Topic creation takes part of the time; the rate caps the count from above.
    assert.ok(
      result.produced >= 20,
      `${result.produced} events: kept producing for the second after the first batch`,
    );
    assert.ok(result.produced <= 40 * seconds + 5, `${result.produced} events in ${seconds} s at 40/s`);
    let total = 0;
    for (const topic of Object.values(topics)) total += (await readToEnd(topic)).length;
    assert.equal(total, result.produced);
  });
});
