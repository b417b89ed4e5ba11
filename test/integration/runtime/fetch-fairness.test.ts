// The processing consumer's fetch sizes (PROCESSING_FETCH, runtime/app/group-membership.ts): with
// every partition holding more than the per-partition limit, one fetch takes all of them. With
// kafkajs' default response limit (10 MiB), a fetch of these 12 partitions of 1.25 MiB left about two
// out at random, so partitions of a backlog advanced unevenly, and bench (f)'s windowed aggregate,
// behind a repartition, dropped records later than its grace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PROCESSING_FETCH } from '../../../runtime/app/group-membership.ts';
import { createTopics, kafka, uniqueTopic } from '../helpers.ts';

const PARTITIONS = 6;
/** Records of 1 KiB per partition: 1.25 MiB, more than a fetch takes of one partition. */
const PER_PARTITION = 1280;

async function fillPartitions(topics: string[]): Promise<void> {
  const producer = kafka('fetch-fairness-producer').producer();
  await producer.connect();
  try {
    const value = Buffer.alloc(1024, 'x');
    // a quarter of a partition per call: a partition's records of one call form one record batch,
    // which the broker takes up to 1 MiB
    for (const topic of topics)
      for (let partition = 0; partition < PARTITIONS; partition++)
        for (let from = 0; from < PER_PARTITION; from += PER_PARTITION / 4)
          await producer.send({
            topic,
            messages: Array.from({ length: PER_PARTITION / 4 }, (_, i) => ({
              partition,
              key: `k${from + i}`,
              value,
            })),
          });
  } finally {
    await producer.disconnect();
  }
}

/** How many partitions the consumer's first fetch with records delivered batches of. */
async function partitionsOfFirstFetch(topics: string[], fetch: object): Promise<number> {
  const consumer = kafka('fetch-fairness').consumer({
    groupId: uniqueTopic('fetch-fairness'),
    maxWaitTimeInMs: 100,
    ...fetch,
  });
  // One broker, one fetcher: kafkajs reports each fetch as it returns, hands its batches over, and
  // fetches again only after the last one, so a batch belongs to the fetch reported last.
  let fetches = 0;
  consumer.on(consumer.events.FETCH, () => fetches++);
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let first: number | undefined;
    const partitions = new Set<string>();
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no second fetch with records within 60 s')), 60_000);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            first ??= fetches;
            if (fetches === first) partitions.add(`${batch.topic}:${batch.partition}`);
            else {
              clearTimeout(timer);
              resolve(partitions.size);
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
}

test(
  'one fetch of the processing consumer takes every partition of a backlog',
  { timeout: 180_000 },
  async () => {
    const topics = [uniqueTopic('fetch-fairness-a'), uniqueTopic('fetch-fairness-b')];
    await createTopics(topics, { partitions: PARTITIONS });
    await fillPartitions(topics);
    assert.equal(await partitionsOfFirstFetch(topics, PROCESSING_FETCH), topics.length * PARTITIONS);
    // the same consumer at kafkajs' default response limit leaves partitions out: what the setting is for
    const defaultLimit = { maxBytesPerPartition: PROCESSING_FETCH.maxBytesPerPartition };
    assert.ok((await partitionsOfFirstFetch(topics, defaultLimit)) < topics.length * PARTITIONS);
  },
);
