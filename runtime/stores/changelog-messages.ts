// Prepared changelog records in the shape kafkajs' sendBatch() takes: one entry per topic, each
// message pinned to the store's changelog partition (= the task's partition, never re-hashed).
import type { ChangelogRecord } from './task-stores.ts';

export interface ChangelogTopicMessages {
  topic: string;
  messages: Array<{ key: string; value: Buffer | null; partition: number; timestamp?: string }>;
}

export function changelogMessages(
  records: ChangelogRecord[],
  timestamp = Date.now(),
): ChangelogTopicMessages[] {
  const byTopic = new Map<string, ChangelogTopicMessages>();
  for (const r of records) {
    let t = byTopic.get(r.topic);
    if (!t) byTopic.set(r.topic, (t = { topic: r.topic, messages: [] }));
    t.messages.push({ key: r.key, value: r.value, partition: r.partition, timestamp: String(timestamp) });
  }
  return [...byTopic.values()];
}
