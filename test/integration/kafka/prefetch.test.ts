// The prefetching consumer (runtime/kafka/patches/prefetch): with the next fetch sent while a batch
// is processed, a consumer group reads every record of every partition once and in order, through a
// rewind (seek) in the middle, a pause and resume, and transaction markers between the records.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefetchFor, prefetchStats } from '../../../runtime/kafka/patches/prefetch/index.ts';
import { createTopic, kafka, uniqueTopic } from '../helpers.ts';

const PER_PARTITION = 1500;
const REWIND_AT = 500;
const REWIND_TO = 100;
const PAUSE_AT = 300;

test('a prefetching consumer reads each partition in order, once, across a seek, a pause and markers', async () => {
  const topic = uniqueTopic('prefetch');
  const groupId = uniqueTopic('prefetch-group');
  await createTopic(topic, { partitions: 2 });
  const client = kafka('streamfold-test-prefetch');
  // plain and transactional records alternate, so batches end in commit markers
  const plain = client.producer({ allowAutoTopicCreation: false });
  const txn = client.producer({ transactionalId: groupId, idempotent: true, maxInFlightRequests: 1 });
  await plain.connect();
  await txn.connect();
  for (let i = 0; i < PER_PARTITION; i += 50) {
    const messages = (partition: number) =>
      Array.from({ length: 50 }, (_, j) => ({ partition, value: `${partition}:${i + j}:${'x'.repeat(80)}` }));
    if ((i / 50) % 2 === 0) await plain.send({ topic, messages: [...messages(0), ...messages(1)] });
    else {
      const t = await txn.transaction();
      await t.send({ topic, messages: [...messages(0), ...messages(1)] });
      await t.commit();
    }
  }
  await plain.disconnect();
  await txn.disconnect();

  prefetchFor(groupId);
  const before = { ...prefetchStats };
  // small fetches: many rounds, each with its prefetch
  const consumer = client.consumer({
    groupId,
    maxBytesPerPartition: 4096,
    maxWaitTimeInMs: 50,
    readUncommitted: false,
  });
  const seen: number[][] = [[], []];
  let rewound = false;
  let rewindOffset: string | undefined;
  let paused = false;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        try {
          const p = batch.partition;
          for (const m of batch.messages) {
            if (!payload.isRunning() || payload.isStale()) return;
            const n = Number(m.value!.toString().split(':')[1]);
            seen[p]!.push(n);
            if (p === 0 && n === REWIND_TO) rewindOffset ??= m.offset;
            payload.resolveOffset(m.offset);
            if (p === 0 && n === REWIND_AT && !rewound) {
              rewound = true;
              consumer.seek({ topic, partition: 0, offset: rewindOffset! });
              return;
            }
            if (p === 1 && n === PAUSE_AT && !paused) {
              paused = true;
              consumer.pause([{ topic, partitions: [1] }]);
              setTimeout(() => consumer.resume([{ topic, partitions: [1] }]), 300);
              return;
            }
          }
          if (seen[0]!.at(-1) === PER_PARTITION - 1 && seen[1]!.at(-1) === PER_PARTITION - 1) resolve();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      done,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 60_000))),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  assert.deepEqual(seen[0], [...range(0, REWIND_AT + 1), ...range(REWIND_TO, PER_PARTITION)]);
  assert.deepEqual(seen[1], range(0, PER_PARTITION));
  assert.ok(prefetchStats.used > before.used, 'some fetches were answered by a prefetch');
});
