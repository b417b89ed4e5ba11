// The restore pattern for the runtime: on assignment, pause the task's input partitions, restore
// its stores with the group-less changelog reader in the background, then resume. A restore that
// lasts more than twice the session timeout must not cost the group membership: kafkajs keeps
// heartbeating from its fetch loop while every partition is paused (kafkajs#387 only bites when
// the wait happens inside eachBatch/eachMessage).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { changelogTopic, ensureTopics } from '../../../runtime/kafka/admin/index.ts';
import {
  type ChangelogSource,
  KafkaChangelogSource,
  restoreStores,
} from '../../../runtime/kafka/restore/index.ts';
import { TaskStores } from '../../../runtime/stores/index.ts';
import { createTopic, kafka, uniqueTopic, testDir } from '../helpers.ts';

const SESSION_TIMEOUT = 6_000;
const FETCH_DELAY = 1_000;
const CHANGELOG_BATCHES = 14; // one fetch each: ~14 s of restore, more than twice the session timeout

const dir = testDir('membership');

/** A changelog source that takes its time, like a restore of millions of records would. */
function slow(source: ChangelogSource): ChangelogSource {
  return {
    offsets: (tps) => source.offsets(tps),
    fetch: async (positions) => {
      await new Promise((r) => setTimeout(r, FETCH_DELAY));
      return source.fetch(positions);
    },
    close: () => source.close(),
  };
}

test(
  'a restore longer than the session timeout keeps the group membership',
  {
    timeout: 90_000,
  },
  async () => {
    const client = kafka('streamfold-test-membership');
    const app = uniqueTopic('membership');
    const input = `${app}-input`;
    const changelog = changelogTopic(`${app}-state`);
    await createTopic(input, { partitions: 1 });
    const admin = client.admin();
    await admin.connect();
    await ensureTopics(admin, [{ name: changelog, kind: 'changelog', partitions: 1 }]);
    await admin.disconnect();

    const producer = client.producer({ idempotent: true });
    await producer.connect();
    // Separate sends make separate record batches; with a tiny fetch size each fetch returns one.
    for (let i = 0; i < CHANGELOG_BATCHES; i++) {
      await producer.send({
        topic: changelog,
        messages: [{ key: `k${i}`, value: String(i), partition: 0 }],
        acks: -1,
      });
    }

    const stores = await TaskStores.open({
      location: join(dir, 'task-0'),
      changelogOf: () => ({ topic: changelog, partition: 0 }),
    });
    const consumer = client.consumer({
      groupId: app,
      sessionTimeout: SESSION_TIMEOUT,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 10_000,
    });
    const joins: string[] = [];
    const consumed: Array<{ value: string; afterRestore: boolean }> = [];
    let restoreDone = false;
    let restoreError: unknown;
    let restoreMs = 0;

    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      joins.push(payload.memberId);
      const partitions = payload.memberAssignment[input] ?? [];
      if (partitions.length === 0) return;
      // Pause first, restore in the background, resume when the stores are caught up.
      consumer.pause([{ topic: input, partitions }]);
      void (async () => {
        const source = slow(await KafkaChangelogSource.connect(client, { maxBytesPerPartition: 1 }));
        try {
          const summary = await restoreStores({ stores, names: ['state'], source });
          restoreMs = summary.ms;
          restoreDone = true;
          consumer.resume([{ topic: input, partitions }]);
        } catch (err) {
          restoreError = err;
        } finally {
          await source.close();
        }
      })();
    });

    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        consumed.push({ value: message.value!.toString(), afterRestore: restoreDone });
      },
    });
    try {
      await producer.send({ topic: input, messages: [{ value: 'event-1' }] });
      const deadline = Date.now() + 60_000;
      while (consumed.length === 0 && restoreError === undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      assert.equal(restoreError, undefined);
      assert.ok(restoreMs > 2 * SESSION_TIMEOUT, `the restore took ${Math.round(restoreMs)} ms`);
      assert.deepEqual(consumed, [{ value: 'event-1', afterRestore: true }], 'input waits for the restore');
      assert.equal(
        joins.length,
        1,
        `joined ${joins.length} times: the membership was lost during the restore`,
      );
      assert.equal(await stores.countRows('state'), CHANGELOG_BATCHES);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await stores.close();
    }
  },
);
