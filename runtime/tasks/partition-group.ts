// A task's event-time-ordered intake (Kafka Streams' PartitionGroup) for the input topics of its
// windowed operators with more than one input (stream–stream joins, windowed aggregates over several
// topics). Records of those topics are queued per topic as fetched, and taken out lowest event time
// first, so a join sees its two sides interleaved by event time whatever order the fetches came in:
// a side read far ahead can no longer expire its partners' window before they are read. The event
// time is the one the operators use (the source's `time`, else the record timestamp), as Kafka
// Streams orders by its timestamp extractor's time: the record timestamps of a topic written before
// another say nothing of the events' times.
//
// A topic whose queue is empty holds the others back while records of it are on the broker: its
// last fetch ended below the high watermark. Without a bound, as Kafka Streams waits for data its
// consumer knows to be fetchable: under load the consumer may take longer than any fixed wait to
// deliver the next batch of a partition (it hands batches over one at a time), and a side let go
// early runs ahead of the other. A topic nothing was fetched of yet, and not listed yet (its lag is
// unknown: kafkajs reports no empty fetch), holds the others back at most `waitMs`, then they go on
// (enforced processing, as Kafka Streams does after `max.task.idle.ms`). A topic known to be caught up holds
// nothing back: its producers are not waited for.
//
// Owns the queues, what is known of each topic's lag, and the offsets to advance past once a queue
// is empty. Does no I/O and knows nothing of kafkajs: the consumer loop feeds it and processes
// what `next` returns (runtime/app/input-order.ts).
import type { InputRecord } from '../../projections/records.ts';
import type { RawRecord } from '../formats/index.ts';

/** A fetched record, its event time, and its decoded form (undefined: it failed to decode). */
export interface QueuedRecord {
  raw: RawRecord;
  time: number;
  decoded: InputRecord | undefined;
}

/** What a fetch of a topic's partition covered, and its high watermark then. */
export interface FetchMark {
  /** The batch's first offset (data or control record). */
  firstOffset: number;
  /** The offset after the batch's last (data or control) record. */
  nextOffset: number;
  highWatermark: number;
}

interface TopicQueue {
  records: QueuedRecord[];
  /** Index of the first record not yet taken (records are dropped in chunks, not shifted one by one). */
  head: number;
  /** Next offset not yet queued nor processed: records below it were seen already. */
  end: number | undefined;
  /**
   * What the last fetch said of the records on the broker: none beyond it (caught up), some
   * (behind: the empty queue waits for them), or nothing fetched yet (unknown: waits at most waitMs).
   */
  lag: 'unknown' | 'behind' | 'caughtUp';
  /** Since when the empty queue holds the others back (undefined: not waiting). */
  waitingSince: number | undefined;
  /** Offset the task's position moves to once the queue is empty (past control records). */
  advanceTo: number | undefined;
}

export class PartitionGroup {
  private readonly queues = new Map<string, TopicQueue>();

  constructor(
    topics: Iterable<string>,
    private readonly waitMs: number,
  ) {
    for (const topic of topics)
      this.queues.set(topic, {
        records: [],
        head: 0,
        end: undefined,
        lag: 'unknown',
        waitingSince: undefined,
        advanceTo: undefined,
      });
  }

  /** Whether this group orders `topic`'s records. */
  has(topic: string): boolean {
    return this.queues.has(topic);
  }

  /** Records queued over all topics. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.records.length - q.head;
    return n;
  }

  /** Records queued for one topic. */
  queued(topic: string): number {
    const q = this.queues.get(topic);
    return q ? q.records.length - q.head : 0;
  }

  /**
   * Queues a fetched batch of `topic` (records at or above `from`, the task's position; records
   * already queued are skipped) and notes the fetch's lag.
   */
  push(topic: string, records: readonly QueuedRecord[], from: number, mark: FetchMark): void {
    const q = this.queue(topic);
    let end = Math.max(q.end ?? from, from);
    for (const r of records) {
      if (r.raw.offset < end) continue;
      q.records.push(r);
      end = r.raw.offset + 1;
      q.end = end;
      q.waitingSince = undefined;
    }
    this.fetched(topic, mark, from);
  }

  /**
   * A fetch of `topic` that ended at `mark.nextOffset` (control records or aborted records after the
   * last data record, or a batch of only those): the task's position moves there once the queue
   * is empty, if the batch follows what was seen (`from`: the task's position).
   */
  fetched(topic: string, mark: FetchMark, from: number): void {
    const q = this.queue(topic);
    q.lag = mark.nextOffset >= mark.highWatermark ? 'caughtUp' : 'behind';
    const end = Math.max(q.end ?? from, from);
    if (mark.firstOffset <= end && mark.nextOffset > end) {
      q.end = mark.nextOffset;
      q.advanceTo = mark.nextOffset;
    }
  }

  /**
   * The end of `topic`'s partition as listed by the broker (`endOffset`), for a topic nothing was
   * fetched of yet: behind when the task's position (`from`) is below it, else caught up. A fetch
   * says more than a listing made before it, so one that came first wins.
   */
  listed(topic: string, from: number, endOffset: number): void {
    const q = this.queue(topic);
    if (q.lag === 'unknown') q.lag = from >= endOffset ? 'caughtUp' : 'behind';
  }

  /**
   * The next record to process, lowest event time first (ties: the topic listed first), or
   * undefined when the queues are empty or an empty queue holds the others back at `now`.
   */
  next(now: number): QueuedRecord | undefined {
    let best: TopicQueue | undefined;
    for (const q of this.queues.values())
      if (q.head < q.records.length && (!best || q.records[q.head]!.time < best.records[best.head]!.time))
        best = q;
    if (!best) return undefined;
    // Waiting clocks start only when an empty queue holds records of another one back.
    let held = false;
    for (const q of this.queues.values()) {
      if (q.head < q.records.length || q.lag === 'caughtUp') continue;
      if (q.lag === 'behind') return undefined;
      q.waitingSince ??= now;
      if (now - q.waitingSince < this.waitMs) held = true;
    }
    if (held) return undefined;
    const record = best.records[best.head++]!;
    if (best.head === best.records.length) {
      best.records = [];
      best.head = 0;
    } else if (best.head >= 4096) {
      best.records = best.records.slice(best.head);
      best.head = 0;
    }
    return record;
  }

  /**
   * Offsets the task's positions may move to now (queues emptied past control records), each
   * returned once.
   */
  takeAdvances(): Array<[topic: string, nextOffset: number]> {
    const out: Array<[string, number]> = [];
    for (const [topic, q] of this.queues)
      if (q.advanceTo !== undefined && q.head === q.records.length) {
        out.push([topic, q.advanceTo]);
        q.advanceTo = undefined;
      }
    return out;
  }

  /**
   * When the records held back may go on without the topics they wait for (ms since the epoch),
   * or undefined when nothing is held back or a topic behind holds them (no deadline then).
   */
  deadline(now: number): number | undefined {
    if (this.size === 0) return undefined;
    let at: number | undefined;
    for (const q of this.queues.values()) {
      if (q.head < q.records.length || q.lag === 'caughtUp') continue;
      // a topic behind holds without a deadline: its next batch drains the group
      if (q.lag === 'behind') return undefined;
      const due = (q.waitingSince ?? now) + this.waitMs;
      at = at === undefined ? due : Math.max(at, due);
    }
    return at;
  }

  /** Forgets everything queued (the task rolled back or closed: its records are read again). */
  clear(): void {
    for (const q of this.queues.values()) {
      q.records = [];
      q.head = 0;
      q.end = undefined;
      q.lag = 'unknown';
      q.waitingSince = undefined;
      q.advanceTo = undefined;
    }
  }

  private queue(topic: string): TopicQueue {
    const q = this.queues.get(topic);
    if (!q) throw new Error(`topic ${topic} is not ordered by this partition group`);
    return q;
  }
}
