// The consumer loop: kafkajs hands each fetched batch of one input partition to `eachBatch`, which
// processes it into the task of that partition, record by record (`processMessage`, the one
// per-record path: decode + process into the task's write cache and output buffer, in Task.process).
// It triggers the early commit of a task past its pending threshold and the commit a rebalance
// announces, and moves tasks past batches of control records only.
//
// Batches of topics taken in timestamp order (input-order.ts: the inputs of windowed joins) are
// queued in the task's partition group instead, and the group is drained lowest timestamp first.
//
// Owns the batch and offset handling with kafkajs (resolve, heartbeat, stale batches) and the
// processed count. Must not open or close tasks (task-manager.ts) nor run the commit protocol
// (commit-coordinator.ts): it asks for commits.
import kafkajs, { type Consumer, type KafkaMessage } from 'kafkajs';
import { type RawRecord, textHeaders } from '../formats/index.ts';
import type { InputRecord } from '../../projections/records.ts';
import type { PartitionGroup, QueuedRecord, Task, TopicRoute } from '../tasks/index.ts';
import type { CommitCoordinator } from './commit-coordinator.ts';
import type { InputOrder } from './input-order.ts';
import type { RuntimeContext } from './runtime-context.ts';

export interface ConsumerLoopOptions {
  ctx: RuntimeContext;
  /** The tasks this instance runs now (the TaskManager's map). */
  tasks: ReadonlyMap<number, Task>;
  routes: ReadonlyMap<string, TopicRoute>;
  commits: CommitCoordinator;
  /** Commit a task early when its uncommitted rows + buffered records reach this. */
  maxPendingPerTask: number;
  /** The partition groups of topics taken in timestamp order. */
  order: InputOrder;
}

export class ConsumerLoop {
  /** Input records processed since start. */
  processedTotal = 0;
  /** Called once per processed input record (tests count re-reads with it). */
  onProcessed?: (topic: string, partition: number, offset: number) => void;

  constructor(private readonly options: ConsumerLoopOptions) {
    options.order.onDue = (task) => {
      void options.ctx.lock
        .run(() => this.drainIfRunning(task))
        .catch((err: unknown) => options.ctx.fail(err));
    };
  }

  /** Starts consuming (the consumer is connected and subscribed). */
  async run(consumer: Consumer): Promise<void> {
    // Batches of only control records (transaction markers) or aborted records never reach
    // eachBatch; kafkajs reports them here. Moving the task past them lets its committed offsets
    // reach the end of transactionally written topics (and caughtUp() become true).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.firstOffset === null) return;
      const task = this.options.tasks.get(payload.partition);
      if (task?.state !== 'running') return;
      const group = this.options.order.groupFor(task, payload.topic);
      if (group) {
        const mark = {
          firstOffset: Number(payload.firstOffset),
          nextOffset: Number(payload.lastOffset) + 1,
          highWatermark: Number(payload.highWatermark),
        };
        group.fetched(payload.topic, mark, task.positions.get(payload.topic) ?? 0);
        this.options.order.soon(task);
        return;
      }
      if ((task.positions.get(payload.topic) ?? -1) >= Number(payload.firstOffset))
        task.advance(payload.topic, Number(payload.lastOffset) + 1);
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(payload: kafkajs.EachBatchPayload): Promise<void> {
    const { ctx, tasks, commits } = this.options;
    const { batch } = payload;
    const id = batch.partition;
    const ready = () => ctx.state === 'running' && tasks.get(id)?.state === 'running';
    // Not resolved: the batch is fetched again once the task runs.
    if (!ready()) return;
    // Registry formats: fetch the batch's schemas now, so decoding under the lock needs no I/O.
    // The registry being down throws here: kafkajs retries the batch.
    await this.options.routes.get(batch.topic)?.prepare?.(batch.messages.map((m) => m.value ?? null));
    await ctx.lock.run(async () => {
      const task = tasks.get(id);
      if (!task || !ready()) return;
      const group = this.options.order.groupFor(task, batch.topic);
      if (group) return this.queueBatch(task, group, payload);
      // The consumer stops and seeks only across an await: checked there, not per message (kafkajs
      // looks them up by a string-keyed Long each time). The last processed offset is resolved
      // before each await and on the way out, so kafkajs sees what the per-message calls showed.
      let processed: string | undefined;
      const resolveProcessed = () => {
        if (processed !== undefined) payload.resolveOffset(processed);
        processed = undefined;
      };
      try {
        if (!payload.isRunning() || payload.isStale()) return;
        for (const m of batch.messages) {
          if (!ready()) return;
          this.processMessage(task, batch.topic, batch.partition, m);
          processed = m.offset;
          if (task.pendingSize >= this.options.maxPendingPerTask) {
            resolveProcessed();
            await commits.commitTasks([task]);
            if (!payload.isRunning() || payload.isStale()) return;
          }
        }
      } catch (err) {
        // Not a poison record (those are skipped inside the task): a bug or a storage failure.
        // Retrying the batch on top of half-applied state would be wrong, so stop.
        ctx.fail(err);
        return;
      } finally {
        resolveProcessed();
      }
      // Control records (transactional inputs) occupy offsets after the last message. Not after a
      // failed commit rewound the task (the batch is stale then: its records are read again).
      if (!payload.isStale()) task.advance(batch.topic, Number(batch.lastOffset()) + 1);
    });
    try {
      await payload.heartbeat();
    } catch (err) {
      // A rebalance is coming: commit now, so the next owner (or we) need not re-read anything.
      if ((err as { type?: string }).type === 'REBALANCE_IN_PROGRESS')
        await ctx.lock.run(() => commits.commitAllAndSettle()).catch(() => undefined);
      throw err;
    }
  }

  /** The per-record path: one input record into its task. */
  private processMessage(task: Task, topic: string, partition: number, m: KafkaMessage): void {
    this.processRecord(task, rawRecord(topic, partition, m));
  }

  private processRecord(task: Task, raw: RawRecord, decoded?: InputRecord): void {
    task.process(raw, decoded);
    this.processedTotal++;
    this.onProcessed?.(raw.topic, raw.partition, raw.offset);
  }

  /**
   * A batch of a topic taken in timestamp order: queued in the task's group, resolved at once (so
   * kafkajs fetches on; the task's position moves only as records are processed, and a rollback
   * rewinds the consumer to it), then the group is drained as far as it may go.
   */
  private async queueBatch(
    task: Task,
    group: PartitionGroup,
    payload: kafkajs.EachBatchPayload,
  ): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || payload.isStale()) return;
    const route = this.options.routes.get(batch.topic);
    const records = batch.messages.map((m) => queued(route, rawRecord(batch.topic, batch.partition, m)));
    group.push(batch.topic, records, task.positions.get(batch.topic) ?? 0, {
      firstOffset: Number(batch.firstOffset() ?? batch.messages[0]!.offset),
      nextOffset: Number(batch.lastOffset()) + 1,
      highWatermark: Number(batch.highWatermark),
    });
    payload.resolveOffset(batch.lastOffset());
    await this.drain(task, group);
  }

  private async drainIfRunning(task: Task): Promise<void> {
    if (this.options.ctx.state !== 'running' || this.options.tasks.get(task.id) !== task) return;
    if (task.state !== 'running') return;
    const group = this.options.order.groupOf(task);
    if (group) await this.drain(task, group);
  }

  /** Processes the group's records lowest timestamp first while none is held back (under the lock). */
  private async drain(task: Task, group: PartitionGroup): Promise<void> {
    const { ctx, commits, order, maxPendingPerTask } = this.options;
    try {
      // One clock read per drain (not per record): waits are in the order of seconds.
      let now = Date.now();
      for (let q = group.next(now); q; q = group.next(now)) {
        this.processRecord(task, q.raw, q.decoded);
        if (task.pendingSize >= maxPendingPerTask) {
          for (const [topic, next] of group.takeAdvances()) task.advance(topic, next);
          await commits.commitTasks([task]);
          now = Date.now();
          // A failed commit rolled the task back: its group is empty then, and the loop ends.
          if (task.state !== 'running' || ctx.state !== 'running') return;
        }
      }
      for (const [topic, next] of group.takeAdvances()) task.advance(topic, next);
    } catch (err) {
      // As in eachBatch: a bug or a storage failure, not a poison record.
      ctx.fail(err);
      return;
    }
    order.settle(task);
  }
}

/**
 * A record for the partition group: decoded now, to read its event time (the order the operators
 * see); one that fails to decode is ordered by its record timestamp and fails again when processed,
 * where the poison handler takes it.
 */
function queued(route: TopicRoute | undefined, raw: RawRecord): QueuedRecord {
  if (!route) return { raw, time: raw.timestamp, decoded: undefined };
  try {
    const decoded = route.decoder.decode(raw);
    return { raw, time: route.eventTime(decoded), decoded };
  } catch {
    return { raw, time: raw.timestamp, decoded: undefined };
  }
}

function rawRecord(topic: string, partition: number, m: KafkaMessage): RawRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    key: m.key ?? null,
    value: m.value ?? null,
    timestamp: Number(m.timestamp),
    headers: textHeaders(m.headers),
  };
}
