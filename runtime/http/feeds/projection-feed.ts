// One projection's change feed on this instance: a single tail of its output topic (all
// partitions, read_committed, no consumer group) whose fetches are broadcast to every live
// subscriber, so N clients cost one read of the topic, not N. Subscribers that are behind the tail
// (resuming, or just joined while it moved) read on their own through `catchUp` until they meet it.
//
// Owns the tail loop and the set of subscribers; must not write to clients (subscription.ts does).
import type { ChangelogEntry, ChangelogSource } from '../../kafka/restore/changelog-source.ts';
import type { Logger } from '../../log/logger.ts';
import type { Positions } from './positions.ts';

/** What one fetch of one partition covered: every committed record in [from, to). */
export interface FeedChunk {
  partition: number;
  from: number;
  to: number;
  records: ChangelogEntry[];
  /** Offsets in [from, to) were removed by compaction (see FetchedPartition.gap). */
  gap: boolean;
}

export interface FeedSubscriber {
  /** A chunk of the tail; the subscriber ignores what it has seen and catches up on what it has not. */
  onChunk(chunk: FeedChunk): void;
  /** The tail moved (the subscriber may be behind it now). */
  onTailMoved(): void;
}

export interface ProjectionFeedOptions {
  topic: string;
  partitions: number;
  /** Reads the tail (long-polling fetches). */
  tail: ChangelogSource;
  /** Reads for subscribers behind the tail and for snapshots. */
  catchUp: ChangelogSource;
  logger?: Logger;
}

export class ProjectionFeed {
  /** The tail's next offset per partition; valid once `ready` resolved. */
  readonly tailPositions: Positions = new Map();
  private readonly subscribers = new Set<FeedSubscriber>();
  private running: Promise<void> | null = null;
  private started: Promise<void> | null = null;
  private stopped = false;

  constructor(readonly options: ProjectionFeedOptions) {}

  get topic(): string {
    return this.options.topic;
  }

  get partitions(): number {
    return this.options.partitions;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Starts the tail at the end of the log (first subscriber) and resolves when it has positions. */
  async ready(): Promise<void> {
    if (this.started) return this.started;
    this.stopped = false;
    this.started = (async () => {
      // Through the tail's own reader: it learns the topic's leaders there.
      const { topic, partitions } = this.options;
      const all = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
      const ranges = await this.options.tail.offsets(all);
      for (let p = 0; p < partitions; p++) this.tailPositions.set(p, ranges.get(`${topic}:${p}`)!.end);
    })();
    try {
      await this.started;
    } catch (err) {
      this.started = null;
      throw err;
    }
    this.running = this.loop();
  }

  add(subscriber: FeedSubscriber): void {
    this.subscribers.add(subscriber);
  }

  remove(subscriber: FeedSubscriber): void {
    this.subscribers.delete(subscriber);
  }

  /** Earliest and end offset of every partition (end = last stable offset: read_committed). */
  async offsets(): Promise<Map<number, { earliest: number; end: number }>> {
    const { topic, partitions } = this.options;
    const ranges = await this.options.catchUp.offsets(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    );
    const out = new Map<number, { earliest: number; end: number }>();
    for (let p = 0; p < partitions; p++) {
      const r = ranges.get(`${topic}:${p}`);
      if (!r) throw new Error(`no offsets for ${topic} partition ${p}`);
      out.set(p, r);
    }
    return out;
  }

  /** Reads partitions from given offsets (one fetch) with the catch-up source. */
  async read(positions: Positions): Promise<FeedChunk[]> {
    return this.fetch(this.options.catchUp, positions);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.running = null;
    this.started = null;
  }

  private async fetch(source: ChangelogSource, positions: Positions): Promise<FeedChunk[]> {
    const topic = this.options.topic;
    const fetched = await source.fetch(
      [...positions].map(([partition, offset]) => ({ topic, partition, offset })),
    );
    return fetched.map((f) => ({
      partition: f.partition,
      from: positions.get(f.partition)!,
      to: f.nextOffset,
      records: f.records,
      gap: f.gap ?? false,
    }));
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const chunks = await this.fetch(this.options.tail, new Map(this.tailPositions));
        failures = 0;
        let moved = false;
        for (const c of chunks) {
          if (c.to <= c.from) continue;
          this.tailPositions.set(c.partition, c.to);
          moved = true;
          for (const s of this.subscribers) s.onChunk(c);
        }
        if (moved) for (const s of this.subscribers) s.onTailMoved();
      } catch (err) {
        failures++;
        this.options.logger?.warn(
          { topic: this.options.topic, err: err instanceof Error ? err.message : String(err) },
          'change feed: reading the output topic failed; retrying',
        );
        await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** failures)));
      }
    }
  }
}
