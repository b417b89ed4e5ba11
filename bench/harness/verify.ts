// After a timed run (never inside it): read the output topic from the beginning, read_committed, and compare
// the final value of every key with the expected table.
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

const IDLE_MS = 2_000;

export async function verifyOutput(
  kafka: Kafka,
  topic: string,
  expected: Map<string, unknown>,
  timeoutMs: number,
  exactlyOnce: boolean,
): Promise<{ ok: boolean; detail: string }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const endOf = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const remaining = new Set(ends.filter((p) => Number(p.high) > 0).map((p) => p.partition));
  // under exactly-once the last offset of a partition is the commit marker of its last transaction
  const lastRecord = (partition: number) => (endOf.get(partition) ?? 0) - (exactlyOnce ? 2 : 1);
  const table = new Map<string, unknown>();
  const consumer = kafka.consumer({ groupId: `bench-verify-${topic}-${Date.now()}`, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let lastMessageAt = Date.now();
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? '';
        if (m.value === null) table.delete(key);
        else table.set(key, JSON.parse(m.value.toString()));
      }
      lastMessageAt = Date.now();
      if (Number(batch.lastOffset()) >= lastRecord(batch.partition)) remaining.delete(batch.partition);
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (remaining.size > 0 && Date.now() < deadline && Date.now() - lastMessageAt < IDLE_MS * 5)
    await sleep(100);
  await consumer.disconnect();

  let wrong = 0;
  let example = '';
  for (const [key, want] of expected) {
    const got = table.get(key);
    if (!isDeepStrictEqual(got, want)) {
      wrong++;
      if (!example) example = `${key}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`;
    }
  }
  const extra = [...table.keys()].filter((k) => !expected.has(k)).length;
  if (wrong === 0 && extra === 0) return { ok: true, detail: `${expected.size} keys correct` };
  return {
    ok: false,
    detail: `${wrong} of ${expected.size} keys wrong or missing, ${extra} unexpected${example ? `; e.g. ${example}` : ''}`,
  };
}
