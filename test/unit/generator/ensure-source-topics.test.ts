// --create-source-topics on a busy broker: createTopics may answer UNKNOWN_TOPIC_OR_PARTITION for a
// topic it just created (its leader not known yet). The topics are there: wait for their leaders
// instead of failing the start ("could not create the source topics").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { ensureSourceTopics } from '../../../runtime/generator/produce.ts';

/** A kafkajs client whose admin creates the topics but reports them before their leaders exist. */
function busyBroker(metadataCallsWithoutLeader: number) {
  const topics = new Set<string>(['already-there']);
  let metadataCalls = 0;
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => [...topics],
    createTopics: async ({ topics: specs }: { topics: Array<{ topic: string }> }) => {
      for (const s of specs) topics.add(s.topic);
      throw Object.assign(new Error('This server does not host this topic-partition'), {
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
      });
    },
    fetchTopicMetadata: async ({ topics: names }: { topics: string[] }) => {
      metadataCalls++;
      const leader = metadataCalls > metadataCallsWithoutLeader ? 1 : -1;
      return { topics: names.map((name) => ({ name, partitions: [{ partitionId: 0, leader }] })) };
    },
    fetchTopicOffsets: async () => [{ partition: 0, offset: '0' }],
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, metadata: () => metadataCalls };
}

test('created source topics whose leaders are not known yet are waited for, not reported as a failure', async () => {
  const broker = busyBroker(2);
  const created = await ensureSourceTopics(broker.kafka, ['already-there', 'accounts', 'orders'], 3);
  assert.deepEqual(created, ['accounts', 'orders']);
  assert.equal(broker.metadata(), 3, 'polled until every partition had a leader');
});
