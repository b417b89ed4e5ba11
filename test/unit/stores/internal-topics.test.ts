// Internal topics against a fake admin: changelog names, idempotent creation with the configs of each kind,
// a clear error for an existing topic with the wrong partition count or cleanup policy, co-partitioning.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import {
  changelogTopic,
  checkCoPartitioning,
  ensureTopics,
  TopicMismatchError,
} from '../../../runtime/kafka/admin/index.ts';

/** Just enough of a kafkajs Admin, over an in-memory topic table. */
function fakeAdmin(initial: Record<string, { partitions: number; configs: Record<string, string> }> = {}) {
  const topics = new Map(Object.entries(initial));
  const created: string[] = [];
  const admin = {
    listTopics: async () => [...topics.keys()],
    createTopics: async ({
      topics: specs,
    }: {
      topics: Array<{
        topic: string;
        numPartitions: number;
        configEntries: Array<{ name: string; value: string }>;
      }>;
    }) => {
      for (const s of specs) {
        created.push(s.topic);
        topics.set(s.topic, {
          partitions: s.numPartitions,
          configs: Object.fromEntries(s.configEntries.map((e) => [e.name, e.value])),
        });
      }
      return true;
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => ({
      topics: names.map((name) => ({
        name,
        partitions: Array.from({ length: topics.get(name)!.partitions }, (_, i) => ({
          partitionId: i,
          leader: 1,
        })),
      })),
    }),
    fetchTopicOffsets: async (name: string) =>
      Array.from({ length: topics.get(name)!.partitions }, (_, i) => ({ partition: i, offset: '0' })),
    describeConfigs: async ({
      resources,
    }: {
      resources: Array<{ name: string; configNames: string[] }>;
    }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries: r.configNames
          .filter((c) => topics.get(r.name)!.configs[c] !== undefined)
          .map((c) => ({ configName: c, configValue: topics.get(r.name)!.configs[c]! })),
      })),
    }),
  };
  return { admin: admin as unknown as Admin, topics, created };
}

describe('internal topics', () => {
  it('names changelogs after the (application-prefixed) store, and rejects illegal names', () => {
    assert.equal(changelogTopic('shop-balances-agg'), 'shop-balances-agg-changelog');
    assert.throws(() => changelogTopic('shop-bad name-agg'), /not a legal Kafka topic name/);
  });

  it('creates missing topics with the configs of their kind, and is idempotent', async () => {
    const { admin, topics, created } = fakeAdmin();
    const specs = [
      { name: 'shop-balances-changelog', kind: 'changelog' as const, partitions: 3 },
      { name: 'shop-balances', kind: 'output' as const, partitions: 3 },
      {
        name: 'shop-rev-repartition',
        kind: 'repartition' as const,
        partitions: 3,
        configs: { 'retention.ms': '3600000' },
      },
    ];
    const first = await ensureTopics(admin, specs);
    assert.deepEqual(first.created.sort(), specs.map((s) => s.name).sort());
    assert.equal(topics.get('shop-balances-changelog')!.configs['cleanup.policy'], 'compact');
    assert.equal(topics.get('shop-balances')!.configs['cleanup.policy'], 'compact');
    assert.deepEqual(topics.get('shop-rev-repartition')!.configs, {
      'cleanup.policy': 'delete',
      'retention.ms': '3600000',
    });
    const second = await ensureTopics(admin, specs);
    assert.deepEqual(second.created, []);
    assert.equal(created.length, 3);
  });

  it('explains an existing topic with the wrong partition count or cleanup policy', async () => {
    const { admin } = fakeAdmin({
      'shop-a-changelog': { partitions: 4, configs: { 'cleanup.policy': 'compact' } },
      'shop-b-changelog': { partitions: 3, configs: { 'cleanup.policy': 'delete' } },
    });
    await assert.rejects(
      ensureTopics(admin, [
        { name: 'shop-a-changelog', kind: 'changelog', partitions: 3 },
        { name: 'shop-b-changelog', kind: 'changelog', partitions: 3 },
      ]),
      (err: Error) =>
        err instanceof TopicMismatchError &&
        err.message.includes('topic shop-a-changelog has 4 partitions but needs 3') &&
        err.message.includes(
          'topic shop-b-changelog has cleanup.policy=delete but a changelog topic needs cleanup.policy=compact',
        ),
    );
  });

  it('checks co-partitioning of joined inputs', async () => {
    const { admin } = fakeAdmin({
      orders: { partitions: 3, configs: {} },
      customers: { partitions: 3, configs: {} },
      payments: { partitions: 4, configs: {} },
    });
    const counts = await checkCoPartitioning(admin, [['orders', 'customers']]);
    assert.equal(counts.get('orders'), 3);
    await assert.rejects(
      checkCoPartitioning(admin, [['orders', 'payments']]),
      /orders \(3 partitions\), payments \(4 partitions\) are joined on the same key and must have the same number of partitions/,
    );
    await assert.rejects(checkCoPartitioning(admin, [['orders', 'nope']]), /topic nope does not exist/);
  });
});
