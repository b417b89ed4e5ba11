// A store's changelog checkpoint: every changelog record below `offset` is reflected in LevelDB.
// A checkpoint may lag behind the truth (replaying changelog upserts is idempotent) but must never
// run ahead of it, so only offsets the broker acknowledged are ever written here.

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface Checkpoint extends TopicPartition {
  /** The next changelog offset to restore from. */
  offset: number;
}

export function topicPartitionKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}

export function encodeCheckpoint(cp: Checkpoint): string {
  return JSON.stringify({ topic: cp.topic, partition: cp.partition, offset: cp.offset });
}

export function decodeCheckpoint(text: string): Checkpoint | undefined {
  try {
    const cp = JSON.parse(text) as Partial<Checkpoint>;
    if (typeof cp.topic !== 'string' || !Number.isInteger(cp.partition) || !Number.isInteger(cp.offset))
      return undefined;
    return { topic: cp.topic, partition: cp.partition!, offset: cp.offset! };
  } catch {
    return undefined;
  }
}
