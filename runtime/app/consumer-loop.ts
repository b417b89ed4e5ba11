// The consumer loop: kafkajs hands each fetched batch of one input partition to `eachBatch`, which
// processes it into the task of that partition, record by record (`processMessage`, the one
// per-record path: decode + process into the task's write cache and output buffer, in Task.process).
// It triggers the early commit of a task past its pending threshold and the commit a rebalance
// announces, and moves tasks past batches of control records only.
//
// Owns the batch and offset handling with kafkajs (resolve, heartbeat, stale batches) and the
// processed count. Must not open or close tasks (task-manager.ts) nor run the commit protocol
// (commit-coordinator.ts): it asks for commits.
import kafkajs, { type Consumer, type KafkaMessage } from 'kafkajs';
import { textHeaders } from '../formats/index.ts';
import type { Task, TopicRoute } from '../tasks/index.ts';
import type { CommitCoordinator } from './commit-coordinator.ts';
import type { RuntimeContext } from './runtime-context.ts';

export interface ConsumerLoopOptions {
  ctx: RuntimeContext;
  /** The tasks this instance runs now (the TaskManager's map). */
  tasks: ReadonlyMap<number, Task>;
  routes: ReadonlyMap<string, TopicRoute>;
  commits: CommitCoordinator;
  /** Commit a task early when its uncommitted rows + buffered records reach this. */
  maxPendingPerTask: number;
}

export class ConsumerLoop {
  /** Input records processed since start. */
  processedTotal = 0;
  /** Called once per processed input record (tests count re-reads with it). */
  onProcessed?: (topic: string, partition: number, offset: number) => void;

  constructor(private readonly options: ConsumerLoopOptions) {}

  /** Starts consuming (the consumer is connected and subscribed). */
  async run(consumer: Consumer): Promise<void> {
    // Batches of only control records (transaction markers) or aborted records never reach
    // eachBatch; kafkajs reports them here. Moving the task past them lets its committed offsets
    // reach the end of transactionally written topics (and caughtUp() become true).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.firstOffset === null) return;
      const task = this.options.tasks.get(payload.partition);
      if (task?.state !== 'running') return;
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
    const offset = Number(m.offset);
    task.process({
      topic,
      partition,
      offset,
      key: m.key ?? null,
      value: m.value ?? null,
      timestamp: Number(m.timestamp),
      headers: textHeaders(m.headers),
    });
    this.processedTotal++;
    this.onProcessed?.(topic, partition, offset);
  }
}
