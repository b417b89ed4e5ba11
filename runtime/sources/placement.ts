// Is a source record on the partition its entity key belongs to? Every task owns partition p of
// every topic, and queries, output topics and exchanges find key k in partition
// toPositive(murmur2(encodeKey(k))) % n (Kafka's default partitioner, runtime/http/partitioner.ts).
// A record elsewhere would build a second, partial row for k in another task: it is misrouted.
//
// Hot path: a producer that keyed the record with the entity key itself was partitioned by those
// very bytes with the default partitioner, so equal key text means correctly placed and nothing is
// hashed. murmur2 runs only for records without a message key or with a different one.
import { partitionOfKey } from '../http/partitioner.ts';

/** Where a record is, and where its key says it should be. */
export interface Misplacement {
  partition: number;
  expected: number;
}

/**
 * undefined when the record sits where `encodedKey` belongs, else where it should have been.
 * `messageKey` is the record's message key as text (null when it has none); `partitions` the source
 * topic's partition count (0 or 1: nothing to check).
 */
export function misplacement(
  encodedKey: string,
  messageKey: string | null,
  partition: number,
  partitions: number,
): Misplacement | undefined {
  if (partitions <= 1 || messageKey === encodedKey) return undefined;
  const expected = partitionOfKey(encodedKey, partitions);
  return expected === partition ? undefined : { partition, expected };
}

/** The dead letter's reason: names both partitions and what to do about it. */
export function misplacementMessage(source: string, encodedKey: string, m: Misplacement): string {
  return (
    `misrouted: key ${JSON.stringify(encodedKey)} belongs to partition ${m.expected} ` +
    `(murmur2 of the key, as Kafka's default partitioner), but the record was read from partition ` +
    `${m.partition}; produce source ${source}'s records with the entity key as message key, ` +
    `or set sources.${source}.partitioning: repartition`
  );
}
