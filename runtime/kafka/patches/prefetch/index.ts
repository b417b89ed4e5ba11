// kafkajs 2.2.4 fetches, then processes, then fetches again: its fetcher awaits every batch of a
// fetch response before it sends the next fetch (consumer/fetcher.js), so the consumer waits a whole
// broker round trip per fetch with nothing to do. On a 2-core machine shared with the broker that
// wait was 12% of scenario (f)'s run (idle runs of 1–50 ms in a CPU profile). The Java consumer
// sends its next fetch while the application works on the records of the last one.
//
// This patch does the same for the consumer groups that ask for it (`prefetchFor(groupId)`): when
// ConsumerGroup.fetch hands batches to the fetcher, it sends the next fetch at once, each partition
// from the offset after its batch's last record (the others from where they are). The next fetch
// call uses that response for a partition still assigned and not paused whose position is, by then,
// within what was fetched: from the offset fetched from up to the last record fetched (a position
// may have moved past trailing transaction markers). A fetch response holds the log contiguously
// from the offset asked for, so the batch built from the position (kafkajs' Batch drops records
// before it) holds the records kafkajs' own fetch would have read from there, up to where the
// prefetch stopped. With a seek pending (a rewind), or when no partition of the response is usable,
// kafkajs' fetch runs as before. A failed prefetch is dropped: kafkajs' fetch, run next, meets the
// error again and handles it.
//
// ConsumerGroup is kafkajs' private class (kafkajs is pinned at 2.2.4); what is used of it is
// checked below, and test/unit/runtime/prefetch-patch.test.ts fails when it changes.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface TopicPartitions {
  topic: string;
  partitions: number[];
}
interface PartitionRequest {
  partition: number;
  fetchOffset: string;
  maxBytes: number;
}
interface FetchRequest {
  topic: string;
  partitions: PartitionRequest[];
}
interface PartitionData {
  partition: number;
  messages: Array<{ offset: string }>;
  [field: string]: unknown;
}
interface FetchResponse {
  topicName: string;
  partitions: PartitionData[];
}
/** kafkajs' Batch (the parts used here). */
interface Batch {
  topic: string;
  partition: number;
  /** The records handed to eachBatch: no control records, no aborted ones. */
  messages: Array<{ offset: string }>;
}
type BatchClass = new (topic: string, fetchedOffset: string, data: PartitionData) => Batch;

interface ConsumerGroupInternals {
  groupId: string;
  maxBytesPerPartition: number;
  maxWaitTime: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  rackId?: string;
  cluster: {
    refreshMetadataIfNecessary(): Promise<void>;
    findBroker(args: { nodeId: number }): Promise<{
      fetch(args: Record<string, unknown>): Promise<{ responses: FetchResponse[] }>;
    }>;
  };
  subscriptionState: { assigned(): TopicPartitions[] };
  offsetManager: {
    committedOffsets(): Record<string, Record<number, string | null | undefined>>;
    nextOffset(topic: string, partition: number): { toString(): string };
  };
  seekOffset: Map<string, unknown>;
  checkForStaleAssignment(): void;
  filterPartitionsByNode(nodeId: number, tps: TopicPartitions[]): TopicPartitions[];
  getActiveTopicPartitions(): Record<string, Set<number>>;
  fetch: (this: ConsumerGroupInternals, nodeId: number) => Promise<Batch[]>;
  [PREFETCHES]?: Map<number, Promise<Prefetched | null>>;
}

interface Prefetched {
  requests: FetchRequest[];
  responses: FetchResponse[];
}

const PREFETCHES = Symbol('streamfold prefetches');

const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
  prototype: ConsumerGroupInternals & { __streamfoldPrefetch?: true };
};
const Batch = require('kafkajs/src/consumer/batch.js') as BatchClass;

const used = [
  'fetch',
  'checkForStaleAssignment',
  'filterPartitionsByNode',
  'getActiveTopicPartitions',
] as const;
for (const name of used)
  if (typeof ConsumerGroup.prototype[name] !== 'function')
    throw new Error(
      `kafkajs internals changed: ConsumerGroup.${name} is missing (see runtime/kafka/patches/prefetch)`,
    );

/** Group ids whose consumers prefetch (the runtime's processing consumer). */
const prefetching = new Set<string>();

/** The consumers of this group id send their next fetch while the last one is processed. */
export function prefetchFor(groupId: string): void {
  prefetching.add(groupId);
}

/** Counts, for tests and diagnostics: prefetches used (at least one partition) and dropped. */
export const prefetchStats = { used: 0, dropped: 0 };

if (!ConsumerGroup.prototype.__streamfoldPrefetch) {
  const fetch = ConsumerGroup.prototype.fetch;
  ConsumerGroup.prototype.fetch = async function (this: ConsumerGroupInternals, nodeId: number) {
    if (!prefetching.has(this.groupId)) return fetch.call(this, nodeId);
    const prefetches = (this[PREFETCHES] ??= new Map());
    const pending = prefetches.get(nodeId);
    prefetches.delete(nodeId);
    let batches = pending ? usable(this, await pending) : null;
    if (batches) prefetchStats.used++;
    else {
      if (pending) prefetchStats.dropped++;
      batches = await fetch.call(this, nodeId);
    }
    prefetches.set(nodeId, prefetch(this, nodeId, batches));
    return batches;
  };
  ConsumerGroup.prototype.__streamfoldPrefetch = true;
}

/**
 * Where each partition will be at least once its batch is processed: after its last record
 * (the consumer loop resolves each record it processed; past trailing markers, only sometimes).
 */
function plannedOffsets(batches: Batch[]): Map<string, string> {
  const planned = new Map<string, string>();
  for (const b of batches) {
    const last = b.messages[b.messages.length - 1];
    if (last) planned.set(`${b.topic}|${b.partition}`, (BigInt(last.offset) + 1n).toString());
  }
  return planned;
}

/** kafkajs' fetch request (consumerGroup.js, fetch), from the planned offsets; null when it fails. */
async function prefetch(
  group: ConsumerGroupInternals,
  nodeId: number,
  batches: Batch[],
): Promise<Prefetched | null> {
  try {
    const planned = plannedOffsets(batches);
    await group.cluster.refreshMetadataIfNecessary();
    group.checkForStaleAssignment();
    const topicPartitions = group.filterPartitionsByNode(nodeId, group.subscriptionState.assigned());
    const committed = group.offsetManager.committedOffsets();
    const active = group.getActiveTopicPartitions();
    const requests = topicPartitions
      .map(({ topic, partitions }) => ({
        topic,
        partitions: partitions
          .filter((p) => committed[topic]?.[p] != null && active[topic]?.has(p))
          .map((partition) => ({
            partition,
            fetchOffset:
              planned.get(`${topic}|${partition}`) ??
              group.offsetManager.nextOffset(topic, partition).toString(),
            maxBytes: group.maxBytesPerPartition,
          })),
      }))
      .filter(({ partitions }) => partitions.length > 0);
    if (requests.length === 0) return null;
    const broker = await group.cluster.findBroker({ nodeId });
    const { responses } = await broker.fetch({
      maxWaitTime: group.maxWaitTime,
      minBytes: group.minBytes,
      maxBytes: group.maxBytes,
      isolationLevel: group.isolationLevel,
      topics: requests,
      rackId: group.rackId,
    });
    return { requests, responses };
  } catch {
    return null;
  }
}

/**
 * The prefetched batches of the partitions assigned and active whose position is within what was
 * fetched for them, each from its position; null when there is none (or a seek is pending:
 * kafkajs' fetch applies it).
 */
function usable(group: ConsumerGroupInternals, fetched: Prefetched | null): Batch[] | null {
  if (!fetched || group.seekOffset.size > 0) return null;
  try {
    const active = group.getActiveTopicPartitions();
    const assigned = new Set(
      group.subscriptionState
        .assigned()
        .flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}|${p}`)),
    );
    const batches: Batch[] = [];
    for (const { topicName, partitions } of fetched.responses) {
      const request = fetched.requests.find(({ topic }) => topic === topicName);
      for (const data of partitions) {
        const from = request?.partitions.find(({ partition }) => partition === data.partition)?.fetchOffset;
        if (from === undefined || !assigned.has(`${topicName}|${data.partition}`)) continue;
        if (!active[topicName]?.has(data.partition)) continue;
        const position = group.offsetManager.nextOffset(topicName, data.partition).toString();
        if (!covers(from, data.messages, position)) continue;
        batches.push(new Batch(topicName, position, data));
      }
    }
    return batches.length > 0 ? batches : null;
  } catch {
    return null;
  }
}

/** Whether a response fetched from `from` holds the log from `position` on (as a fetch from there would). */
export function covers(from: string, messages: ReadonlyArray<{ offset: string }>, position: string): boolean {
  if (position === from) return true;
  const at = BigInt(position);
  if (at < BigInt(from)) return false;
  const last = messages[messages.length - 1];
  return last !== undefined && BigInt(last.offset) >= at;
}
