// The runtime's Prometheus metrics: one prom-client registry per runtime instance (never the
// global one, so tests and embedded runtimes do not share counters), a small typed API the
// runtime calls, and the text exposition for `/metrics`.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthState } from './health.ts';
import { countCpuFromProcessStart } from './process-cpu.ts';

export interface MetricsOptions {
  /** Added to every series as the `application` label. */
  application?: string;
  /** Process and Node.js metrics (CPU, memory, event loop lag, GC); default true. */
  defaultMetrics?: boolean;
  /** Exposes readiness and task counts as gauges. */
  health?: HealthState;
}

export interface DeadLetterLabels {
  /** Source topic of the record. */
  topic?: string;
  /** `decode` or `process`. */
  stage?: string;
}

/** Commit latency buckets (seconds): a local commit is a few ms, a slow broker seconds. */
export const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRIC_NAMES = {
  recordsIn: 'streamfold_records_in_total',
  recordsOut: 'streamfold_records_out_total',
  lateRecords: 'streamfold_late_records_total',
  unhandledEvents: 'streamfold_unhandled_events_total',
  deadLetters: 'streamfold_dead_letter_records_total',
  rejected: 'streamfold_rejected_events_total',
  commands: 'streamfold_commands_total',
  commandDuration: 'streamfold_command_duration_seconds',
  commitDuration: 'streamfold_commit_duration_seconds',
  lag: 'streamfold_consumer_lag_records',
  restoreRestored: 'streamfold_restore_restored_records',
  restoreTarget: 'streamfold_restore_target_records',
  standbyLag: 'streamfold_standby_lag_records',
  standbyStaleness: 'streamfold_standby_staleness_seconds',
  storeRows: 'streamfold_store_rows',
  storeBytes: 'streamfold_store_bytes',
  ready: 'streamfold_ready',
  tasks: 'streamfold_tasks',
} as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly in: Counter<'projection'>;
  private readonly out: Counter<'projection'>;
  private readonly lateCounter: Counter<'projection'>;
  private readonly unhandled: Counter<'source' | 'type'>;
  private readonly dead: Counter<'kind' | 'topic' | 'stage'>;
  private readonly rejections: Counter;
  private readonly commits: Histogram;
  private readonly commandCounter: Counter<'command' | 'outcome'>;
  private readonly commandLatency: Histogram<'command'>;
  private readonly lagGauge: Gauge<'topic' | 'partition'>;
  private readonly restoredGauge: Gauge<'store' | 'task'>;
  private readonly targetGauge: Gauge<'store' | 'task'>;
  private readonly rowsGauge: Gauge<'store' | 'task'>;
  private readonly standbyLagGauge: Gauge<'task'>;
  private readonly standbyStalenessGauge: Gauge<'task'>;
  private readonly bytesGauge: Gauge<'store' | 'task'>;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    if (options.application) this.registry.setDefaultLabels({ application: options.application });
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      countCpuFromProcessStart(this.registry);
    }
    this.in = new Counter({
      name: METRIC_NAMES.recordsIn,
      help: 'Records a projection consumed (source events or upstream table changes)',
      labelNames: ['projection'],
      registers,
    });
    this.out = new Counter({
      name: METRIC_NAMES.recordsOut,
      help: 'Records a projection emitted (upserts and tombstones)',
      labelNames: ['projection'],
      registers,
    });
    this.lateCounter = new Counter({
      name: METRIC_NAMES.lateRecords,
      help: 'Records a window or windowed join dropped because they came after window end + grace',
      labelNames: ['projection'],
      registers,
    });
    this.unhandled = new Counter({
      name: METRIC_NAMES.unhandledEvents,
      help: 'Valid source events of a type no projection acts on (not dead letters; at most 100 types per source, the rest as other)',
      labelNames: ['source', 'type'],
      registers,
    });
    this.dead = new Counter({
      name: METRIC_NAMES.deadLetters,
      help: 'Records that could not be decoded or processed, by kind (dead-lettered or skipped)',
      labelNames: ['kind', 'topic', 'stage'],
      registers,
    });
    this.rejections = new Counter({
      name: METRIC_NAMES.rejected,
      help: 'Events first-writer-wins rejected (written to the rejections topic, applied by no projection)',
      registers,
    });
    this.commits = new Histogram({
      name: METRIC_NAMES.commitDuration,
      help: 'Time to commit a batch: flush stores and changelogs, commit offsets (or the transaction)',
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.commandCounter = new Counter({
      name: METRIC_NAMES.commands,
      help: 'Commands answered, by outcome (accepted, rejected by a rule, version conflict, reused: an Idempotency-Key sent with another request)',
      labelNames: ['command', 'outcome'],
      registers,
    });
    this.commandLatency = new Histogram({
      name: METRIC_NAMES.commandDuration,
      help: 'Time from a command reaching its owner to its committed outcome',
      labelNames: ['command'],
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.lagGauge = new Gauge({
      name: METRIC_NAMES.lag,
      help: 'Records between the committed position and the end of a source partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.restoredGauge = new Gauge({
      name: METRIC_NAMES.restoreRestored,
      help: 'Changelog records restored into a store so far',
      labelNames: ['store', 'task'],
      registers,
    });
    this.targetGauge = new Gauge({
      name: METRIC_NAMES.restoreTarget,
      help: 'Changelog records a store restore has to cover (an upper bound: compaction leaves gaps)',
      labelNames: ['store', 'task'],
      registers,
    });
    this.standbyLagGauge = new Gauge({
      name: METRIC_NAMES.standbyLag,
      help: 'Changelog records a standby copy was behind when its latest catch-up round began',
      labelNames: ['task'],
      registers,
    });
    this.standbyStalenessGauge = new Gauge({
      name: METRIC_NAMES.standbyStaleness,
      help: 'Seconds since a standby copy was last known caught up',
      labelNames: ['task'],
      registers,
    });
    this.rowsGauge = new Gauge({
      name: METRIC_NAMES.storeRows,
      help: 'Rows in a local store',
      labelNames: ['store', 'task'],
      registers,
    });
    this.bytesGauge = new Gauge({
      name: METRIC_NAMES.storeBytes,
      help: 'Approximate bytes of a local store on disk',
      labelNames: ['store', 'task'],
      registers,
    });
    const health = options.health;
    if (health) {
      new Gauge({
        name: METRIC_NAMES.ready,
        help: '1 when every assigned task has restored and the instance serves queries, else 0',
        registers,
        collect() {
          this.set(health.readiness().ready ? 1 : 0);
        },
      });
      new Gauge({
        name: METRIC_NAMES.tasks,
        help: 'Tasks assigned to this instance, by state',
        labelNames: ['state'],
        registers,
        collect() {
          const r = health.readiness();
          this.set({ state: 'restoring' }, r.restoring.length);
          this.set({ state: 'running' }, r.restored.length);
        },
      });
    }
  }

  recordsIn(projection: string, n = 1): void {
    if (n > 0) this.in.inc({ projection }, n);
  }

  recordsOut(projection: string, n = 1): void {
    if (n > 0) this.out.inc({ projection }, n);
  }

  lateRecords(projection: string, n = 1): void {
    if (n > 0) this.lateCounter.inc({ projection }, n);
  }

  /** A record that went to the dead-letter topic (or was skipped), by kind: value-not-json, expression, … */
  deadLetter(kind: string, labels: DeadLetterLabels = {}, n = 1): void {
    if (n > 0) this.dead.inc({ kind, topic: labels.topic ?? '', stage: labels.stage ?? '' }, n);
  }

  /** One commit took `seconds`. */
  unhandledEvents(source: string, type: string, n = 1): void {
    if (n > 0) this.unhandled.inc({ source, type }, n);
  }

  rejected(n = 1): void {
    this.rejections.inc(n);
  }

  commitLatency(seconds: number): void {
    this.commits.observe(seconds);
  }

  /**
   * A command was answered with its committed outcome after `seconds`; without them, refused
   * before any commit (`reused`), which the latency of committed outcomes leaves out.
   */
  command(command: string, outcome: string, seconds?: number): void {
    this.commandCounter.inc({ command, outcome });
    if (seconds !== undefined) this.commandLatency.observe({ command }, seconds);
  }

  /** Starts timing a commit; call the result when it is done. */
  startCommit(): () => void {
    const end = this.commits.startTimer();
    return () => {
      end();
    };
  }

  lag(topic: string, partition: number, records: number): void {
    this.lagGauge.set({ topic, partition: String(partition) }, Math.max(0, records));
  }

  restoreProgress(store: string, task: number | string, restored: number, total: number): void {
    const labels = { store, task: String(task) };
    this.restoredGauge.set(labels, restored);
    this.targetGauge.set(labels, total);
  }

  /** A standby copy kept here; lag and staleness undefined before its first round. */
  standby(task: number | string, lag: number | undefined, stalenessMs: number | undefined): void {
    const labels = { task: String(task) };
    if (lag !== undefined) this.standbyLagGauge.set(labels, lag);
    if (stalenessMs !== undefined) this.standbyStalenessGauge.set(labels, stalenessMs / 1000);
  }

  /** The standby copy is gone (closed, or its task became active here). */
  forgetStandby(task: number | string): void {
    this.standbyLagGauge.remove({ task: String(task) });
    this.standbyStalenessGauge.remove({ task: String(task) });
  }

  storeSize(store: string, task: number | string, rows: number, bytes: number): void {
    const labels = { store, task: String(task) };
    this.rowsGauge.set(labels, rows);
    this.bytesGauge.set(labels, bytes);
  }

  /** A partition moved to another instance: its lag is no longer ours to report. */
  forgetPartition(topic: string, partition: number): void {
    this.lagGauge.remove({ topic, partition: String(partition) });
  }

  /** A task moved away: drop its store and restore series. */
  forgetTask(task: number | string, stores: Iterable<string>): void {
    for (const store of stores) {
      const labels = { store, task: String(task) };
      for (const g of [this.restoredGauge, this.targetGauge, this.rowsGauge, this.bytesGauge])
        g.remove(labels);
    }
  }

  /** The `Content-Type` of `metricsText()`. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition for `/metrics`. */
  metricsText(): Promise<string> {
    return this.registry.metrics();
  }

  /** The runtime's own series as plain values: for the dashboard and `streamfold status`. */
  async snapshot(): Promise<MetricsSnapshot> {
    const byName = new Map((await this.registry.getMetricsAsJSON()).map((m) => [m.name, m.values]));
    const values = (name: string) =>
      (byName.get(name) ?? []) as Array<{
        value: number;
        labels: Record<string, string | number>;
        metricName?: string;
      }>;
    const label = (v: { labels: Record<string, string | number> }, name: string) =>
      String(v.labels[name] ?? '');
    const projections: MetricsSnapshot['projections'] = {};
    const projection = (name: string) => (projections[name] ??= { in: 0, out: 0 });
    for (const v of values(METRIC_NAMES.recordsIn)) projection(label(v, 'projection')).in = v.value;
    for (const v of values(METRIC_NAMES.recordsOut)) projection(label(v, 'projection')).out = v.value;
    const deadLetters: Record<string, number> = {};
    for (const v of values(METRIC_NAMES.deadLetters)) {
      const kind = label(v, 'kind');
      deadLetters[kind] = (deadLetters[kind] ?? 0) + v.value;
    }
    // Two gauges per (store, task) joined into one row.
    const perStore = (first: string, second: string) => {
      const rows = new Map<string, { store: string; task: string; a: number; b: number }>();
      const at = (v: { labels: Record<string, string | number> }) => {
        const id = `${label(v, 'task')}/${label(v, 'store')}`;
        let row = rows.get(id);
        if (!row) rows.set(id, (row = { store: label(v, 'store'), task: label(v, 'task'), a: 0, b: 0 }));
        return row;
      };
      for (const v of values(first)) at(v).a = v.value;
      for (const v of values(second)) at(v).b = v.value;
      return [...rows.values()];
    };
    const commit = values(METRIC_NAMES.commitDuration);
    const find = (suffix: string) =>
      commit.find((v) => v.metricName === `${METRIC_NAMES.commitDuration}${suffix}`)?.value ?? 0;
    return {
      projections,
      deadLetters,
      lag: values(METRIC_NAMES.lag).map((v) => ({
        topic: label(v, 'topic'),
        partition: Number(label(v, 'partition')),
        records: v.value,
      })),
      restore: perStore(METRIC_NAMES.restoreRestored, METRIC_NAMES.restoreTarget).map(
        ({ store, task, a, b }) => ({
          store,
          task,
          restored: a,
          total: b,
        }),
      ),
      stores: perStore(METRIC_NAMES.storeRows, METRIC_NAMES.storeBytes).map(({ store, task, a, b }) => ({
        store,
        task,
        rows: a,
        bytes: b,
      })),
      commits: { count: find('_count'), sumSeconds: find('_sum') },
    };
  }
}

export interface MetricsSnapshot {
  projections: Record<string, { in: number; out: number }>;
  /** Dead-lettered or skipped records by kind, over every topic. */
  deadLetters: Record<string, number>;
  lag: Array<{ topic: string; partition: number; records: number }>;
  restore: Array<{ store: string; task: string; restored: number; total: number }>;
  stores: Array<{ store: string; task: string; rows: number; bytes: number }>;
  commits: { count: number; sumSeconds: number };
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}
