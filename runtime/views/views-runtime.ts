// Materialized views in `streamfold run` (docs/views.md): for each running projection version
// that declares `views.postgres`, one PartitionWriter per output partition whose task this
// instance owns (view-writers.ts: one writer per partition across instances), a bounded pool per
// connection URL, and the stable SQL view pointed at the version queries read (switched when a
// version is promoted). Independent of the projections: a slow or absent database only makes the
// views fall behind. Bad credentials, a missing database or a table that does not match its
// definition are user errors at start (exit 2).
import kafkajs, { type Kafka } from 'kafkajs';
import type pg from 'pg';
import type { Definition } from '../../projections/definition/schema.ts';
import type { DeploymentRecord } from '../../projections/versions/index.ts';
import { kafkaLogCreator } from '../app/kafka-log.ts';
import { topicPartitionKey } from '../stores/checkpoint.ts';
import { KafkaChangelogSource } from '../kafka/restore/kafka-changelog-source.ts';
import type { Logger } from '../log/logger.ts';
import { createPool, isOutage, probe, redactUrl } from './database.ts';
import type { PartitionWriterStatus, ViewTableHandle } from './partition-writer.ts';
import { physicalTable } from './sql.ts';
import { stableViewTarget, switchStableView, tableCaughtUp } from './stable-view.ts';
import { ensureTable } from './table.ts';
import { ViewWriters } from './view-writers.ts';
import { type ViewTarget, viewTargets } from './targets.ts';

/** How long stop() waits for the writers before closing what they may be blocked on. */
const STOP_GRACE_MS = 5_000;

/** What the views need from the deployment (VersionedRuntime). */
export interface ViewDeployment {
  records(): DeploymentRecord[];
  /** The version id queries of `projection` read now. */
  target(projection: string): string | undefined;
  /** The version ids running in this instance. */
  runningIds(): Set<string>;
  /** The tasks of the version's consumer group assigned to this instance now. */
  assignedTasks(id: string): number[];
}

export interface ViewStatus {
  projection: string;
  version: number;
  /** schema.table of the version's rows; `stable` is the SQL view readers query. */
  table: string;
  stable: string;
  /** Whether the stable SQL view reads this version now. */
  current: boolean;
  /** Records of the output topic not yet in the table, over the partitions this instance writes. */
  lag: number;
  /** The partitions this instance writes now (those whose task it owns). */
  partitions: PartitionWriterStatus[];
  /** Batches this instance committed, per partition, since it started. */
  batches: Record<string, number>;
}

export interface ViewsRuntimeOptions {
  definition: Definition;
  brokers: string[];
  deployment: ViewDeployment;
  logger: Logger;
  /** A table stopped matching its definition while running: the run stops. */
  onFatal: (err: Error) => void;
  /** Rows applied, per projection (metrics). */
  onApplied?: (projection: string, rows: number) => void;
  switchCheckMs?: number;
  /** How often the writers follow the task assignment (default 250 ms). */
  assignmentCheckMs?: number;
}

interface RunningView {
  target: ViewTarget;
  pool: pg.Pool;
  handle: ViewTableHandle;
  /** The output topic's partition count. */
  partitions: number;
  writers: ViewWriters;
}

export class ViewsRuntime {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly views: RunningView[] = [];
  private kafka: Kafka | null = null;
  private source: KafkaChangelogSource | null = null;
  private timer: NodeJS.Timeout | null = null;
  private assignmentTimer: NodeJS.Timeout | null = null;
  private switching: Promise<void> | null = null;

  constructor(private readonly options: ViewsRuntimeOptions) {}

  /** Whether the definition declares any view. */
  static wanted(definition: Definition): boolean {
    return Object.values(definition.projections).some((p) => p.views?.postgres !== undefined);
  }

  async start(): Promise<void> {
    const { definition, deployment, logger } = this.options;
    const targets = viewTargets(definition, deployment.records(), deployment.runningIds());
    if (targets.length === 0) return;
    this.kafka = new kafkajs.Kafka({
      clientId: `${definition.application}-views`,
      brokers: this.options.brokers,
      connectionTimeout: 3_000,
      logLevel: kafkajs.logLevel.WARN,
      logCreator: kafkaLogCreator(logger),
    });
    this.source = await KafkaChangelogSource.connect(this.kafka, {
      maxWaitMs: 200,
      maxBytesPerPartition: 1024 * 1024,
    });
    const admin = this.kafka.admin();
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [...new Set(targets.map((t) => t.topic))] });
    await admin.disconnect();
    const partitionsOf = new Map(topics.map((t) => [t.name, t.partitions.length]));

    const reachable = new Map<string, boolean>();
    for (const target of targets) {
      const { url, pool: size } = target.connection;
      let pool = this.pools.get(url);
      if (!pool) {
        pool = createPool(url, size, (err) => logger.warn(`PostgreSQL at ${redactUrl(url)}: ${err.message}`));
        this.pools.set(url, pool);
        const outage = await probe(pool, url);
        reachable.set(url, outage === null);
        if (outage !== null)
          logger.warn(
            `PostgreSQL at ${redactUrl(url)} is unreachable (${outage}); views wait for it, the projections run`,
          );
      }
      const handle = tableHandle(pool, target);
      // A mismatching table is the user's to fix: fail at start while nothing runs yet.
      if (reachable.get(url)) await handle.ready();
      const partitions = partitionsOf.get(target.topic) ?? 0;
      const writers = new ViewWriters({
        id: target.id,
        topic: target.topic,
        partitions,
        handle,
        pool,
        source: this.source,
        logger,
        onFatal: this.options.onFatal,
        onApplied: (rows) => this.options.onApplied?.(target.projection, rows),
      });
      this.views.push({ target, pool, handle, partitions, writers });
      logger.info(
        `view of ${target.id}: ${partitions} partitions into ${target.plan.schema}.${handle.table} (PostgreSQL ${redactUrl(url)}); this instance writes those whose task it owns`,
      );
    }
    await this.switchStableViews().catch((err: unknown) => {
      if (!isOutage(err)) throw err;
    });
    this.followAssignment();
    this.assignmentTimer = setInterval(() => this.followAssignment(), this.options.assignmentCheckMs ?? 250);
    this.assignmentTimer.unref();
    this.timer = setInterval(() => {
      this.switching ??= this.switchStableViews()
        .catch((err: unknown) => {
          if (!isOutage(err)) logger.warn(`switching a view failed: ${(err as Error).message}`);
        })
        .finally(() => {
          this.switching = null;
        });
    }, this.options.switchCheckMs ?? 1000);
    this.timer.unref();
  }

  /** One writer per partition whose task this instance owns (view-writers.ts). */
  private followAssignment(): void {
    for (const v of this.views) v.writers.follow(this.options.deployment.assignedTasks(v.target.id));
  }

  /**
   * Points each stable SQL view at the table of the version queries read (one transaction each),
   * once that table has caught up with its output topic: until then readers keep the old version's
   * complete rows rather than a new version half backfilled. A first view is created at once.
   */
  private async switchStableViews(): Promise<void> {
    for (const v of this.views) {
      const { target, handle, pool } = v;
      if (this.options.deployment.target(target.projection) !== target.id) continue;
      const current = await stableViewTarget(pool, target.plan);
      if (current === handle.table) continue;
      await handle.ready();
      if (current !== undefined && !(await this.caughtUp(v))) continue;
      if (await switchStableView(pool, target.plan, handle.table))
        this.options.logger.info(
          `SQL view ${target.plan.schema}.${target.plan.table} now reads ${handle.table} (${target.id})`,
        );
    }
  }

  /** Whether a view's table holds its output topic up to the end offsets read now. */
  private async caughtUp({ target, handle, pool, partitions }: RunningView): Promise<boolean> {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: target.topic, partition }));
    const ranges = await this.source!.offsets(tps);
    const ends = new Map(tps.map((tp) => [tp.partition, ranges.get(topicPartitionKey(tp))?.end ?? 0]));
    return tableCaughtUp(pool, target.plan, handle.table, ends);
  }

  status(): ViewStatus[] {
    return this.views.map(({ target, writers, handle }) => {
      const partitions = writers.status();
      return {
        projection: target.projection,
        version: target.version,
        table: `${target.plan.schema}.${handle.table}`,
        stable: `${target.plan.schema}.${target.plan.table}`,
        current: this.options.deployment.target(target.projection) === target.id,
        lag: partitions.reduce((sum, p) => sum + Math.max(0, p.end - Math.max(0, p.position)), 0),
        partitions,
        batches: Object.fromEntries(writers.batches),
      };
    });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.assignmentTimer) clearInterval(this.assignmentTimer);
    await this.switching;
    // A writer blocked in a fetch or a query (the database away) ends once the source and pools
    // close under it: wait a little for a clean end, then close them anyway.
    const writers = Promise.all(this.views.map((v) => v.writers.stop()));
    await Promise.race([writers, new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
    await this.source?.close();
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
    await Promise.race([writers, new Promise((r) => setTimeout(r, STOP_GRACE_MS).unref())]);
  }
}

function tableHandle(pool: pg.Pool, target: ViewTarget): ViewTableHandle {
  let ready: Promise<number> | null = null;
  const table = physicalTable(target.plan, target.version);
  return {
    plan: target.plan,
    table,
    ready() {
      ready ??= ensureTable(pool, target.plan, table).catch((err: unknown) => {
        ready = null;
        throw err;
      });
      return ready;
    },
    invalidate() {
      ready = null;
    },
  };
}
