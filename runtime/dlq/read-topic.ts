// Reads a topic from the beginning up to its end offsets as of the call, then stops: what the dlq
// commands need. A throwaway consumer group with auto-commit off, so reading leaves no offsets behind.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  message: KafkaMessage;
}

export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  timeoutMs = 30_000,
): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return [];
  const out: ReadMessage[] = [];
  const reached = new Map<number, number>();
  const consumer = kafka.consumer({
    groupId: `streamfold-dlq-reader-${randomBytes(6).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const caughtUp = () => [...ends].every(([p, end]) => (reached.get(p) ?? -1) + 1 >= end);
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const offset = Number(message.offset);
          if (offset < (ends.get(batch.partition) ?? 0))
            out.push({ topic, partition: batch.partition, offset, message });
        }
        // lastOffset() counts control records too (transactional producers)
        reached.set(
          batch.partition,
          Math.max(reached.get(batch.partition) ?? -1, Number(batch.lastOffset())),
        );
        if (caughtUp()) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`reading ${topic} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
