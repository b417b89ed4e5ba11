// The tasks this instance runs, and their lifecycle: an assignment opens new tasks (stores opened,
// restored from the changelogs in the background while the consumer keeps heartbeating, then
// started at the group's committed offsets), rewinds kept ones to their last commit and closes
// revoked ones; a task whose exactly-once transaction failed is closed and started again.
//
// Standby tasks (restore only, no processing: runtime/standby/) are the second map, `standbys`:
// a standby is closed before its task opens here as active (same state directory, so the active
// restores only the standby's tail), and a revoked active task closes before it becomes a standby.
//
// Owns the task map, the restores in flight and the pause/seek/resume of task partitions. Must not
// process records (consumer-loop.ts) or commit (commit-coordinator.ts): it waits for the commit in
// flight before rolling tasks back or closing them.
import type { Kafka } from 'kafkajs';
import { changelogTopic } from '../kafka/admin/index.ts';
import { type ChangelogSource, KafkaChangelogSource, restoreStores } from '../kafka/restore/index.ts';
import type { PoisonHandler } from '../formats/index.ts';
import type { StandbyAssignment } from '../kafka/group/assignment-user-data.ts';
import { StandbyTasks } from '../standby/index.ts';
import {
  restoreFetchBytes,
  stateDirectory,
  type StoreMemorySettings,
  TaskStores,
  tasksWithLocalState,
} from '../stores/index.ts';
import {
  ExactlyOnceTransport,
  Task,
  type TaskOptions,
  type TaskProjection,
  type TopicRoute,
} from '../tasks/index.ts';
import type { CommitSink } from './commit-sink.ts';
import { describeError } from './errors.ts';
import type { RestoreReporter } from './restore-progress.ts';
import type { RuntimeContext } from './runtime-context.ts';

export interface TaskManagerOptions {
  ctx: RuntimeContext;
  /** The map to keep the tasks in (shared with the command executor); default a new one. */
  tasks?: Map<number, Task>;
  kafka: Kafka;
  stateDir: string;
  /** Memory bounds of each task database (the definition's `state`). */
  storeMemory?: StoreMemorySettings;
  groupId: string;
  routes: ReadonlyMap<string, TopicRoute>;
  projections: ReadonlyMap<string, TaskProjection>;
  /** The topology's store names (what a restore reads). */
  stores: string[];
  onPoison: PoisonHandler;
  /** Skips records the task applied when it appended them (runtime/commands/). */
  appliedAtAppend?: TaskOptions['appliedAtAppend'];
  /** Records poisoned appends of first-writer-wins sources (runtime/sources/dead-lettered-appends.ts). */
  onDeadLetteredAppend?: TaskOptions['onDeadLetteredAppend'];
  reporter: RestoreReporter;
  /** Told that a task rolled back or closed (dead letters and purgers kept per task). */
  sinks: CommitSink[];
  /** Waits for the commit in flight (CommitCoordinator.settle). */
  settleCommit: () => Promise<void>;
  wrapChangelogSource?: (source: ChangelogSource) => ChangelogSource;
  /** A standby at most this many changelog records behind counts as caught up (warm-ups). */
  acceptableRecoveryLag: number;
  /** processing.probingRebalanceIntervalMs (runtime/standby/standby-tasks.ts). */
  probingRebalanceIntervalMs?: number;
  /** Asks the group for a rebalance (warm-ups caught up). */
  requestRebalance: () => void;
}

export class TaskManager {
  /** The active tasks this instance runs now (restoring or running), by partition number. */
  readonly tasks: Map<number, Task>;
  /** One entry per finished restore, for status pages and benchmarks. */
  readonly restoreLog: Array<{ task: number; records: number; ms: number; at: number }> = [];
  private readonly restores = new Map<number, { abort: AbortController; done: Promise<unknown> }>();
  /** Per task: the input topics it was assigned (a re-sync restarts it with them). */
  private readonly taskTopics = new Map<number, string[]>();
  /** Warm copies of other instances' tasks. */
  readonly standbys: StandbyTasks;

  constructor(private readonly options: TaskManagerOptions) {
    this.tasks = options.tasks ?? new Map();
    this.standbys = new StandbyTasks({
      kafka: options.kafka,
      stateDir: options.stateDir,
      storeMemory: options.storeMemory,
      groupId: options.groupId,
      stores: options.stores,
      logger: options.ctx.logger,
      wrapChangelogSource: options.wrapChangelogSource,
      acceptableLag: options.acceptableRecoveryLag,
      probingIntervalMs: options.probingRebalanceIntervalMs,
      requestRebalance: options.requestRebalance,
    });
  }

  taskIds(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /**
   * Tasks not run here whose database is on this instance's disk, with the offset sum of its last
   * close (the assignor gives a task nobody runs to the copy furthest along).
   */
  localState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, sum] of tasksWithLocalState(this.options.stateDir, this.options.groupId)) {
      if (this.tasks.has(id)) continue;
      // An open standby left no sum on disk: its stores know how far along they are.
      out[id] = this.standbys.tasks.get(id)?.stores?.offsetSum() ?? sum;
    }
    return out;
  }

  /** The offset sums of the tasks it runs (the assignor compares other members' copies with them). */
  runningOffsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, task] of this.tasks) out[id] = task.stores.offsetSum();
    return out;
  }

  /** Including the tasks still opening their stores (readiness). */
  assignedTaskIds(): number[] {
    return [...new Set([...this.tasks.keys(), ...this.restores.keys()])].sort((a, b) => a - b);
  }

  /**
   * Under the lock, after a group join (GroupMembership): task → its assigned input topics, and the
   * standbys (warm-ups included) the leader placed here.
   */
  async applyAssignment(
    byTask: Map<number, string[]>,
    standbys: StandbyAssignment = { standby: [], warmup: [] },
  ): Promise<void> {
    const { ctx } = this.options;
    // Tasks are rolled back or closed below: their commit in flight must have completed first.
    await this.options.settleCommit();
    if (ctx.state === 'stopping' || ctx.state === 'stopped') return;
    // Restores that have not opened their stores yet are not in `tasks`.
    for (const [id, r] of [...this.restores]) {
      if (byTask.has(id) || this.tasks.has(id)) continue;
      r.abort.abort();
      await r.done.catch(() => undefined);
      this.restores.delete(id);
    }
    for (const [id, task] of [...this.tasks]) {
      if (byTask.has(id)) continue;
      this.tasks.delete(id);
      await this.closeTask(task, 'revoked');
    }
    for (const [id, topics] of byTask) {
      const task = this.tasks.get(id);
      if (!task) {
        await this.standbys.release(id); // its stores are the active task's now
        if (!this.restores.has(id)) this.startTask(id, topics);
      } else if (task.state === 'running') {
        // kafkajs restarts from the group's committed offsets after a join: go back to the last
        // completed commit instead (the state matches it exactly, even if its offset commit failed).
        // The sinks drop what they kept since then too (commands decided on the dropped state
        // must not be appended by the next commit).
        task.rollback();
        for (const sink of this.options.sinks) sink.rollback?.(task.id);
        this.seekAndResume(task, topics);
      }
      // A task still restoring resumes when its restore ends.
    }
    const standbyIds = standbys.standby.filter((id) => !byTask.has(id));
    await this.standbys.apply(standbyIds, standbys.warmup);
  }

  /**
   * Exactly-once after a failed transaction: the task's state may not be trusted to match Kafka
   * (the transaction may have committed after all, or another instance may own the task now). The
   * task restarts like a newly assigned one: a new producer fences the others, the stores catch up
   * from their checkpoints (never wiped), and processing resumes at the group's committed offsets.
   */
  resync(task: Task): void {
    const { ctx } = this.options;
    // This runs in the commit's background half, off the lock: stop the task now (synchronously:
    // no batch processes it and no commit takes it from here on), close and restart it under the
    // lock later. Not awaited: a lock holder may be waiting for this very commit to settle.
    const topics = this.taskTopics.get(task.id) ?? ctx.clients.topicPlan!.inputs;
    ctx.clients.consumer?.pause(topics.map((topic) => ({ topic, partitions: [task.id] })));
    task.rollback();
    task.state = 'restoring';
    for (const sink of this.options.sinks) sink.rollback?.(task.id);
    void ctx.lock
      .run(async () => {
        if (this.tasks.get(task.id) !== task) return; // a rebalance closed or replaced it already
        this.tasks.delete(task.id);
        await this.closeTask(task, 'transaction failed');
        if (ctx.state === 'running' || ctx.state === 'starting') this.startTask(task.id, topics);
      })
      .catch((err) => ctx.fail(err));
  }

  /** Pauses every task's partitions (stop: nothing is fetched while the final commit runs). */
  pauseAll(): void {
    const { consumer, topicPlan } = this.options.ctx.clients;
    const byTopic = new Map<string, number[]>();
    for (const task of this.tasks.values()) {
      for (const topic of topicPlan!.inputs) byTopic.set(topic, [...(byTopic.get(topic) ?? []), task.id]);
    }
    const pauses = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    if (pauses.length > 0) consumer!.pause(pauses);
  }

  /** Under the lock, at stop: closes every task, then aborts the restores still running. */
  async closeAll(): Promise<void> {
    await this.options.ctx.lock.run(async () => {
      await this.options.settleCommit();
      for (const task of [...this.tasks.values()]) {
        this.tasks.delete(task.id);
        await this.closeTask(task, 'stopping').catch(() => undefined);
      }
    });
    for (const [, r] of this.restores) {
      r.abort.abort();
      await r.done.catch(() => undefined);
    }
    await this.standbys.closeAll();
  }

  private startTask(id: number, topics: string[]): void {
    const { ctx } = this.options;
    const abort = new AbortController();
    this.taskTopics.set(id, topics);
    const done = this.openAndRestore(id, abort.signal);
    this.restores.set(id, { abort, done });
    done
      .then(
        (task) =>
          ctx.lock.run(async () => {
            this.restores.delete(id);
            if (abort.signal.aborted || this.tasks.get(id) !== task) return;
            if (ctx.state !== 'running' && ctx.state !== 'starting') return;
            const from = await this.committedOffsets(id, topics);
            task.startAt(from);
            task.state = 'running';
            this.seekAndResume(task, topics);
            ctx.logger.info({ task: id, from: Object.fromEntries(from) }, `task ${id} running`);
          }),
        (err) => {
          this.restores.delete(id);
          if (abort.signal.aborted) return;
          ctx.fail(new Error(`task ${id}: restore failed: ${describeError(err)}`));
        },
      )
      .catch((err) => ctx.fail(err));
  }

  /** Opens the task's stores and restores them from the changelogs; the task is in `tasks` meanwhile. */
  private async openAndRestore(id: number, signal: AbortSignal): Promise<Task> {
    const { ctx, reporter } = this.options;
    const transport = ctx.clients.transport;
    // Exactly-once: fence the task's previous owners first, so no transaction of theirs is still
    // open while we restore from the changelogs and read the group's offsets.
    if (transport instanceof ExactlyOnceTransport) await transport.openTask(id);
    const stores = await TaskStores.open({
      location: stateDirectory(this.options.stateDir, this.options.groupId, id),
      changelogOf: (store) => ({ topic: changelogTopic(store), partition: id }),
      memory: this.options.storeMemory,
    });
    if (signal.aborted) {
      await stores.close();
      throw new Error('aborted');
    }
    const task = new Task({
      id,
      stores,
      routes: this.options.routes,
      projections: this.options.projections,
      onPoison: this.options.onPoison,
      appliedAtAppend: this.options.appliedAtAppend,
      onDeadLetteredAppend: this.options.onDeadLetteredAppend,
      sender: ctx.clients.sender ?? undefined,
    });
    this.tasks.set(id, task);
    if (stores.openOutcome === 'recreated')
      ctx.logger.warn(
        { task: id },
        `task ${id}: unreadable state database, rebuilding it from the changelogs`,
      );
    // One reader per restore: kafkajs' cluster object races when several restores connect to a
    // broker at once through one cluster, and leaks the losing connections past close().
    const reader = await KafkaChangelogSource.connect(this.options.kafka, {
      maxBytesPerPartition: restoreFetchBytes(this.options.storeMemory),
    });
    const wrap = this.options.wrapChangelogSource;
    const source = wrap ? wrap(reader) : reader;
    const summary = await restoreStores({
      stores,
      names: this.options.stores,
      source,
      signal,
      onProgress: (progress) => {
        task.restoreProgress = {
          restored: progress.reduce((n, p) => n + p.restored, 0),
          total: progress.reduce((n, p) => n + p.total, 0),
        };
        reporter.progress(id, progress);
      },
    }).finally(() => source.close().catch(() => undefined));
    reporter.done(id, summary);
    this.restoreLog.push({ task: id, records: summary.records, ms: summary.ms, at: Date.now() });
    return task;
  }

  private async closeTask(task: Task, why: string): Promise<void> {
    const restore = this.restores.get(task.id);
    if (restore) {
      restore.abort.abort();
      await restore.done.catch(() => undefined);
      this.restores.delete(task.id);
    }
    if (task.state === 'running') task.rollback();
    for (const sink of this.options.sinks) sink.close?.(task.id);
    const transport = this.options.ctx.clients.transport;
    if (transport instanceof ExactlyOnceTransport) await transport.closeTask(task.id);
    await task.close();
    this.options.ctx.logger.info({ task: task.id }, `task ${task.id} closed (${why})`);
  }

  /** The group's committed offsets for the task's partition; none yet → the log start. */
  private async committedOffsets(id: number, topics: string[]): Promise<Map<string, number>> {
    const admin = this.options.ctx.clients.admin!;
    const out = new Map<string, number>();
    const committed = await admin.fetchOffsets({ groupId: this.options.groupId, topics });
    for (const t of committed) {
      const p = t.partitions.find((x) => x.partition === id);
      const offset = p ? Number(p.offset) : -1;
      if (offset >= 0) out.set(t.topic, offset);
      else {
        const low = (await admin.fetchTopicOffsets(t.topic)).find((x) => x.partition === id);
        out.set(t.topic, Number(low?.low ?? 0));
      }
    }
    return out;
  }

  private seekAndResume(task: Task, topics: string[]): void {
    const consumer = this.options.ctx.clients.consumer!;
    for (const topic of topics) {
      const offset = task.committed.get(topic);
      if (offset !== undefined) consumer.seek({ topic, partition: task.id, offset: String(offset) });
    }
    consumer.resume(topics.map((topic) => ({ topic, partitions: [task.id] })));
  }
}
