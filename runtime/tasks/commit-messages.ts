// What one task commit sends to Kafka, flattened for the transports: changelog records, output
// and exchange records, dead letters; cut into produce calls of bounded size. Must not decide
// what a commit holds (task.ts, runtime/app/commit-coordinator.ts).
import type { Message, TopicMessages as KafkaTopicMessages } from 'kafkajs';
import { acknowledgedOffsets, type ProduceAck } from '../stores/index.ts';
import type { TopicPartition } from '../stores/checkpoint.ts';
import type { ChangelogTopicMessages } from '../stores/index.ts';
import type { TaskCommit } from './task.ts';

/**
 * How far ahead of the wall clock a record timestamp may be. Brokers reject records more than
 * message.timestamp.after.max.ms (1 h by default since Kafka 4.0) in the future, and a rejected
 * record fails its whole commit again after every rewind: an event time from a payload with a bad
 * clock must never wedge the pipeline, so such timestamps become the wall clock.
 */
export const MAX_FUTURE_TIMESTAMP_MS = 10 * 60 * 1000;

export function clampTimestamp(timestamp: string | undefined, now: number): string | undefined {
  if (timestamp === undefined) return undefined;
  const t = Number(timestamp);
  if (!Number.isFinite(t) || t < 0) return String(now);
  return t > now + MAX_FUTURE_TIMESTAMP_MS ? String(now) : timestamp;
}

export interface OutgoingMessage {
  topic: string;
  message: Message;
  size: number;
  changelog: boolean;
  /** Told the record's offset once the produce is acknowledged (records a task appends). */
  acked?: (offset: number) => void;
}

export function commitMessages(
  c: TaskCommit,
  changelog: ChangelogTopicMessages[],
  now: number,
): OutgoingMessage[] {
  const all: OutgoingMessage[] = [];
  const add = (topic: string, m: Message, isChangelog: boolean, acked?: (offset: number) => void) => {
    const message = { ...m, timestamp: clampTimestamp(m.timestamp, now) };
    all.push({ topic, message, size: sizeOf(message), changelog: isChangelog, acked });
  };
  for (const t of changelog) for (const m of t.messages) add(t.topic, m, true);
  for (const t of c.records) for (const m of t.messages) add(t.topic, m, false);
  for (const t of c.deadLetters) for (const m of t.messages) add(t.topic, m, false);
  for (const a of c.appends) add(a.topic, a.message, false, a.acked);
  return all;
}

/** Bytes per produce call: kafkajs puts a partition's records of one call in one record batch,
 *  which must stay under the broker's message.max.bytes (1 MiB by default). */
const MAX_CALL_BYTES = 768 * 1024;

export function sizeOf(m: Message): number {
  const key = m.key === null || m.key === undefined ? 0 : Buffer.byteLength(m.key);
  const value = m.value === null || m.value === undefined ? 0 : Buffer.byteLength(m.value);
  let headers = 0;
  if (m.headers)
    for (const k in m.headers) {
      const v = m.headers[k];
      headers += k.length + (typeof v === 'string' || Buffer.isBuffer(v) ? Buffer.byteLength(v) : 64);
    }
  return key + value + headers + 70;
}

export function* chunkMessages<T extends { size: number }>(items: T[]): Generator<T[]> {
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

/** A produce call: a plain producer's or a transaction's `sendBatch`. */
export type SendBatch = (batch: { topicMessages: KafkaTopicMessages[]; acks: -1 }) => Promise<unknown>;

/**
 * Sends a commit's records in bounded chunks, one call after another, and returns the next
 * changelog offset per `topic:partition` from the acknowledgements (a later chunk's offsets are
 * the higher ones, so they overwrite). Records with `acked` and an explicit partition are told
 * their offset: one call appends a partition's records in order from the acknowledged base offset.
 */
export async function sendInChunks(
  send: SendBatch,
  records: Array<{
    topic: string;
    message: Message;
    changelog?: boolean;
    size: number;
    acked?: (offset: number) => void;
  }>,
): Promise<Map<string, number>> {
  const nextOffsets = new Map<string, number>();
  for (const chunk of chunkMessages(records)) {
    const byTopic = new Map<string, Message[]>();
    const sent: TopicPartition[] = [];
    const tracked: Array<{ key: string; index: number; acked: (offset: number) => void }> = [];
    const counts = new Map<string, number>();
    // positions within a partition are counted only for a chunk that has records to tell
    const tracking = chunk.some((r) => r.acked !== undefined);
    for (const r of chunk) {
      let list = byTopic.get(r.topic);
      if (!list) byTopic.set(r.topic, (list = []));
      list.push(r.message);
      if (r.changelog) sent.push({ topic: r.topic, partition: r.message.partition! });
      if (tracking && r.message.partition !== undefined) {
        const key = `${r.topic}:${r.message.partition}`;
        const index = counts.get(key) ?? 0;
        counts.set(key, index + 1);
        if (r.acked) tracked.push({ key, index, acked: r.acked });
      }
    }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const acks = (await send({ topicMessages, acks: -1 })) as ProduceAck[];
    for (const [k, v] of acknowledgedOffsets(sent, acks)) nextOffsets.set(k, v);
    if (tracked.length > 0) {
      const base = new Map(acks.map((a) => [`${a.topicName}:${a.partition}`, Number(a.baseOffset ?? -1)]));
      for (const t of tracked) {
        const b = base.get(t.key);
        if (b !== undefined && b >= 0) t.acked(b + t.index);
      }
    }
  }
  return nextOffsets;
}
