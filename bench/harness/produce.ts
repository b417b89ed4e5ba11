// Loads a scenario's input into Kafka once, fast: batched sends, several in flight, acks=1, no compression.
// The producer rate is measured and reported too (it bounds how fast the input could arrive live).
import { CompressionTypes, type Kafka } from 'kafkajs';
import type { Dataset, TopicInput } from './datasets.ts';

export const PRODUCER_SETTINGS = {
  acks: 1,
  compression: 'none',
  recordsPerSend: 2_000,
  sendsInFlight: 6,
  partitioner: 'kafkajs default (murmur2, Java-compatible)',
} as const;

export interface ProduceStats {
  records: number;
  bytes: number;
  ms: number;
}

export async function produceDataset(kafka: Kafka, dataset: Dataset): Promise<ProduceStats> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const start = performance.now();
  let records = 0;
  let bytes = 0;
  try {
    // Inputs in order: a join's table side must be complete before its other side (customers, then orders).
    for (const input of dataset.inputs) {
      const s = await produceTopic(producer, input);
      records += s.records;
      bytes += s.bytes;
    }
  } finally {
    await producer.disconnect();
  }
  return { records, bytes, ms: performance.now() - start };
}

async function produceTopic(
  producer: ReturnType<Kafka['producer']>,
  input: TopicInput,
): Promise<{ records: number; bytes: number }> {
  if (input.partitionOf) return produceInOrder(producer, input, input.partitionOf);
  let next = 0;
  let bytes = 0;
  const worker = async () => {
    while (next < input.count) {
      const from = next;
      const to = Math.min(input.count, from + PRODUCER_SETTINGS.recordsPerSend);
      next = to;
      const messages = [];
      for (let i = from; i < to; i++) {
        const r = input.record(i);
        bytes += r.key.length + r.value.length;
        messages.push({ key: r.key, value: r.value, timestamp: String(r.timestamp) });
      }
      await producer.send({
        topic: input.topic,
        messages,
        acks: PRODUCER_SETTINGS.acks,
        compression: CompressionTypes.None,
      });
    }
  };
  await Promise.all(Array.from({ length: PRODUCER_SETTINGS.sendsInFlight }, worker));
  return { records: input.count, bytes };
}

/** One sender per partition, each sending its partition's records in order (the last update per key wins). */
async function produceInOrder(
  producer: ReturnType<Kafka['producer']>,
  input: TopicInput,
  partitionOf: (i: number) => number,
): Promise<{ records: number; bytes: number }> {
  let bytes = 0;
  const partitions = new Set(Array.from({ length: input.count }, (_, i) => partitionOf(i)));
  const worker = async (partition: number) => {
    let messages: Array<{ key: string; value: string; timestamp: string; partition: number }> = [];
    const send = async () => {
      await producer.send({
        topic: input.topic,
        messages,
        acks: PRODUCER_SETTINGS.acks,
        compression: CompressionTypes.None,
      });
      messages = [];
    };
    for (let i = 0; i < input.count; i++) {
      if (partitionOf(i) !== partition) continue;
      const r = input.record(i);
      bytes += r.key.length + r.value.length;
      messages.push({ key: r.key, value: r.value, timestamp: String(r.timestamp), partition });
      if (messages.length === PRODUCER_SETTINGS.recordsPerSend) await send();
    }
    if (messages.length > 0) await send();
  };
  await Promise.all([...partitions].map(worker));
  return { records: input.count, bytes };
}
