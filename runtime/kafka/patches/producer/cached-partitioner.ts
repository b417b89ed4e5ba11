// kafkajs' DefaultPartitioner (Java-compatible murmur2) with two shortcuts that matter per record:
// a message with an explicit partition (every changelog record) returns it before kafkajs filters
// the partition metadata (an array allocated per message), and a string key's partition is
// remembered per topic and partition count, since group keys repeat (20k customers, 1M events).
// The partition of a keyed message depends only on its key and the partition count, so a cached
// answer is the answer kafkajs would give.
import kafkajs, { type ICustomPartitioner } from 'kafkajs';

const { Partitioners } = kafkajs;

/** Keys remembered per topic; past that the topic's cache starts over (bounded memory). */
const KEYS_PER_TOPIC = 100_000;

export const CachedDefaultPartitioner: ICustomPartitioner = () => {
  const murmur = Partitioners.DefaultPartitioner();
  const byTopic = new Map<string, { count: number; keys: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (typeof key !== 'string') return murmur(args);
    let cache = byTopic.get(topic);
    if (!cache || cache.count !== partitionMetadata.length) {
      cache = { count: partitionMetadata.length, keys: new Map() };
      byTopic.set(topic, cache);
    }
    let partition = cache.keys.get(key);
    if (partition === undefined) {
      partition = murmur(args);
      if (cache.keys.size >= KEYS_PER_TOPIC) cache.keys.clear();
      cache.keys.set(key, partition);
    }
    return partition;
  };
};
