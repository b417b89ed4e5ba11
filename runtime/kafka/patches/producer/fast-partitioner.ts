// kafkajs' DefaultPartitioner (Java-compatible murmur2) with two shortcuts that matter per record:
// a message with an explicit partition (every changelog record) returns it before kafkajs filters
// the partition metadata (an array allocated per message), and a string key is hashed by
// runtime/http/partitioner.ts (32-bit integer arithmetic over the key's bytes, no Buffer for an
// ASCII key) instead of kafkajs' murmur2, which copies the key into a Buffer and multiplies
// 64-bit Long objects. Both hash the key's UTF-8 bytes the same way, so the partition is the one
// kafkajs (and the Java client) would choose; test/unit/runtime/producer-patch.test.ts checks it.
// (It used to cache key → partition: with millions of distinct keys the cache only churned.)
import kafkajs, { type ICustomPartitioner } from 'kafkajs';
import { partitionOfKey } from '../../../http/partitioner.ts';

const { Partitioners } = kafkajs;

export const FastDefaultPartitioner: ICustomPartitioner = () => {
  const murmur = Partitioners.DefaultPartitioner();
  return (args) => {
    const { partitionMetadata, message } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (typeof message.key === 'string') return partitionOfKey(message.key, partitionMetadata.length);
    return murmur(args);
  };
};
