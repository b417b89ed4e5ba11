// The commit protocol (docs/runtime.md, "Commit protocol"): when to commit (timer, a task's pending
// threshold, commands waiting for their commit, rebalances, stop), prepare under the lock, the Kafka and LevelDB half in the
// background (one commit in flight at a time), rollback and rewind when Kafka rejects the records,
// and the exactly-once re-sync of a task whose transaction failed.
//
// What goes into a commit comes from the tasks (changelogs, output and exchange records) and from
// the registered sinks (commit-sink.ts). Owns the commit counters and the commit timer; must not
// process records, open or close tasks (it asks the TaskManager to re-sync one), or write to Kafka
// itself (the CommitTransport does).
import { commandTrace } from '../metrics/command-trace.ts';
import type { Task, TaskCommit } from '../tasks/index.ts';
import { describeError } from './errors.ts';
import type { CommitSink } from './commit-sink.ts';
import type { RuntimeContext } from './runtime-context.ts';

export interface CommitCoordinatorOptions {
  ctx: RuntimeContext;
  /** The tasks this instance runs now (the TaskManager's map). */
  tasks: ReadonlyMap<number, Task>;
  sinks: CommitSink[];
  commitIntervalMs: number;
  /** Exactly-once: the task's transaction failed; restart it from Kafka (TaskManager.resync). */
  resync: (task: Task) => void;
  /** Called after each completed commit with its duration in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /**
   * How long a requested early commit waits for more requests (default 0: until the event loop's
   * next turn, so the commands of the requests read together share its transaction; a linger of
   * 2 ms was 15% of a lone command's latency). Requests made while a commit is in flight wait for
   * it anyway and share the next one.
   */
  commitSoonLingerMs?: number;
}

/**
 * How long a task that read back only the events it appended itself (commands' events) may leave its
 * consumed offsets out of its commits. Storing them takes two of a transaction's five round trips
 * (AddOffsetsToTxn, TxnOffsetCommit) and puts the offsets partition in its markers; deferred, a
 * restart re-reads at most this much of the task's own events, skipped as already applied.
 */
export const OWN_EVENTS_OFFSETS_EVERY_MS = 1_000;

export class CommitCoordinator {
  commits = 0;
  failedCommits = 0;
  private lastCommitAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The Kafka/LevelDB half of the commit being made, while processing goes on (commitTasks). */
  private commitInFlight: Promise<void> | null = null;
  /** Tasks asked to commit early (commitSoon), not yet in a prepared commit. */
  private readonly requested = new Set<number>();
  /** Cancels the pending linger of a requested commit (null: none pending). */
  private cancelLinger: (() => void) | null = null;
  private committingRequested = false;
  private housekeeping = false;

  constructor(private readonly options: CommitCoordinatorOptions) {}

  /** Commits every commitIntervalMs from now on (checked twice per interval). */
  startTimer(): void {
    const interval = this.options.commitIntervalMs;
    this.timer = setInterval(() => void this.commitOnTimer(), Math.max(10, Math.floor(interval / 2)));
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clearLinger();
  }

  private clearLinger(): void {
    this.cancelLinger?.();
    this.cancelLinger = null;
  }

  /** Every task's commit, completed: for stop and rebalances. Call under the lock. */
  async commitAllAndSettle(): Promise<void> {
    await this.commitTasks([...this.options.tasks.values()]);
    await this.settle();
  }

  /**
   * Someone waits for this task's next commit (a command's caller): commit it in the event loop's
   * next turn (or after the configured linger) instead of at the next interval, or at once when `now` (a full batch). Requests arriving while
   * a commit is in flight are committed together as soon as it completes (group commit), so a
   * steady stream of commands keeps one transaction per task in flight, each carrying every
   * command decided during the previous one.
   */
  commitSoon(task: number, now = false): void {
    this.requested.add(task);
    if (this.committingRequested) return; // the running loop takes it
    if (now) {
      this.clearLinger();
      void this.commitRequested();
    } else if (!this.cancelLinger) {
      const fire = () => {
        this.cancelLinger = null;
        void this.commitRequested();
      };
      const linger = this.options.commitSoonLingerMs ?? 0;
      if (linger > 0) {
        const timer = setTimeout(fire, linger);
        this.cancelLinger = () => clearTimeout(timer);
      } else {
        const immediate = setImmediate(fire);
        this.cancelLinger = () => clearImmediate(immediate);
      }
    }
  }

  private async commitRequested(): Promise<void> {
    const { ctx, tasks } = this.options;
    if (this.committingRequested) return;
    this.committingRequested = true;
    try {
      while (this.requested.size > 0 && ctx.state === 'running') {
        // Off the lock: commands go on being decided while the previous commit completes.
        await this.settle();
        const settledAt = performance.now();
        const candidates = [...this.requested].flatMap((id) => tasks.get(id) ?? []);
        this.requested.clear();
        await ctx.lock.run(() => this.commitTasks(candidates, settledAt, OWN_EVENTS_OFFSETS_EVERY_MS));
      }
    } catch (err) {
      ctx.fail(err);
    } finally {
      this.committingRequested = false;
      this.requested.clear();
    }
  }

  private commitOnTimer(): void {
    const { ctx } = this.options;
    if (ctx.state !== 'running' || Date.now() - this.lastCommitAt < this.options.commitIntervalMs) return;
    this.lastCommitAt = Date.now();
    // Through the loop of requested commits: it waits for the commit in flight off the lock (under
    // it, processing and commands would stall for a whole transaction).
    for (const id of this.options.tasks.keys()) this.requested.add(id);
    if (!this.committingRequested) void this.commitRequested();
    if (!this.housekeeping) void this.housekeep();
  }

  /** The sinks' housekeeping, off the lock but for its writes (commits and commands do not wait for it). */
  private async housekeep(): Promise<void> {
    const { ctx, tasks, sinks } = this.options;
    this.housekeeping = true;
    for (const task of [...tasks.values()]) {
      const runs = () => ctx.state === 'running' && task.state === 'running' && tasks.get(task.id) === task;
      const locked = (write: () => void) =>
        ctx.lock.run(() => {
          if (!runs()) return false;
          write();
          return true;
        });
      try {
        for (const sink of sinks) if (runs()) await sink.housekeep?.(task, locked);
      } catch (err) {
        // A task closed under the scan (its stores with it) is not an error; anything else is.
        if (runs()) {
          ctx.fail(err);
          break;
        }
      }
    }
    this.housekeeping = false;
  }

  /**
   * The commit protocol: prepare every task (changelog records from the write cache, buffered
   * records, positions) → Kafka (records with acks=all, then offsets) → complete (one LevelDB
   * batch per task with the state and the changelog checkpoints). If Kafka rejects the records,
   * the tasks roll back to their last commit and re-read from there.
   *
   * Run under the lock, it only prepares: the Kafka and LevelDB steps run in the background (one
   * commit in flight at a time, see `commitInFlight`) while batches go on being processed into
   * the stores' next write generation and the tasks' emptied output buffers (the stores keep the
   * prepared rows readable until complete). A failed commit rolls those back too. Callers that need
   * the commit done (stop, rebalances) await `settle()` after it.
   *
   * `deferOffsetsMs` (the timer's and commands' commits): a task that read back only its own
   * appended events since it last stored offsets, less than this long ago, stores none this time
   * (Task.prepareCommit). Rebalances, stop and full tasks store them.
   */
  async commitTasks(candidates: Task[], settledAt?: number, deferOffsetsMs = 0): Promise<void> {
    // The previous commit completes (or rolls back) before the next one is prepared.
    await this.settle();
    const { tasks: current, sinks } = this.options;
    const tasks = candidates.filter(
      (t) => t.state === 'running' && current.get(t.id) === t && t.needsCommitNow(deferOffsetsMs),
    );
    if (tasks.length === 0) return;
    const startedAt = performance.now();
    const commits = tasks.map((t) => t.prepareCommit(deferOffsetsMs));
    if (commandTrace) {
      const storesPrepared = performance.now();
      for (const c of commits)
        c.trace = {
          settled: settledAt,
          locked: startedAt,
          storesPrepared,
          requests: {},
          tasksInCommit: commits.length,
        };
    }
    try {
      for (const c of commits) for (const sink of sinks) await sink.collect?.(c);
    } catch (err) {
      this.rollbackCommit(tasks, err);
      return;
    }
    const preparedAt = performance.now();
    for (const c of commits) if (c.trace) c.trace.prepared = preparedAt;
    const flight = this.completeInBackground(tasks, commits, startedAt);
    this.commitInFlight = flight;
    void flight
      .catch((err) => this.options.ctx.fail(err))
      .finally(() => {
        if (this.commitInFlight === flight) this.commitInFlight = null;
      });
  }

  /** Waits until no commit is in flight (completed, rolled back, or failed). */
  async settle(): Promise<void> {
    while (this.commitInFlight) await this.commitInFlight.catch(() => undefined);
  }

  private rollbackCommit(tasks: Task[], err: unknown): void {
    const { ctx, sinks } = this.options;
    this.failedCommits++;
    ctx.logger.error(
      { err: describeError(err), tasks: tasks.map((t) => t.id) },
      'commit failed; re-reading from the last commit',
    );
    for (const t of tasks) {
      t.rollback();
      for (const sink of sinks) sink.rollback?.(t.id);
      for (const [topic, offset] of t.committed)
        ctx.clients.consumer?.seek({ topic, partition: t.id, offset: String(offset) });
    }
  }

  /** The Kafka and LevelDB half of a commit, off the processing lock. */
  private async completeInBackground(tasks: Task[], commits: TaskCommit[], startedAt: number): Promise<void> {
    const { logger } = this.options.ctx;
    let outcomes;
    // Each task's sinks hear of its commit once durable in Kafka (replies go out), not after the
    // other tasks' transactions and the LevelDB writes.
    const told = new Set<number>();
    const committed = (i: number) => {
      if (told.has(i)) return;
      told.add(i);
      for (const sink of this.options.sinks) sink.committed?.(commits[i]!);
    };
    try {
      outcomes = await this.options.ctx.clients.transport!.commit(commits, committed);
      const endedAt = performance.now();
      for (const c of commits) if (c.trace) c.trace.allEnded = endedAt;
    } catch (err) {
      this.rollbackCommit(tasks, err);
      return;
    }
    const failed = tasks.filter((_, i) => outcomes[i]!.failed);
    if (failed.length > 0) {
      this.failedCommits++;
      logger.error(
        {
          err: describeError(outcomes.find((o) => o.failed)!.offsetError),
          tasks: failed.map((t) => t.id),
        },
        'transaction failed; re-syncing the task with Kafka (new producer, restore from the checkpoint, committed offsets)',
      );
      for (const t of failed) this.options.resync(t);
    }
    for (let i = 0; i < tasks.length; i++) if (!outcomes[i]!.failed) committed(i);
    for (let i = 0; i < tasks.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.failed) continue;
      await tasks[i]!.completeCommit(commits[i]!, outcome.changelogOffsets, outcome.offsetsCommitted);
      if (!outcome.offsetsCommitted)
        logger.warn(
          { task: tasks[i]!.id, err: describeError(outcome.offsetError) },
          'offset commit failed; retried at the next commit',
        );
    }
    this.commits++;
    this.lastCommitAt = Date.now();
    this.options.onCommit?.((performance.now() - startedAt) / 1000);
    if (logger.isLevelEnabled('debug'))
      logger.debug(
        {
          tasks: commits.map((c) => ({
            task: c.task,
            changelog: c.changelog.length,
            records: c.records.reduce((n, t) => n + t.messages.length, 0),
            offsets: Object.fromEntries(c.offsets),
          })),
        },
        'committed',
      );
  }
}
