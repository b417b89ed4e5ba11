// Shared helpers for tests that need a real broker. The broker is started once per test run by
// scripts/test.mjs, which exports KAFKA_BROKERS; every test uses its own uniquely named topics.
// Before any fetch: kafkajs alone stalls on batches emptied by compaction (see there).
import { COMPACTION_GAP } from '../../runtime/kafka/patches/fetch/index.ts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Kafka, logLevel, type IHeaders, type Message, type Producer } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function brokers(): string[] {
  const raw = process.env.KAFKA_BROKERS;
  if (!raw) throw new Error('KAFKA_BROKERS is not set: run integration tests through `npm test` (or set it)');
  return raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

// kafkajs logs retriable errors (coordinator not yet available, rebalancing) at ERROR; tests assert outcomes, so
// its log stays off unless STREAMFOLD_TEST_KAFKAJS_LOG=error|warn|info|debug asks for it.
const clientLogLevel =
  { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG }[
    process.env.STREAMFOLD_TEST_KAFKAJS_LOG ?? ''
  ] ?? logLevel.NOTHING;

/**
 * Bench smoke tests: the processes the bench measures run on the Node that runs the tests (CI: the
 * container's 24), not on one the bench would download first (bench/harness/node.ts).
 */
export function benchOnThisNode(): void {
  process.env.BENCH_NODE ??= process.execPath;
}

export function kafka(clientId = 'streamfold-test'): Kafka {
  return new Kafka({ clientId, brokers: brokers(), logLevel: clientLogLevel });
}

/** The schema registry scripts/test.mjs started (or the one SCHEMA_REGISTRY_URL names). */
export function registryUrl(): string {
  const url = process.env.SCHEMA_REGISTRY_URL;
  if (!url) throw new Error('SCHEMA_REGISTRY_URL is not set: run through `npm test`');
  return url;
}

/** A temporary directory for the calling test file: made now, removed after its tests. */
export function testDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `streamfold-it-${name}-`));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A topic (or group / transactional id) name no other test or run uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface TopicOptions {
  partitions?: number;
  configs?: Record<string, string | number>;
}

export async function createTopic(name: string, opts: TopicOptions = {}): Promise<void> {
  await createTopics([name], opts, { mustBeNew: true });
}

/**
 * Creates the topics and waits until every partition has a leader and answers. A loaded broker may
 * answer the wait for leaders with a retriable error although the topics were created: creating
 * again is a no-op for those that exist.
 */
export async function createTopics(
  names: string[],
  opts: TopicOptions = {},
  { mustBeNew = false } = {},
): Promise<void> {
  const admin = kafka('streamfold-test-admin').admin();
  await admin.connect();
  try {
    const topics = names.map((topic) => ({
      topic,
      numPartitions: opts.partitions ?? 1,
      replicationFactor: 1,
      configEntries: Object.entries(opts.configs ?? {}).map(([n, v]) => ({ name: n, value: String(v) })),
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        const created = await admin.createTopics({ waitForLeaders: true, topics });
        if (!created && mustBeNew && attempt === 1)
          throw new Error(`topic ${names.join(', ')} already exists`);
        break;
      } catch (err) {
        if ((err as { retriable?: boolean }).retriable !== true || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
    for (const topic of names) {
      for (let attempt = 1; ; attempt++) {
        try {
          await admin.fetchTopicOffsets(topic);
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = kafka('streamfold-test-producer').producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  /** The key as sent (binary keys do not survive the UTF-8 decoding of `key`). */
  keyBytes: Buffer | null;
  value: string | null;
  timestamp: number;
  headers: IHeaders | undefined;
}

export interface ReadOptions {
  /** Skip records of open and aborted transactions (default true). */
  readCommitted?: boolean;
  timeoutMs?: number;
}

/**
 * Every record of `topic` up to its end offsets as of the call, read with a fresh consumer (its own group,
 * from the beginning). Ordered by partition, then offset.
 */
export async function readToEnd(topic: string, opts: ReadOptions = {}): Promise<ReadRecord[]> {
  const readCommitted = opts.readCommitted ?? true;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const client = kafka('streamfold-test-reader');

  const admin = client.admin();
  await admin.connect();
  const ends = new Map<number, number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high));
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return [];

  const records: ReadRecord[] = [];
  // Highest offset seen per partition, control records and aborted records included (batch.lastOffset()),
  // since those occupy offsets too: a partition is read when that reaches its end offset.
  const reached = new Map<number, number>();
  const consumer = client.consumer({
    groupId: uniqueTopic('streamfold-test-reader'),
    readUncommitted: !readCommitted,
    allowAutoTopicCreation: false,
    // disconnect() waits for the in-flight long poll: keep it short
    maxWaitTimeInMs: 100,
  });
  let lastActivity = Date.now();
  let fetched = false;
  consumer.on(consumer.events.FETCH, () => {
    if (!fetched) lastActivity = Date.now();
    fetched = true;
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    lastActivity = Date.now();
    reached.set(
      payload.partition,
      Math.max(reached.get(payload.partition) ?? -1, Number(payload.lastOffset)),
    );
  });
  const caughtUp = () => [...ends].every(([p, end]) => (reached.get(p) ?? -1) + 1 >= end);

  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: Number(message.offset),
          key: message.key?.toString() ?? null,
          keyBytes: message.key ?? null,
          value: message.value?.toString() ?? null,
          timestamp: Number(message.timestamp),
          headers: message.headers,
        });
      },
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (caughtUp()) break;
      // A trailing tombstone or transaction removed by compaction leaves no batch at the very end: accept
      // a quiet consumer that has fetched for a while.
      if (fetched && Date.now() - lastActivity > 3_000) break;
      if (Date.now() > deadline)
        throw new Error(`readToEnd(${topic}) timed out: reached ${[...reached]}, ends ${[...ends]}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** A transactional producer (unique transactional id from `name`), connected. */
export async function transactionalProducer(client: Kafka, name: string): Promise<Producer> {
  const producer = client.producer({
    transactionalId: uniqueTopic(name),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  return producer;
}

/**
 * Lays down, at the start of an empty partition of a compacted topic, what a crash in the middle of
 * a transaction leaves there once the log cleaner has run: the records of an aborted transaction,
 * carrying event times from a month ago, end the first segment (the abort marker's wall-clock time
 * rolls it, segment.ms being measured on record timestamps); the cleaner removes them and keeps the
 * batch header without records. Waits until the cleaner has done so (the broker the tests start
 * cleans every 500 ms).
 */
export async function abortedAndCompactedAway(topic: string, partition: number, records = 5): Promise<void> {
  const client = kafka('streamfold-test-aborted');
  const producer = await transactionalProducer(client, 'aborted');
  try {
    const timestamp = String(Date.now() - 30 * 24 * 3600 * 1000);
    const tx = await producer.transaction();
    await tx.send({
      topic,
      messages: Array.from({ length: records }, (_, i) => ({
        key: `aborted-${i}`,
        value: '{}',
        partition,
        timestamp,
      })),
    });
    await tx.abort();
  } finally {
    await producer.disconnect();
  }
  // kafkajs' private cluster (as the changelog reader uses it): a raw fetch shows the batch header.
  const factory = Object.getOwnPropertySymbols(client).find(
    (s) => s.description === 'private:Kafka:createCluster',
  )!;
  const cluster = (client as unknown as Record<symbol, (o: object) => RawCluster>)[factory]!({
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
  });
  await cluster.connect();
  try {
    await cluster.addMultipleTargetTopics([topic]);
    const nodeId = Object.keys(cluster.findLeaderForPartitions(topic, [partition]))[0]!;
    const broker = await cluster.findBroker({ nodeId });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { responses } = await broker.fetch({
        isolationLevel: 0,
        maxWaitTime: 100,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        topics: [{ topic, partitions: [{ partition, fetchOffset: '0', maxBytes: 1024 * 1024 }] }],
      });
      const messages = responses[0]!.partitions[0]!.messages;
      // A batch without records: kafkajs alone decodes nothing, the fetch patch its placeholders.
      if (messages.every((m) => m[COMPACTION_GAP] === true)) return;
      if (Date.now() > deadline)
        throw new Error(`the log cleaner did not empty ${topic}-${partition} in time`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await cluster.disconnect();
  }
}

interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<{
    fetch(req: object): Promise<{
      responses: Array<{ partitions: Array<{ messages: Array<Record<string, unknown>> }> }>;
    }>;
  }>;
}

/** Polls `fn` every 100 ms until it returns a value (errors count as not yet); throws after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
