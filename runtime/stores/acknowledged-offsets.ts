// Turns a producer's acknowledgement into checkpoint offsets for completeCommit().
// kafkajs' send()/sendBatch() answer once per topic-partition with the base offset of the records
// that one call appended there; the records of that partition then occupy baseOffset..+count-1.
import { type TopicPartition, topicPartitionKey } from './checkpoint.ts';

/** The part of a kafkajs RecordMetadata that matters here. */
export interface ProduceAck {
  topicName: string;
  partition: number;
  baseOffset?: string;
  errorCode: number;
}

/**
 * Next changelog offset per `topic:partition`, for the records sent in ONE send call. A partition
 * without a usable acknowledgement is left out: its store keeps the older checkpoint, which is safe.
 */
export function acknowledgedOffsets(sent: TopicPartition[], acks: ProduceAck[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of sent) {
    const k = topicPartitionKey(r);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const next = new Map<string, number>();
  for (const a of acks) {
    const k = topicPartitionKey({ topic: a.topicName, partition: a.partition });
    const n = counts.get(k);
    if (n === undefined || a.errorCode !== 0 || a.baseOffset === undefined || Number(a.baseOffset) < 0)
      continue;
    next.set(k, Number(a.baseOffset) + n);
  }
  return next;
}
