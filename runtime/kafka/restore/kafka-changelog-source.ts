// Reads changelog partitions from given offsets with no consumer group at all.
//
// kafkajs 2 has no `consumer.assign()` (kafkajs#373) and cannot heartbeat outside eachBatch
// (kafkajs#387), so a group consumer that restores for minutes either loses its membership or
// drags a rebalance along. A throwaway group with a custom assigner and seek() would work but
// pays a group join (and the broker's initial rebalance delay) per restore and leaves groups
// behind. Instead this source speaks ListOffsets and Fetch to the partition leaders through the
// kafkajs cluster object, the same path the kafkajs consumer uses internally: no membership, no
// heartbeats, exact start and end offsets. It reads read_committed, so aborted transactional
// changelog writes (exactly-once) are never restored.
//
// Fetch requests go out through kafkajs (its request encoder, connection and SASL/TLS), but the
// response is decoded by fetch-response.ts, straight into records, which is most of a restore's
// speed. The cluster is kafkajs' private `createCluster`; kafkajs is pinned (2.2.4, unmaintained),
// and the internals used here (that factory, the broker's send and the Fetch v11 request builder)
// are checked at connect.
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { type TopicPartition, topicPartitionKey } from '../../stores/checkpoint.ts';
import { DEFAULT_RESTORE_BATCH_BYTES } from '../../stores/task-stores.ts';
import type { ChangelogSource, FetchedPartition, OffsetRange } from './changelog-source.ts';
import { type DecodedPartition, type Decompress, decodeFetchResponse } from './fetch-response.ts';

const require = createRequire(import.meta.url);
const READ_COMMITTED = 1;
/** Errors after which fresh metadata (a new leader) lets the fetch succeed. */
const RETRIABLE = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'REPLICA_NOT_AVAILABLE',
  'OFFSET_NOT_AVAILABLE',
]);

interface ProtocolRequest {
  request: { apiVersion: number };
  response: { decode(raw: Buffer): Promise<unknown>; parse(data: unknown): Promise<unknown> };
  requestTimeout: number;
}
interface Broker {
  lookupRequest(apiKey: number, definitions: unknown): (args: object) => ProtocolRequest;
}
/** The kafkajs internals a restore reads through. */
interface Internals {
  fetchApiKey: number;
  fetchRequests: unknown;
  /** kafkajs' Fetch error check: throws the first partition error as a typed kafkajs error. */
  parseFetch: (data: unknown) => Promise<unknown>;
  decompress: Decompress;
  send: symbol;
}
interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<Broker>;
  fetchTopicsOffset(
    topics: Array<{ topic: string; partitions: Array<{ partition: number }>; fromBeginning: boolean }>,
  ): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

export interface KafkaChangelogSourceOptions {
  /** Bytes per partition per fetch (default DEFAULT_RESTORE_BATCH_BYTES): the size of one restore batch. */
  maxBytesPerPartition?: number;
  /** Bytes per fetch response (default 32 MiB). */
  maxBytes?: number;
  /** How long the broker may wait for data (default 100 ms: the data is already there). */
  maxWaitMs?: number;
}

export class KafkaChangelogSource implements ChangelogSource {
  private constructor(
    private readonly cluster: Cluster,
    private readonly internals: Internals,
    private readonly options: Required<KafkaChangelogSourceOptions>,
  ) {}

  static async connect(
    kafka: Kafka,
    options: KafkaChangelogSourceOptions = {},
  ): Promise<KafkaChangelogSource> {
    const factory = Object.getOwnPropertySymbols(kafka).find(
      (s) => s.description === 'private:Kafka:createCluster',
    );
    const create = factory ? (kafka as unknown as Record<symbol, unknown>)[factory] : undefined;
    if (typeof create !== 'function')
      throw new Error('this kafkajs version has no cluster factory; restore needs kafkajs 2.2.x');
    const internals = (lookedUp ??= kafkajsInternals());
    const cluster = (create as (o: object) => Cluster)({
      metadataMaxAge: 300_000,
      allowAutoTopicCreation: false,
      isolationLevel: READ_COMMITTED,
    });
    await cluster.connect();
    return new KafkaChangelogSource(cluster, internals, {
      maxBytesPerPartition: options.maxBytesPerPartition ?? DEFAULT_RESTORE_BATCH_BYTES,
      maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
      maxWaitMs: options.maxWaitMs ?? 100,
    });
  }

  async offsets(partitions: TopicPartition[]): Promise<Map<string, OffsetRange>> {
    const byTopic = groupByTopic(partitions);
    try {
      await this.cluster.addMultipleTargetTopics([...byTopic.keys()]);
    } catch (err) {
      if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
      throw new Error(
        `a changelog topic does not exist (one of ${[...byTopic.keys()].join(', ')}); create internal topics before restoring`,
        { cause: err },
      );
    }
    const request = (fromBeginning: boolean) =>
      [...byTopic].map(([topic, ps]) => ({
        topic,
        partitions: ps.map((partition) => ({ partition })),
        fromBeginning,
      }));
    const [earliest, latest] = await this.withMetadataRetry(() =>
      Promise.all([
        this.cluster.fetchTopicsOffset(request(true)),
        this.cluster.fetchTopicsOffset(request(false)),
      ]),
    );
    const result = new Map<string, OffsetRange>();
    for (const t of earliest) {
      for (const p of t.partitions)
        result.set(topicPartitionKey({ topic: t.topic, partition: p.partition }), {
          earliest: Number(p.offset),
          end: 0,
        });
    }
    for (const t of latest) {
      for (const p of t.partitions) {
        const r = result.get(topicPartitionKey({ topic: t.topic, partition: p.partition }));
        if (r) r.end = Number(p.offset);
      }
    }
    return result;
  }

  async fetch(positions: Array<TopicPartition & { offset: number }>): Promise<FetchedPartition[]> {
    return this.withMetadataRetry(async () => {
      // One Fetch request per leader broker, all in parallel.
      const perBroker = new Map<
        string,
        Map<string, Array<{ partition: number; fetchOffset: string; maxBytes: number }>>
      >();
      for (const [topic, ps] of groupByTopic(positions)) {
        const leaders = this.cluster.findLeaderForPartitions(topic, ps);
        for (const [nodeId, leaderPartitions] of Object.entries(leaders)) {
          let topics = perBroker.get(nodeId);
          if (!topics) perBroker.set(nodeId, (topics = new Map()));
          topics.set(
            topic,
            leaderPartitions.map((partition) => ({
              partition,
              fetchOffset: String(
                positions.find((p) => p.topic === topic && p.partition === partition)!.offset,
              ),
              maxBytes: this.options.maxBytesPerPartition,
            })),
          );
        }
      }
      const answers = await Promise.all(
        [...perBroker].map(async ([nodeId, topics]) => {
          const broker = await this.cluster.findBroker({ nodeId });
          const build = broker.lookupRequest(this.internals.fetchApiKey, this.internals.fetchRequests);
          const protocol = build({
            replicaId: -1,
            isolationLevel: READ_COMMITTED,
            maxWaitTime: this.options.maxWaitMs,
            minBytes: 1,
            maxBytes: this.options.maxBytes,
            topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
            rackId: '',
          });
          if (protocol.request.apiVersion !== 11)
            throw new Error(
              `restore reads with Fetch v11 (Kafka 2.3 or later); broker ${nodeId} offers v${protocol.request.apiVersion}`,
            );
          const requested = (topic: string, partition: number) =>
            Number(topics.get(topic)?.find((x) => x.partition === partition)?.fetchOffset ?? 0);
          const send = (broker as unknown as Record<symbol, (r: ProtocolRequest) => Promise<unknown>>)[
            this.internals.send
          ]!;
          const { responses } = (await send.call(broker, {
            ...protocol,
            response: {
              decode: (raw: Buffer) => decodeFetchResponse(raw, requested, this.internals.decompress),
              parse: this.internals.parseFetch,
            },
          })) as Awaited<ReturnType<typeof decodeFetchResponse>>;
          const anyData = responses.some((r) => r.partitions.some((p) => p.hadBatches));
          return responses.flatMap(({ topicName, partitions }) =>
            partitions.map((p) => toFetched(topicName, p, requested(topicName, p.partition), anyData)),
          );
        }),
      );
      return answers.flat();
    });
  }

  async close(): Promise<void> {
    await this.cluster.disconnect();
  }

  private async withMetadataRetry<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const type = (err as { type?: string }).type;
        const name = (err as { name?: string }).name;
        const retriable =
          (type !== undefined && RETRIABLE.has(type)) ||
          name === 'KafkaJSBrokerNotFound' ||
          name === 'KafkaJSConnectionError';
        if (!retriable || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        await this.cluster.refreshMetadata().catch(() => undefined);
      }
    }
  }
}

function toFetched(
  topic: string,
  p: DecodedPartition,
  requested: number,
  anyData: boolean,
): FetchedPartition {
  // An empty answer in a response that carried no data for any partition means the broker had
  // nothing readable at or after the offset; in a response with data it may just be full.
  // Records and gap stay lazy (fetch-response.ts): a restore only visits the records.
  return {
    topic,
    partition: p.partition,
    get records() {
      return p.records;
    },
    nextOffset: Math.max(requested, p.nextOffset),
    endOfLog: !p.hadBatches && !anyData,
    get gap() {
      return p.gap;
    },
    eachRawRecord: (visit) => p.eachRawRecord(visit),
  };
}

/** The kafkajs internals, looked up by the first connect (every restore of every task connects). */
let lookedUp: Internals | undefined;

/** The kafkajs internals used here; a clear error when kafkajs changed. */
function kafkajsInternals(): Internals {
  try {
    const broker = require('kafkajs/src/broker/index.js') as { prototype: object };
    const send = Object.getOwnPropertySymbols(broker.prototype).find(
      (s) => s.description === 'private:Broker:sendRequest',
    );
    const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as { Fetch: number };
    const fetchRequests = require('kafkajs/src/protocol/requests/fetch/index.js') as { protocol?: unknown };
    const { parse } = require('kafkajs/src/protocol/requests/fetch/v0/response.js') as { parse?: unknown };
    const { lookupCodecByAttributes } = require('kafkajs/src/protocol/message/compression/index.js') as {
      lookupCodecByAttributes?: (attributes: number) => { decompress(b: Buffer): Promise<Buffer> } | null;
    };
    if (!send || typeof apiKeys.Fetch !== 'number' || typeof fetchRequests.protocol !== 'function')
      throw new Error('missing broker send or Fetch request');
    if (typeof parse !== 'function' || typeof lookupCodecByAttributes !== 'function')
      throw new Error('missing Fetch response check or compression codecs');
    return {
      send,
      fetchApiKey: apiKeys.Fetch,
      fetchRequests,
      parseFetch: parse as Internals['parseFetch'],
      decompress: async (codec, data) => {
        const c = lookupCodecByAttributes(codec);
        if (!c)
          throw new Error(
            `changelog batch with compression codec ${codec}, which has no codec registered in kafkajs`,
          );
        return c.decompress(data);
      },
    };
  } catch (err) {
    throw new Error(`kafkajs internals changed; restore needs kafkajs 2.2.x (${(err as Error).message})`);
  }
}

function groupByTopic(partitions: TopicPartition[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = m.get(topic) ?? [];
    list.push(partition);
    m.set(topic, list);
  }
  return m;
}
