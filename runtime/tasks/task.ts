// A Task owns partition p of every input topic (sources, projection topics, exchange topics) and
// runs every sub-topology on it, with one TaskStores (LevelDB + write cache) holding all its state.
// Kafka Streams makes one task per (sub-topology, partition); one task per partition number keeps
// one database, one commit unit and one future transactional producer per partition, at the cost of
// moving all sub-topologies of a partition together on a rebalance.
//
// The task itself does no I/O on Kafka: it processes records into its write cache and output
// buffer (at-least-once: exchange records to the record sender, which sends them as produced), and
// splits a commit into prepare (what to write) and complete (after Kafka acknowledged).
// It must not decide when to commit nor seek the consumer (runtime/app/commit-coordinator.ts).
import type { InputRecord } from '../../projections/records.ts';
import type { LateRecord, ProcessorContext } from '../../projections/operators/types.ts';
import type { SubTopology } from '../../projections/graph/topology.ts';
import type { WindowType } from '../../projections/windows/spec.ts';
import type { ChangelogRecord, PreparedCommit, TaskStores } from '../stores/index.ts';
import type { EncodedMessage, PoisonHandler, RawRecord } from '../formats/index.ts';
import type { DeadLetterMessage } from '../dlq/index.ts';
import type { DeadLetteredAppendRecorder } from '../sources/dead-lettered-appends.ts';
import type { CommitTrace } from '../metrics/command-trace.ts';
import { encodeExchangeRecord } from '../formats/index.ts';
import { decodeErrorKind, processErrorKind } from './record-errors.ts';
import type { RecordSender } from './lingering-sender.ts';
import { OutputBuffer, type TopicMessages } from './output-buffer.ts';
import type { TopicRoute } from './routing.ts';

export type TaskState = 'restoring' | 'running' | 'closed';

/** A projection as the task sees it: where its records go, and what happens to its late records. */
export interface TaskProjection {
  topic: string | null;
  kind: 'stream' | 'table';
  /** Its window or windowed join dead-letters late records (`late: deadLetter`). */
  lateToDeadLetter?: boolean;
  /** Windowed aggregates: their keys are { key, window }. */
  windowed?: boolean;
  /** Windowed aggregates with `output.windowedKey: binary`: their window type (the key layout). */
  binaryWindowedKey?: WindowType;
}

export interface TaskOptions {
  id: number;
  stores: TaskStores;
  routes: ReadonlyMap<string, TopicRoute>;
  projections: ReadonlyMap<string, TaskProjection>;
  onPoison: PoisonHandler;
  /** Records this task applied when it appended them (command events; runtime/commands/). */
  appliedAtAppend?: AppliedAtAppend;
  /** Told of each poisoned record, with the task's stores (first-writer-wins fates). */
  onDeadLetteredAppend?: DeadLetteredAppendRecorder;
  /**
   * At-least-once: exchange records go out through it as they are produced, not with the commit
   * (runtime/tasks/lingering-sender.ts). Without it (exactly-once) they wait in the output buffer
   * for the task's transaction.
   */
  sender?: RecordSender;
}

/**
 * A record the task already applied when it appended it (a command's event, read back from the
 * topic) carries a mark in the task's state: it is skipped once, its position still advances. The
 * mark is deleted in the commit that stores an offset past the record, not when it is read: a
 * restart from the group's older offsets reads it again and must skip it again.
 */
export interface AppliedAtAppend {
  /** The record's mark if the task's state holds one, else undefined. */
  markOf(stores: TaskStores, raw: RawRecord): string | undefined;
  /** Deletes marks (into the write cache of the commit that moves the offsets past them). */
  forget(stores: TaskStores, marks: Iterable<string>): void;
}

/** A record a task appends itself (a command's event), with where Kafka put it once committed. */
export interface AppendedRecord {
  topic: string;
  message: EncodedMessage & { partition: number };
  /** Called with the record's offset when the produce is acknowledged (it counts once committed). */
  acked: (offset: number) => void;
}

/** What one commit of one task writes: changelog records, projection/exchange records, offsets. */
export interface TaskCommit {
  task: number;
  changelog: ChangelogRecord[];
  records: TopicMessages[];
  /** Next offset to consume per input topic of this task's partition, where it moved since the last commit. */
  offsets: Map<string, number>;
  /**
   * Acknowledgement of the exchange records sent as produced before this commit was prepared: the
   * commit's offsets may be stored only after it resolves (it rejects if a produce failed).
   */
  sent?: Promise<void>;
  /** Dead letters of the records this commit covers (the application fills them in). */
  deadLetters: Array<{ topic: string; messages: DeadLetterMessage[] }>;
  /** Records the task appends to input topics (command events; the command sink fills them in). */
  appends: AppendedRecord[];
  prepared: PreparedCommit;
  /** Step times, when commands are traced (runtime/metrics/command-trace.ts). */
  trace?: CommitTrace;
}

export interface TaskCounters {
  processed: number;
  /** processed records per input topic */
  byTopic: Map<string, number>;
  poison: number;
  /** Output records (upserts and tombstones) per projection, re-emits after a rollback included. */
  emitted: Map<string, number>;
  /** Records a window or windowed join dropped as late, per projection. */
  late: Map<string, number>;
  /** Records sent per topic (exchanges, first-writer-wins rejections), re-sends after a rollback included. */
  sent: Map<string, number>;
}

export class Task {
  readonly id: number;
  readonly stores: TaskStores;
  state: TaskState = 'restoring';
  /** Next offset to process per input topic (this task's partition). */
  readonly positions = new Map<string, number>();
  /** Positions covered by the last completed commit (state in LevelDB includes everything below). */
  readonly committed = new Map<string, number>();
  /** The group's committed offsets lag `committed` (an offset commit failed, e.g. during a rebalance). */
  offsetsBehind = false;
  readonly counters: TaskCounters = {
    processed: 0,
    byTopic: new Map(),
    poison: 0,
    emitted: new Map(),
    late: new Map(),
    sent: new Map(),
  };
  /** Restore progress while restoring (records applied, upper bound of records to apply). */
  restoreProgress: { restored: number; total: number } | undefined;

  private readonly buffer: OutputBuffer;
  private readonly ctx: ProcessorContext;
  private inFlight: TaskCommit | null = null;
  /** Marks of the records skipped as applied at append since the last commit that stored offsets. */
  private readonly readBack = new Set<string>();
  /** A record other than those was consumed since the last commit that stored offsets. */
  private consumedSinceOffsets = false;
  /** When the last commit that stored offsets was prepared (performance.now()). */
  private offsetsStoredAt = 0;
  /** Acknowledgements of the exchange records sent as produced since the last prepared commit. */
  private readonly sends = new Set<Promise<void>>();
  private sentSinceCommit = 0;
  /** Every sub-topology this task runs, once (for the commit-time punctuation). */
  private readonly subs: ReadonlySet<SubTopology>;
  /** The record being processed (the origin of a late record's dead letter). */
  private current: RawRecord | undefined;

  constructor(private readonly options: TaskOptions) {
    this.id = options.id;
    this.stores = options.stores;
    this.buffer = new OutputBuffer(options.projections);
    this.ctx = {
      stores: options.stores,
      emit: (record, encodedKey) => {
        this.buffer.emit(record, encodedKey);
        this.counters.emitted.set(record.projection, (this.counters.emitted.get(record.projection) ?? 0) + 1);
      },
      send: (topic, key, value) => {
        const sender = options.sender;
        if (sender) {
          this.sends.add(sender.send(topic, encodeExchangeRecord(key, value, Date.now())));
          this.sentSinceCommit++;
        } else this.buffer.send(topic, key, value);
        this.counters.sent.set(topic, (this.counters.sent.get(topic) ?? 0) + 1);
      },
      late: (record) => this.late(record),
    };
    this.subs = new Set([...options.routes.values()].flatMap((route) => route.subs));
  }

  /** For status pages: the restore's progress while the task restores. */
  restore(): { restored: number; total: number } | undefined {
    return this.state === 'restoring' ? this.restoreProgress : undefined;
  }

  /** Sets where processing starts (the group's committed offsets), before the task runs. */
  startAt(offsets: ReadonlyMap<string, number>): void {
    for (const [topic, offset] of offsets) {
      this.positions.set(topic, offset);
      this.committed.set(topic, offset);
    }
  }

  /**
   * Processes one record. Records that cannot be decoded or fail their checks, and expression and
   * upcast errors, go to the poison handler (the dead letters) and are skipped; any other error is
   * a bug or an I/O failure and propagates. `decoded`: the record decoded already (the partition
   * group decodes what it queues, to read its event time).
   */
  process(raw: RawRecord, decoded?: InputRecord): void {
    this.positions.set(raw.topic, raw.offset + 1);
    if (!this.options.routes.has(raw.topic)) return;
    const mark = this.options.appliedAtAppend?.markOf(this.stores, raw);
    if (mark !== undefined && !this.readBack.has(mark)) this.readBack.add(mark);
    else {
      this.consumedSinceOffsets = true;
      // An undecodable record is not counted as processed (it went to the poison handler).
      if (!this.apply(raw, decoded)) return;
    }
    this.counters.processed++;
    this.counters.byTopic.set(raw.topic, (this.counters.byTopic.get(raw.topic) ?? 0) + 1);
  }

  /**
   * Applies a record the task appends itself, before it is in the topic (a command's event): the
   * state includes it at once, so the next command decides on it. Positions do not move; when the
   * record is read back, `appliedAtAppend` skips it.
   */
  applyAppended(raw: RawRecord): void {
    this.apply(raw);
  }

  /** Decodes and processes a record; false when it could not be decoded. */
  private apply(raw: RawRecord, decoded?: InputRecord): boolean {
    const route = this.options.routes.get(raw.topic);
    if (!route) return false;
    let record;
    try {
      record = decoded ?? route.decoder.decode(raw);
    } catch (err) {
      const kind = decodeErrorKind(err);
      if (kind === undefined) throw err;
      this.poison(raw, 'decode', kind, (err as Error).message);
      return false;
    }
    this.current = raw;
    for (const sub of route.subs) {
      try {
        sub.process(record, this.ctx);
      } catch (err) {
        const kind = processErrorKind(err);
        if (kind === undefined) throw err;
        // Other sub-topologies still see the record; this one skips it.
        this.poison(raw, 'process', kind, `${sub.projection}: ${(err as Error).message}`, sub.projection);
      }
    }
    this.current = undefined;
    return true;
  }

  /** Moves the position past records that carried no data (control records, filtered batches). */
  advance(topic: string, nextOffset: number): void {
    if (nextOffset > (this.positions.get(topic) ?? 0)) this.positions.set(topic, nextOffset);
  }

  /** Uncommitted rows plus buffered (or sent, not yet committed) records: the trigger for an early commit. */
  get pendingSize(): number {
    return this.stores.dirtyCount + this.buffer.size + this.sentSinceCommit;
  }

  /** Anything to commit: changed state, buffered records, or offsets the group does not have yet. */
  get needsCommit(): boolean {
    if (this.offsetsBehind || this.pendingSize > 0) return true;
    for (const [topic, offset] of this.positions) if (this.committed.get(topic) !== offset) return true;
    return false;
  }

  /**
   * What the next commit writes. `deferOffsetsMs`: when only records the task appended itself were
   * read since the last commit that stored offsets, and that was less than this long ago, this
   * commit stores no offsets (its transaction skips AddOffsetsToTxn and TxnOffsetCommit); the
   * skipped records changed nothing, so re-reading them after a restart skips them again.
   */
  prepareCommit(deferOffsetsMs = 0): TaskCommit {
    if (this.inFlight) throw new Error(`task ${this.id}: a commit is already in flight`);
    this.punctuate();
    const deferOffsets = this.mayDeferOffsets(deferOffsetsMs);
    if (!deferOffsets) {
      this.options.appliedAtAppend?.forget(this.stores, this.readBack);
      this.readBack.clear();
      this.consumedSinceOffsets = false;
      this.offsetsStoredAt = performance.now();
    }
    const prepared = this.stores.prepareCommit();
    const commit: TaskCommit = {
      task: this.id,
      changelog: prepared.records,
      records: this.buffer.drain(),
      offsets: deferOffsets ? new Map() : this.movedPositions(),
      sent: this.takeSends(),
      deadLetters: [],
      appends: [],
      prepared,
    };
    this.inFlight = commit;
    return commit;
  }

  /** Only records the task appended itself were read since it last stored offsets, under `ms` ago. */
  mayDeferOffsets(ms: number): boolean {
    return !this.consumedSinceOffsets && !this.offsetsBehind && performance.now() - this.offsetsStoredAt < ms;
  }

  /** Something to commit now, when offsets past its own events may wait `deferOffsetsMs`. */
  needsCommitNow(deferOffsetsMs: number): boolean {
    return this.pendingSize > 0 || (this.needsCommit && !this.mayDeferOffsets(deferOffsetsMs));
  }

  /**
   * The positions a commit must store in the group: those that moved since the last commit (all of
   * them while an offset commit is behind). A commit whose positions did not move stores none,
   * which saves an exactly-once transaction two round trips (AddOffsetsToTxn, TxnOffsetCommit).
   */
  private movedPositions(): Map<string, number> {
    if (this.offsetsBehind) return new Map(this.positions);
    return new Map([...this.positions].filter(([topic, offset]) => this.committed.get(topic) !== offset));
  }

  /** Kafka has the records; `changelogOffsets` are the acknowledged next offsets per changelog partition. */
  async completeCommit(
    commit: TaskCommit,
    changelogOffsets: ReadonlyMap<string, number>,
    offsetsCommitted: boolean,
  ): Promise<void> {
    if (this.inFlight !== commit) throw new Error(`task ${this.id}: completeCommit without prepareCommit`);
    await this.stores.completeCommit(commit.prepared, changelogOffsets);
    for (const [topic, offset] of commit.offsets) this.committed.set(topic, offset);
    this.offsetsBehind = !offsetsCommitted;
    this.inFlight = null;
  }

  /**
   * Forgets everything since the last completed commit: state, buffered records and positions.
   * The caller rewinds the consumer to `committed`, so the records are processed again.
   */
  rollback(): void {
    this.stores.rollback();
    this.buffer.clear();
    this.forgetSends();
    this.inFlight = null;
    // The marks deleted since are back; the records are read again and skipped again.
    this.readBack.clear();
    this.consumedSinceOffsets = false;
    this.positions.clear();
    for (const [topic, offset] of this.committed) this.positions.set(topic, offset);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.buffer.clear();
    this.forgetSends();
    await this.stores.close();
  }

  /** The acknowledgement of every record sent since the last commit, after sending those still lingering. */
  private takeSends(): Promise<void> | undefined {
    if (this.sends.size === 0) return undefined;
    this.options.sender?.flush();
    const all = Promise.all(this.sends).then(() => undefined);
    // Awaited by the transport; a commit rolled back before it sends never awaits it.
    all.catch(() => undefined);
    this.forgetSends();
    return all;
  }

  /** Records sent since the last commit are processed again after a rollback (and sent again). */
  private forgetSends(): void {
    this.sends.clear();
    this.sentSinceCommit = 0;
  }

  /**
   * Emits what became due by stream time without a new record (emit: final windows, held unmatched
   * join records): the operators check after every record too, so this is idempotent. At commit, so
   * its rows and state changes are part of the commit.
   */
  private punctuate(): void {
    for (const sub of this.subs) sub.punctuate?.(this.ctx);
  }

  /** A record a window dropped: counted, and dead-lettered (kind `late`) if its projection asks. */
  private late(record: LateRecord): void {
    this.counters.late.set(record.projection, (this.counters.late.get(record.projection) ?? 0) + 1);
    const raw = this.current;
    if (!raw || !this.options.projections.get(record.projection)?.lateToDeadLetter) return;
    const window = record.window ? ` window [${record.window.start}, ${record.window.end})` : '';
    const message = `${record.projection}: late record at ${record.timestamp}${window}, stream time ${record.streamTime}`;
    try {
      this.options.onPoison({
        raw,
        stage: 'process',
        kind: 'late',
        message,
        task: this.id,
        projection: record.projection,
      });
    } catch {
      // as for poison records: a failing handler must not stop processing
    }
  }

  private poison(
    raw: RawRecord,
    stage: 'decode' | 'process',
    kind: string,
    message: string,
    projection?: string,
  ): void {
    this.counters.poison++;
    this.options.onDeadLetteredAppend?.(this.stores, raw, kind, projection);
    try {
      this.options.onPoison({ raw, stage, kind, message, task: this.id, projection });
    } catch {
      // A failing handler must not stop processing (it is only a log and a counter here).
    }
  }
}
