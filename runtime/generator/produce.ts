// Produces the shop simulation to Kafka: creates the source topics when missing, then sends the
// events in batches, paced to a rate (event timestamps follow the wall clock) or as fast as the
// broker takes them.
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs, { type Kafka, type logCreator, type Message } from 'kafkajs';
import { createTopicsAwaitingLeaders } from '../kafka/admin/index.ts';
import type { Logger } from '../log/logger.ts';
import { type GeneratedEvent, type ShopTopics, ShopSimulator, DEFAULT_TOPICS } from './shop.ts';

const { Kafka: KafkaClient, logLevel, Partitioners } = kafkajs;

export interface ProduceShopOptions {
  brokers: string[];
  seed: string | number;
  /** Events to produce; undefined: until `signal` aborts (needs a rate). */
  count?: number;
  /** Events per second; 0: as fast as possible (then `count` is required). Default 50. */
  rate?: number;
  /** Partitions of topics this call creates; default 3. Existing topics are left as they are. */
  partitions?: number;
  topics?: Partial<ShopTopics>;
  /** Live entities per kind the simulation hovers around; default 200. */
  population?: number;
  logger?: Logger;
  signal?: AbortSignal;
  /** Called after every batch sent: progress for the CLI and tests. */
  onBatch?: (produced: number) => void;
}

export interface ProduceShopResult {
  produced: number;
  byTopic: Record<string, number>;
  createdTopics: string[];
}

const MAX_BATCH = 500;
// Paced mode: how long to sleep at most before checking the clock and the signal again.
const MAX_IDLE_MS = 200;

function kafkaLog(logger: Logger | undefined): logCreator {
  return () =>
    ({ level, log }) => {
      if (!logger || level > logLevel.WARN) return;
      const { message, ...extra } = log;
      logger.warn({ kafkajs: extra.logger ?? true, error: extra.error }, `kafkajs: ${message}`);
    };
}

/** Creates the topics that do not exist yet; returns the ones it created. */
export async function ensureSourceTopics(
  kafka: Kafka,
  topics: string[],
  partitions: number,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length === 0) return [];
    // Someone else creating one of them at the same moment is fine: kafkajs ignores TOPIC_ALREADY_EXISTS.
    await createTopicsAwaitingLeaders(
      admin,
      missing.map((topic) => ({ topic, numPartitions: partitions })),
    );
    return missing;
  } finally {
    await admin.disconnect();
  }
}

function toMessages(events: GeneratedEvent[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  for (const e of events) {
    let list = byTopic.get(e.topic);
    if (!list) byTopic.set(e.topic, (list = []));
    list.push({ key: e.key, value: JSON.stringify(e.value), timestamp: String(e.timestamp) });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export async function produceShopEvents(options: ProduceShopOptions): Promise<ProduceShopResult> {
  const rate = options.rate ?? 50;
  const count = options.count ?? Number.POSITIVE_INFINITY;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new Error(`rate must be a number >= 0, got ${rate}`);
  if (rate === 0 && !Number.isFinite(count)) throw new Error('rate 0 (as fast as possible) needs a count');
  const topics = { ...DEFAULT_TOPICS, ...options.topics };
  // Paced: event time tracks the wall clock. Unpaced: 1 ms apart, ending about now, because brokers
  // reject timestamps too far in the future (log.message.timestamp.after.max.ms).
  const now = Date.now();
  const sim = new ShopSimulator(options.seed, {
    topics,
    population: options.population,
    ...(rate > 0 ? { startTime: now, meanGapMs: 1000 / rate } : { startTime: now - count, meanGapMs: 1 }),
  });

  const kafka = new KafkaClient({
    clientId: 'streamfold-generator',
    brokers: options.brokers,
    logCreator: kafkaLog(options.logger),
  });
  const createdTopics = await ensureSourceTopics(kafka, Object.values(topics), options.partitions ?? 3);
  if (createdTopics.length > 0) options.logger?.info({ topics: createdTopics }, 'created source topics');

  // The default partitioner is Java's murmur2: the same key lands where a Java producer would put it.
  const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const byTopic: Record<string, number> = {};
  let produced = 0;
  let pending: GeneratedEvent | undefined;
  try {
    while (produced < count && !options.signal?.aborted) {
      const batch: GeneratedEvent[] = [];
      const wall = Date.now();
      while (batch.length < MAX_BATCH && produced + batch.length < count) {
        const event = pending ?? sim.next();
        pending = undefined;
        if (rate > 0 && event.timestamp > wall) {
          pending = event;
          break;
        }
        batch.push(event);
      }
      if (batch.length > 0) {
        await producer.sendBatch({ topicMessages: toMessages(batch) });
        produced += batch.length;
        for (const e of batch) byTopic[e.topic] = (byTopic[e.topic] ?? 0) + 1;
        options.onBatch?.(produced);
      }
      if (pending) {
        const wait = Math.min(MAX_IDLE_MS, Math.max(1, pending.timestamp - Date.now()));
        await sleep(wait, undefined, { signal: options.signal }).catch(() => undefined);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return { produced, byTopic, createdTopics };
}
