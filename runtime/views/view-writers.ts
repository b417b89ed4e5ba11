// The partition writers of one view in this instance: one per output partition whose task this
// instance owns. Task p of the version's consumer group produces partition p of its output topic
// (every topic the runtime writes has the task count's partitions), so following the group's
// assignment gives each partition one writer across the instances. A rebalance starts the writers
// of the partitions gained (they resume from the position in the database) and stops those of the
// partitions lost. During the handover both instances may fetch for a moment; the conditional move
// of the position in the database still lets only one of them apply each batch.
import type pg from 'pg';
import type { ChangelogSource } from '../kafka/restore/changelog-source.ts';
import type { Logger } from '../log/logger.ts';
import { PartitionWriter, type PartitionWriterStatus, type ViewTableHandle } from './partition-writer.ts';

export interface ViewWritersOptions {
  /** The version id (logs). */
  id: string;
  topic: string;
  /** The output topic's partition count. */
  partitions: number;
  handle: ViewTableHandle;
  pool: pg.Pool;
  source: ChangelogSource;
  logger: Logger;
  onFatal: (err: Error) => void;
  onApplied?: (rows: number) => void;
}

export class ViewWriters {
  private readonly writers = new Map<number, PartitionWriter>();
  /** Writers told to stop whose loop may still be in a fetch or a query. */
  private readonly stopping = new Set<Promise<void>>();
  /** Batches this instance committed, per partition, since it started (which instance writes what). */
  readonly batches = new Map<number, number>();

  constructor(private readonly options: ViewWritersOptions) {}

  /** Starts and stops writers so that exactly the partitions of `owned` tasks have one. */
  follow(owned: Iterable<number>): void {
    const { id, partitions, logger } = this.options;
    const wanted = new Set([...owned].filter((p) => p >= 0 && p < partitions));
    const gained: number[] = [];
    const lost: number[] = [];
    for (const [partition, writer] of this.writers) {
      if (wanted.has(partition)) continue;
      this.writers.delete(partition);
      const stopped = writer.stop().finally(() => this.stopping.delete(stopped));
      this.stopping.add(stopped);
      lost.push(partition);
    }
    for (const partition of [...wanted].sort((a, b) => a - b)) {
      if (this.writers.has(partition)) continue;
      const writer = this.writer(partition);
      this.writers.set(partition, writer);
      writer.start();
      gained.push(partition);
    }
    if (gained.length > 0 || lost.length > 0)
      logger.info(
        `view of ${id}: writing partitions [${[...this.writers.keys()].sort((a, b) => a - b).join(', ')}]${gained.length > 0 ? `, started [${gained.join(', ')}]` : ''}${lost.length > 0 ? `, stopped [${lost.join(', ')}] (their tasks moved)` : ''}`,
      );
  }

  status(): PartitionWriterStatus[] {
    return [...this.writers.values()].map((w) => ({ ...w.status })).sort((a, b) => a.partition - b.partition);
  }

  /** Stops every writer; resolves when their loops ended. */
  async stop(): Promise<void> {
    const all = [...this.writers.values()].map((w) => w.stop());
    this.writers.clear();
    await Promise.all([...all, ...this.stopping]);
  }

  private writer(partition: number): PartitionWriter {
    const { handle, topic, pool, source, logger, onFatal, onApplied } = this.options;
    return new PartitionWriter({
      view: handle,
      topic,
      partition,
      pool,
      source,
      logger,
      onFatal,
      onApplied: (rows) => {
        this.batches.set(partition, (this.batches.get(partition) ?? 0) + 1);
        onApplied?.(rows);
      },
    });
  }
}
