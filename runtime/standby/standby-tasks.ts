// The standby tasks of one instance (processing.standbyReplicas, docs/runtime.md "Standby
// replicas"): starts and closes them as assignments come, reports their lag for the assignor's
// subscription user data, and asks for a probing rebalance once the warm-ups the leader assigned
// here are caught up, so that their tasks move here without a long restore; once the probing
// interval has passed since the assignment, as soon as any of them is (one copy that cannot catch
// up must not hold back the others, nor, under processing.maxWarmupReplicas, the group's next ones).
//
// Owns the standby map. Must not touch active tasks: the TaskManager releases a standby (closes it)
// before it opens the same task as active, in the same state directory.
import type { Logger } from '../log/logger.ts';
import { StandbyTask, type StandbyTaskOptions } from './standby-task.ts';

/** Probing rebalances are at least this far apart (each one pauses queries briefly). */
const MIN_PROBE_INTERVAL_MS = 3_000;
/** processing.probingRebalanceIntervalMs when not set (Kafka Streams': 10 minutes). */
const DEFAULT_PROBING_INTERVAL_MS = 60_000;

export interface StandbyTasksOptions extends Omit<StandbyTaskOptions, 'id'> {
  /** A standby at most this many changelog records behind counts as caught up. */
  acceptableLag: number;
  /** Asks the group for a rebalance (the caught-up warm-ups can then take their tasks). */
  requestRebalance: () => void;
  logger: Logger;
  /** How often warm-ups are checked (ms, default 500). */
  checkMs?: number;
  /** After this long (ms) since the assignment, a rebalance is asked for when any warm-up caught up. */
  probingIntervalMs?: number;
  /** Makes a standby task (tests give copies whose progress they set). */
  createTask?: (options: StandbyTaskOptions) => StandbyTask;
}

/** What status pages and metrics show of a standby. */
export interface StandbyStatus {
  task: number;
  warmup: boolean;
  /** Changelog records behind when its latest round began (undefined before the first). */
  lag: number | undefined;
  /** Milliseconds since it was last known caught up. */
  stalenessMs: number | undefined;
}

export class StandbyTasks {
  readonly tasks = new Map<number, StandbyTask>();
  private warmups = new Map<number, number>(); // task → rounds of its standby at assignment
  private asked = false;
  private lastAskedAt = 0;
  private warmupsAssignedAt = 0;
  /** Bumped at each request: the changed subscription makes the broker rebalance on the re-join. */
  probe = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: StandbyTasksOptions) {
    this.timer = setInterval(() => this.checkWarmups(), options.checkMs ?? 500);
    this.timer.unref();
  }

  /** Keeps exactly these standbys (none of them active here), of which `warmups` are warm-ups. */
  async apply(ids: number[], warmups: number[]): Promise<void> {
    const keep = new Set(ids);
    for (const id of [...this.tasks.keys()]) if (!keep.has(id)) await this.release(id);
    for (const id of keep) {
      if (this.tasks.has(id)) continue;
      const options = { ...this.options, id };
      this.tasks.set(id, this.options.createTask?.(options) ?? new StandbyTask(options));
      this.options.logger.info({ task: id }, `standby ${id} started`);
    }
    this.warmups = new Map(
      warmups.filter((id) => keep.has(id)).map((id) => [id, this.tasks.get(id)!.rounds]),
    );
    this.warmupsAssignedAt = Date.now();
    this.asked = false;
  }

  /** Closes the standby of a task (before the task opens here as active). */
  async release(id: number): Promise<void> {
    const task = this.tasks.get(id);
    if (!task) return;
    this.tasks.delete(id);
    this.warmups.delete(id);
    await task.close();
  }

  async closeAll(): Promise<void> {
    clearInterval(this.timer);
    for (const id of [...this.tasks.keys()]) await this.release(id);
  }

  /** The tasks whose standby here is a warm-up. */
  warmupIds(): ReadonlySet<number> {
    return new Set(this.warmups.keys());
  }

  /** Task → records behind, for the subscription user data (standbys that finished a round). */
  lagReport(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, t] of this.tasks) if (t.lag !== undefined) out[id] = t.lag;
    return out;
  }

  status(now = Date.now()): StandbyStatus[] {
    return [...this.tasks.values()]
      .sort((a, b) => a.id - b.id)
      .map((t) => ({
        task: t.id,
        warmup: this.warmups.has(t.id),
        lag: t.lag,
        stalenessMs: t.stalenessMs(now),
      }));
  }

  /** A warm-up is caught up after a round that began after its assignment, within acceptableLag. */
  private caughtUp(id: number): boolean {
    const t = this.tasks.get(id);
    const roundsAtAssignment = this.warmups.get(id);
    return (
      t !== undefined &&
      roundsAtAssignment !== undefined &&
      t.rounds > roundsAtAssignment + 1 &&
      t.lag !== undefined &&
      t.lag <= this.options.acceptableLag
    );
  }

  /** Runs every `checkMs`; public for tests. */
  checkWarmups(now = Date.now()): void {
    if (this.asked || this.warmups.size === 0 || now - this.lastAskedAt < MIN_PROBE_INTERVAL_MS) return;
    const caughtUp = [...this.warmups.keys()].filter((id) => this.caughtUp(id));
    if (caughtUp.length === 0) return;
    const interval = this.options.probingIntervalMs ?? DEFAULT_PROBING_INTERVAL_MS;
    if (caughtUp.length < this.warmups.size && now - this.warmupsAssignedAt < interval) return;
    this.asked = true;
    this.lastAskedAt = now;
    this.probe++;
    const behind = [...this.warmups.keys()].filter((id) => !caughtUp.includes(id));
    this.options.logger.info(
      { tasks: caughtUp, behind },
      behind.length === 0
        ? 'warm-up standbys caught up: asking for a rebalance'
        : 'some warm-up standbys caught up (probing interval passed): asking for a rebalance',
    );
    this.options.requestRebalance();
  }
}
