// The Kafka half of a commit: write each task's changelog and output/exchange records, wait for the
// acknowledgements, then store its consumed offsets in the group. Tasks call it through this
// interface so exactly-once can replace the at-least-once implementation with one transactional
// producer per task (records + sendOffsets + commit in one transaction) without touching the
// commit loop: the loop only needs the changelog offsets the broker acknowledged.
import type { Consumer, Message, Producer, TopicMessages as KafkaTopicMessages } from 'kafkajs';
import { acknowledgedOffsets, changelogMessages, type ProduceAck } from '../stores/index.ts';
import type { TopicPartition } from '../stores/checkpoint.ts';
import type { TaskCommit } from './task.ts';

export interface CommitOutcome {
  /** Next changelog offset per `topic:partition`, from the broker's acknowledgements. */
  changelogOffsets: Map<string, number>;
  /** Whether the group now has the task's offsets (at-least-once: may fail during a rebalance). */
  offsetsCommitted: boolean;
  offsetError?: unknown;
}

export interface CommitTransport {
  /**
   * Makes the commits durable in Kafka. Rejects when records could not be written: the caller
   * then rolls the tasks back and rewinds their input. Outcomes are in the order of `commits`.
   */
  commit(commits: TaskCommit[]): Promise<CommitOutcome[]>;
  close(): Promise<void>;
}

/** Bytes per produce call: kafkajs puts a partition's records of one call in one record batch,
 *  which must stay under the broker's message.max.bytes (1 MiB by default). */
const MAX_CALL_BYTES = 768 * 1024;

/**
 * At-least-once: one idempotent producer (acks=all) for every task, then one offset commit.
 * A crash after the records are written but before the offsets are committed replays those input
 * records: aggregates that are not idempotent (sum, count) may count them twice.
 */
export class AtLeastOnceTransport implements CommitTransport {
  constructor(
    private readonly producer: Producer,
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
  ) {}

  async commit(commits: TaskCommit[]): Promise<CommitOutcome[]> {
    const all: Array<{ topic: string; message: Message; size: number; changelog: boolean }> = [];
    for (const c of commits) {
      for (const t of changelogMessages(c.changelog)) {
        for (const m of t.messages) {
          all.push({ topic: t.topic, message: m, size: sizeOf(m), changelog: true });
        }
      }
      for (const t of c.records) {
        for (const m of t.messages) all.push({ topic: t.topic, message: m, size: sizeOf(m), changelog: false });
      }
    }
    const nextOffsets = new Map<string, number>();
    for (const chunk of chunks(all)) {
      const byTopic = new Map<string, Message[]>();
      const sent: TopicPartition[] = [];
      for (const r of chunk) {
        let list = byTopic.get(r.topic);
        if (!list) byTopic.set(r.topic, (list = []));
        list.push(r.message);
        if (r.changelog) sent.push({ topic: r.topic, partition: r.message.partition! });
      }
      const topicMessages: KafkaTopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      const acks = (await this.producer.sendBatch({ topicMessages, acks: -1 })) as ProduceAck[];
      // Chunks are sent one after another, so a later chunk's offsets are the higher ones.
      for (const [k, v] of acknowledgedOffsets(sent, acks)) nextOffsets.set(k, v);
    }
    const offsets = commits.flatMap((c) =>
      [...c.offsets].map(([topic, offset]) => ({ topic, partition: c.task, offset: String(offset) })),
    );
    let offsetsCommitted = true;
    let offsetError: unknown;
    if (offsets.length > 0) {
      try {
        await this.consumer.commitOffsets(offsets);
      } catch (err) {
        offsetsCommitted = false;
        offsetError = err;
      }
    }
    // A task's changelog partitions all carry its own partition number.
    return commits.map((c) => ({
      changelogOffsets: new Map([...nextOffsets].filter(([k]) => k.slice(k.lastIndexOf(':') + 1) === String(c.task))),
      offsetsCommitted,
      offsetError,
    }));
  }

  async close(): Promise<void> {
    // The producer and consumer belong to the application.
  }
}

function sizeOf(m: Message): number {
  const key = m.key === null || m.key === undefined ? 0 : Buffer.byteLength(m.key as string | Buffer);
  const value = m.value === null || m.value === undefined ? 0 : Buffer.byteLength(m.value as string | Buffer);
  return key + value + 70;
}

function* chunks<T extends { size: number }>(items: T[]): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (chunk.length > 0 && bytes + item.size > MAX_CALL_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += item.size;
  }
  if (chunk.length > 0) yield chunk;
}
