// Every projection's change feed on this instance: which projections have one (those with an
// output topic), one ProjectionFeed per projection started by its first subscriber, the Kafka
// readers they share, the limit on concurrent catch-up reads, and the open streams (ended with
// reason shutting_down on close).
//
// Why the output topic, read_committed, and not a fan-in from the owners: the output topic holds
// every committed row change of every partition in commit order, with offsets that stay valid across
// rebalances and restarts. Any instance can serve the whole feed alone, resume positions are plain
// offsets, and no owner has to keep changes in memory for clients it does not know.
import type { Kafka } from 'kafkajs';
import type { ChangelogSource } from '../../kafka/restore/changelog-source.ts';
import { KafkaChangelogSource } from '../../kafka/restore/kafka-changelog-source.ts';
import type { Logger } from '../../log/logger.ts';
import { ProjectionFeed } from './projection-feed.ts';
import type { Subscription } from './subscription.ts';

export interface FeedsOptions {
  kafka: Kafka;
  /** Projection (id, as routed) → its output topic; undefined: no such projection or no topic. */
  topicOf: (projection: string) => string | null | undefined;
  /** Partition count of a topic. */
  partitionsOf: (topic: string) => Promise<number>;
  /** Unsent bytes per client above which it reads behind the tail at its own pace (default 1 MiB). */
  maxBufferedBytes?: number;
  /** A client whose socket takes nothing for this long while events wait is cut off (default 30 s). */
  stallMs?: number;
  /** Catch-up and snapshot reads in flight at once over all clients (default 4). */
  maxConcurrentReads?: number;
  logger?: Logger;
}

export class Feeds {
  readonly maxBufferedBytes: number;
  readonly stallMs: number;
  private readonly feeds = new Map<string, Promise<ProjectionFeed>>();
  private readonly open = new Set<Subscription>();
  private sources: Promise<{ tail: ChangelogSource; catchUp: ChangelogSource }> | null = null;
  private reads = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly options: FeedsOptions) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.stallMs = options.stallMs ?? 30_000;
  }

  topicOf(projection: string): string | null | undefined {
    return this.options.topicOf(projection);
  }

  /** The projection's feed, its tail started (call after topicOf said it has a topic). */
  async feed(projection: string, topic: string): Promise<ProjectionFeed> {
    let feed = this.feeds.get(topic);
    if (!feed) {
      feed = (async () => {
        const { tail, catchUp } = await this.connect();
        const f = new ProjectionFeed({
          topic,
          partitions: await this.options.partitionsOf(topic),
          tail,
          catchUp,
          logger: this.options.logger,
        });
        await f.ready();
        return f;
      })();
      this.feeds.set(topic, feed);
      feed.catch(() => this.feeds.delete(topic));
    }
    return feed;
  }

  track(s: Subscription): void {
    this.open.add(s);
  }

  untrack(s: Subscription): void {
    this.open.delete(s);
  }

  get openStreams(): number {
    return this.open.size;
  }

  /** Runs fn when fewer than maxConcurrentReads reads are in flight. */
  readonly limit = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (this.reads >= (this.options.maxConcurrentReads ?? 4))
      await new Promise<void>((r) => this.waiting.push(r));
    this.reads++;
    try {
      return await fn();
    } finally {
      this.reads--;
      this.waiting.shift()?.();
    }
  };

  /** Ends every stream (shutting_down) and stops the tails. */
  async close(): Promise<void> {
    for (const s of [...this.open]) s.end('shutting_down');
    const feeds = await Promise.allSettled(this.feeds.values());
    for (const f of feeds) if (f.status === 'fulfilled') await f.value.stop();
    this.feeds.clear();
    const sources = await this.sources?.catch(() => null);
    await sources?.tail.close().catch(() => undefined);
    await sources?.catchUp.close().catch(() => undefined);
    this.sources = null;
  }

  private connect(): Promise<{ tail: ChangelogSource; catchUp: ChangelogSource }> {
    this.sources ??= (async () => {
      const kafka = this.options.kafka;
      // The tail long-polls (the broker answers as soon as a commit lands); catch-up reads are small
      // so that one read's events fit a client's buffer.
      const tail = await KafkaChangelogSource.connect(kafka, {
        maxWaitMs: 500,
        maxBytesPerPartition: 1 << 20,
      });
      const catchUp = await KafkaChangelogSource.connect(kafka, {
        maxWaitMs: 0,
        maxBytesPerPartition: 256 << 10,
      });
      return { tail, catchUp };
    })();
    this.sources.catch(() => (this.sources = null));
    return this.sources;
  }
}
