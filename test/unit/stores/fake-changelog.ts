// An in-memory changelog that behaves like the Kafka source: offsets, chunks, compaction gaps.
import type {
  ChangelogEntry,
  ChangelogSource,
  FetchedPartition,
  OffsetRange,
} from '../../../runtime/kafka/restore/index.ts';
import type { ChangelogRecord, TopicPartition } from '../../../runtime/stores/index.ts';

interface Log {
  earliest: number;
  end: number;
  entries: ChangelogEntry[];
}

export class FakeChangelog implements ChangelogSource {
  readonly logs = new Map<string, Log>();
  fetches = 0;

  constructor(private readonly chunk = 1000) {}

  private log(tp: TopicPartition): Log {
    const k = `${tp.topic}:${tp.partition}`;
    let l = this.logs.get(k);
    if (!l) this.logs.set(k, (l = { earliest: 0, end: 0, entries: [] }));
    return l;
  }

  /** Appends like a producer; returns the next offsets per partition (the acknowledgement). */
  append(
    records: Array<Pick<ChangelogRecord, 'topic' | 'partition' | 'key' | 'value'>>,
  ): Map<string, number> {
    const next = new Map<string, number>();
    for (const r of records) {
      const l = this.log(r);
      l.entries.push({ offset: l.end++, key: r.key, value: r.value });
      next.set(`${r.topic}:${r.partition}`, l.end);
    }
    return next;
  }

  /** Keeps only the latest record per key (tombstones too), as log compaction does. */
  compact(tp: TopicPartition, dropTombstones = false): void {
    const l = this.log(tp);
    const latest = new Map<string, number>();
    for (const e of l.entries) latest.set(e.key!, e.offset);
    l.entries = l.entries.filter(
      (e) => latest.get(e.key!) === e.offset && !(dropTombstones && e.value === null),
    );
  }

  /** deleteRecords: the log now starts at `offset`. */
  deleteBefore(tp: TopicPartition, offset: number): void {
    const l = this.log(tp);
    l.earliest = offset;
    l.entries = l.entries.filter((e) => e.offset >= offset);
  }

  async offsets(partitions: TopicPartition[]): Promise<Map<string, OffsetRange>> {
    return new Map(
      partitions.map((tp) => [
        `${tp.topic}:${tp.partition}`,
        { earliest: this.log(tp).earliest, end: this.log(tp).end },
      ]),
    );
  }

  async fetch(positions: Array<TopicPartition & { offset: number }>): Promise<FetchedPartition[]> {
    this.fetches++;
    return positions.map((p) => {
      const records = this.log(p)
        .entries.filter((e) => e.offset >= p.offset)
        .slice(0, this.chunk);
      const last = records.at(-1);
      return {
        topic: p.topic,
        partition: p.partition,
        records,
        nextOffset: last ? last.offset + 1 : p.offset,
        endOfLog: !last,
      };
    });
  }

  async close(): Promise<void> {}
}
