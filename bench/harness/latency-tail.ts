// (e)'s measuring end: a consumer on the output topic that records, for every output record stamped at or
// after the timed start, receive time − record timestamp. Both contenders stamp an aggregate's record with
// the newest input event time that contributed (Kafka Streams by design, streamfold likewise), and the input
// is stamped when sent, so that difference is the end-to-end latency of the newest event behind the record.
import type { Kafka } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Tail {
  /** Latencies (ms) of the records stamped at or after `since`, in arrival order. */
  latencies: number[];
  /** Only records stamped at or after this (ms since epoch) are measured. */
  measureFrom(since: number): void;
  /** Waits until every partition was read up to `ends` (partition → end offset) or `timeoutMs` passed. */
  caughtUp(ends: Map<number, number>, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startTail(kafka: Kafka, topic: string): Promise<Tail> {
  // maxWaitTimeInMs only bounds an empty fetch: the broker answers as soon as a record is there (minBytes 1)
  const consumer = kafka.consumer({ groupId: `bench-tail-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const read = new Map<number, number>();
  const latencies: number[] = [];
  let since = Number.POSITIVE_INFINITY;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const t = Number(m.timestamp);
        if (t >= since) latencies.push(now - t);
      }
      read.set(batch.partition, Number(batch.lastOffset()) + 1);
    },
  });
  await joined;
  return {
    latencies,
    measureFrom: (t) => void (since = t),
    async caughtUp(ends, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const behind = () => [...ends].some(([p, end]) => end > 0 && (read.get(p) ?? 0) < end);
      while (behind() && Date.now() < deadline) await sleep(50);
      return !behind();
    },
    stop: () => consumer.disconnect(),
  };
}
