// What `streamfold run` reports about its application, read from the outside: metrics (records in
// and out per projection, lag per partition, restore progress, store sizes), readiness (HealthState)
// and group joins (the query API refreshes its ownership map). It polls the application's public
// view (its tasks, their positions and counters) on a timer, so the processing path stays free of
// metrics calls; records in are counted by the application's per-record hook instead.
import { names } from '../../projections/graph/names.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import type { HealthState } from '../metrics/health.ts';
import type { Metrics } from '../metrics/metrics.ts';

/** The part of a runtime task the observer reads (runtime/tasks/task.ts). */
export interface ObservedTask {
  readonly id: number;
  readonly state: 'restoring' | 'running' | 'closed';
  readonly positions: ReadonlyMap<string, number>;
  readonly counters: {
    readonly emitted: ReadonlyMap<string, number>;
    /** Records a window or windowed join dropped as late, per projection. */
    readonly late?: ReadonlyMap<string, number>;
    /** Records sent per topic: those to the rejections topic are first-writer-wins rejections. */
    readonly sent?: ReadonlyMap<string, number>;
  };
  readonly restoreProgress: { restored: number; total: number } | undefined;
  readonly stores: {
    storeNames(): string[];
    countRows(store: string): Promise<number>;
    approximateSize(store: string): Promise<number>;
  };
}

/** The part of the Application the observer reads (runtime/app/application.ts). */
export interface ObservedApp {
  taskMap(): ReadonlyMap<number, ObservedTask>;
  status(): { joins: number };
  /** Assigned tasks, including those not yet in taskMap (opening their stores). */
  assignedTaskIds?(): number[];
  readonly restoreLog: ReadonlyArray<{ task: number; records: number }>;
  /** Valid events no projection acts on, per source and type, since start. */
  unhandledEvents?(): ReadonlyArray<{ source: string; type: string; count: number }>;
  /** Standby copies kept here (runtime/standby/StandbyTasks). */
  readonly standbys?: {
    status(): Array<{ task: number; lag: number | undefined; stalenessMs: number | undefined }>;
  };
  onProcessed?: (topic: string, partition: number, offset: number) => void;
}

export interface ObserverOptions {
  app: ObservedApp;
  topology: Topology;
  metrics: Metrics;
  health: Pick<HealthState, 'assigned' | 'restoring' | 'restored'>;
  /**
   * How a task is named in readiness and store metrics (default: its id). Several groups in one
   * process have tasks with the same ids: the groups after the application's own prefix theirs.
   */
  taskLabel?: (task: number) => number | string;
  /** High watermarks of a topic's partitions (the admin client's fetchTopicOffsets). */
  endOffsets: (topic: string) => Promise<ReadonlyMap<number, number>>;
  /** Called after each group join this instance sees (refresh the ownership map). */
  onJoin?: () => void;
  /** Poll interval (ms, default 500). */
  intervalMs?: number;
  /** How often store sizes are taken (ms, default 15 000); a store's rows are counted less often when its walk is long. */
  storeIntervalMs?: number;
  /** Reports a failed poll (e.g. the broker is away); polling goes on. */
  onError?: (err: unknown) => void;
}

/** The projections that count a record of `topic` as consumed: those reading it as source or projection input. */
export function projectionsByInputTopic(topology: Topology): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const sub of topology.subTopologies)
    for (const input of sub.inputs) {
      if (input.role === 'exchange') continue;
      const list = out.get(input.topic) ?? [];
      if (!list.includes(sub.projection)) list.push(sub.projection);
      out.set(input.topic, list);
    }
  return out;
}

export class RuntimeObserver {
  private readonly readers: Map<string, string[]>;
  private readonly rejectionsTopic: string;
  /** Unhandled events already added to the counter, per source and type. */
  private readonly seenUnhandled = new Map<string, number>();
  /** Records in, per topic, not yet added to the counters. */
  private readonly pendingIn = new Map<string, number>();
  /** Per task object: emitted counts already added to the counters. */
  private readonly seenOut = new WeakMap<ObservedTask, Map<string, number>>();
  private readonly seenLate = new WeakMap<ObservedTask, Map<string, number>>();
  private readonly seenRejected = new WeakMap<ObservedTask, number>();
  /** topic → partition → end offset, from the last poll. */
  private readonly ends = new Map<string, ReadonlyMap<number, number>>();
  /** Series this instance reports: (topic, partition) lag and task store series. */
  private readonly lagSeries = new Set<string>();
  private readonly storeSeries = new Map<number, string[]>();
  private joins = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastStoreSizes = 0;
  /** Per task's stores and store: the last row count, when it was taken and how long its walk took. */
  private readonly rowCounts = new WeakMap<
    object,
    Map<string, { rows: number; at: number; tookMs: number }>
  >();
  /** Task labels of the standby series reported last. */
  private standbySeries = new Set<string>();
  private polling: Promise<void> | null = null;

  constructor(private readonly options: ObserverOptions) {
    this.rejectionsTopic = names.rejectionsTopic(options.topology.application);
    this.readers = projectionsByInputTopic(options.topology);
    options.app.onProcessed = (topic) => {
      this.pendingIn.set(topic, (this.pendingIn.get(topic) ?? 0) + 1);
    };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.options.intervalMs ?? 500);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.polling;
  }

  private label(task: number): number | string {
    return this.options.taskLabel?.(task) ?? task;
  }

  /** The end offset of an input partition as last polled (the query API's lag). */
  endOffset(topic: string, partition: number): number | undefined {
    return this.ends.get(topic)?.get(partition);
  }

  /** One round: joins, readiness, records in/out, restore progress, lag, store sizes. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce()
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const { app, health } = this.options;
    const label = (id: number) => this.label(id);
    const joins = app.status().joins;
    if (joins !== this.joins) {
      this.joins = joins;
      this.options.onJoin?.();
    }
    const tasks = [...app.taskMap().values()].filter((t) => t.state !== 'closed');
    if (joins > 0) {
      const assigned = app.assignedTaskIds?.() ?? tasks.map((t) => t.id);
      health.assigned(assigned.map(label));
      // A task still opening its stores is not in taskMap yet: it counts as restoring.
      for (const id of assigned)
        if (!tasks.some((t) => t.id === id && t.state === 'running')) health.restoring(label(id));
    }
    for (const t of tasks) if (t.state === 'running') health.restored(label(t.id));
    this.flushRecords(tasks);
    this.reportRestores(tasks);
    this.reportStandbys();
    await this.reportLag(tasks);
    if (Date.now() - this.lastStoreSizes >= (this.options.storeIntervalMs ?? 15_000)) {
      this.lastStoreSizes = Date.now();
      await this.reportStoreSizes(tasks);
    }
  }

  private flushRecords(tasks: ObservedTask[]): void {
    for (const [topic, n] of this.pendingIn)
      for (const projection of this.readers.get(topic) ?? []) this.options.metrics.recordsIn(projection, n);
    this.pendingIn.clear();
    for (const { source, type, count } of this.options.app.unhandledEvents?.() ?? []) {
      const key = `${source}\u0000${type}`;
      const seen = this.seenUnhandled.get(key) ?? 0;
      if (count > seen) this.options.metrics.unhandledEvents(source, type, count - seen);
      this.seenUnhandled.set(key, count);
    }
    for (const t of tasks) {
      addDeltas(this.seenOut, t, t.counters.emitted, (p, n) => this.options.metrics.recordsOut(p, n));
      addDeltas(this.seenLate, t, t.counters.late, (p, n) => this.options.metrics.lateRecords(p, n));
      const rejected = t.counters.sent?.get(this.rejectionsTopic) ?? 0;
      if (rejected > (this.seenRejected.get(t) ?? 0)) {
        this.options.metrics.rejected(rejected - (this.seenRejected.get(t) ?? 0));
        this.seenRejected.set(t, rejected);
      }
    }
  }

  private reportStandbys(): void {
    const now = new Set<string>();
    for (const s of this.options.app.standbys?.status() ?? []) {
      const task = String(this.label(s.task));
      now.add(task);
      this.options.metrics.standby(task, s.lag, s.stalenessMs);
    }
    for (const task of this.standbySeries) if (!now.has(task)) this.options.metrics.forgetStandby(task);
    this.standbySeries = now;
  }

  /** While restoring: the task's progress; after: what its restore applied (target = restored). */
  private reportRestores(tasks: ObservedTask[]): void {
    for (const t of tasks) {
      const progress =
        t.state === 'restoring'
          ? (t.restoreProgress ?? { restored: 0, total: 0 })
          : (() => {
              const done = this.options.app.restoreLog.findLast((r) => r.task === t.id);
              const records = done?.records ?? t.restoreProgress?.restored ?? 0;
              return { restored: records, total: records };
            })();
      // The restore reads every store's changelog together; its progress is one figure per task.
      this.options.metrics.restoreProgress('all', this.label(t.id), progress.restored, progress.total);
    }
  }

  private async reportLag(tasks: ObservedTask[]): Promise<void> {
    const running = tasks.filter((t) => t.state === 'running');
    const topics = new Set(running.flatMap((t) => [...t.positions.keys()]));
    for (const topic of topics) this.ends.set(topic, await this.options.endOffsets(topic));
    const now = new Set<string>();
    for (const t of running)
      for (const [topic, position] of t.positions) {
        const end = this.ends.get(topic)?.get(t.id);
        if (end === undefined) continue;
        this.options.metrics.lag(topic, t.id, end - position);
        now.add(`${t.id}\u0000${topic}`);
      }
    for (const id of this.lagSeries)
      if (!now.has(id) && !tasks.some((t) => t.state === 'restoring' && id.startsWith(`${t.id}\u0000`))) {
        const [partition, topic] = id.split('\u0000') as [string, string];
        this.options.metrics.forgetPartition(topic, Number(partition));
        this.lagSeries.delete(id);
      }
    for (const id of now) this.lagSeries.add(id);
  }

  private async reportStoreSizes(tasks: ObservedTask[]): Promise<void> {
    const ids = new Set(tasks.map((t) => t.id));
    for (const [id, stores] of this.storeSeries)
      if (!ids.has(id)) {
        this.options.metrics.forgetTask(this.label(id), [...stores, 'all']);
        this.storeSeries.delete(id);
      }
    for (const t of tasks.filter((x) => x.state === 'running')) {
      const names = t.stores.storeNames();
      for (const store of names) {
        const [rows, bytes] = await Promise.all([this.rowsOf(t, store), t.stores.approximateSize(store)]);
        this.options.metrics.storeSize(store, this.label(t.id), rows, bytes);
      }
      this.storeSeries.set(t.id, names);
    }
  }

  private async rowsOf(t: ObservedTask, store: string): Promise<number> {
    let counts = this.rowCounts.get(t.stores);
    if (!counts) this.rowCounts.set(t.stores, (counts = new Map()));
    const last = counts.get(store);
    const now = Date.now();
    if (last && now < last.at + COUNT_SHARE * last.tookMs) return last.rows;
    const rows = await t.stores.countRows(store);
    counts.set(store, { rows, at: now, tookMs: Date.now() - now });
    return rows;
  }
}

/**
 * A walk of a store's keys takes the processing thread's time (every key becomes a string): a store
 * is counted again only once COUNT_SHARE times its last walk has passed, so counting takes at most
 * about 1/COUNT_SHARE of the time however large the store (a 10M-key state is counted less often).
 */
const COUNT_SHARE = 50;

/** Reports how much each of a task's per-projection counters grew since the last poll. */
function addDeltas(
  seenByTask: WeakMap<ObservedTask, Map<string, number>>,
  task: ObservedTask,
  counters: ReadonlyMap<string, number> | undefined,
  report: (projection: string, n: number) => void,
): void {
  if (!counters) return;
  let seen = seenByTask.get(task);
  if (!seen) seenByTask.set(task, (seen = new Map()));
  for (const [projection, n] of counters) {
    report(projection, n - (seen.get(projection) ?? 0));
    seen.set(projection, n);
  }
}
