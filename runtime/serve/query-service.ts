// The query side of `streamfold run`: the HTTP API (keys, scans, status, dashboard), `/metrics`
// and `/healthz`/`/readyz`, mounted before the application joins its group because the group
// carries this instance's endpoint. Once the application exists, `attach` starts the observer that
// feeds metrics and readiness and refreshes ownership on each join.
import kafkajs, { type Admin } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { compileTopology } from '../../projections/graph/compile.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { startQueryApi, type QueryApi } from '../http/mount.ts';
import type { RuntimeTask } from '../http/runtime-state-source.ts';
import type { HttpSettings } from '../http/settings.ts';
import type { Logger } from '../log/logger.ts';
import { HealthState } from '../metrics/health.ts';
import { mountMetrics } from '../metrics/http.ts';
import { type DeadLetterLabels, Metrics } from '../metrics/metrics.ts';
import { type ObservedApp, type ObservedTask, RuntimeObserver } from './observer.ts';

export interface QueryServiceOptions {
  definition: Definition;
  brokers: string[];
  settings: HttpSettings;
  /** Host other instances reach this one at, when binding a wildcard address. */
  advertisedHost?: string;
  logger: Logger;
  version?: string;
  /** Observer poll interval (ms, default 500). */
  pollMs?: number;
}

/** The application as the query service sees it: its tasks serve reads, the observer watches it. */
export interface ServedApp extends ObservedApp {
  taskMap(): ReadonlyMap<number, ObservedTask & RuntimeTask>;
}

/**
 * Partitions of the application (tasks): the largest source partition count, the runtime's rule
 * (runtime/app/topic-plan.ts). Undefined when a source topic is missing: the application's start
 * reports that.
 */
export async function taskCountOf(admin: Admin, topology: Topology): Promise<number | undefined> {
  const sources = [...new Set(topology.sources.map((s) => s.topic))];
  const existing = new Set(await admin.listTopics());
  if (sources.some((t) => !existing.has(t))) return undefined;
  const { topics } = await admin.fetchTopicMetadata({ topics: sources });
  return Math.max(1, ...topics.map((t) => t.partitions.length));
}

/** What the routes read lazily: the application and its observer exist after the server listens. */
interface Holder {
  app?: ServedApp;
  observer?: RuntimeObserver;
}

export class QueryService {
  private constructor(
    private readonly options: QueryServiceOptions,
    private readonly topology: Topology,
    private readonly admin: Admin,
    private readonly api: QueryApi,
    private readonly holder: Holder,
    readonly metrics: Metrics,
    /** What /healthz and /readyz answer from. */
    readonly health: HealthState,
  ) {}

  /** Listens; undefined when the source topics are missing (the application's start says so). */
  static async start(options: QueryServiceOptions): Promise<QueryService | undefined> {
    const topology = compileTopology(options.definition);
    const kafka = new kafkajs.Kafka({
      clientId: `${options.definition.application}-query`,
      brokers: options.brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    let api: QueryApi | undefined;
    try {
      const partitions = await taskCountOf(admin, topology);
      if (partitions === undefined) {
        await admin.disconnect();
        return undefined;
      }
      const holder: Holder = {};
      const health = new HealthState();
      const metrics = new Metrics({ application: options.definition.application, health });
      api = await startQueryApi({
        topology,
        partitions,
        tasks: () => holder.app?.taskMap() ?? new Map(),
        describeGroup: async () => (await admin.describeGroups([options.definition.application])).groups[0],
        settings: options.settings,
        advertisedHost: options.advertisedHost,
        endOffset: (topic, partition) => holder.observer?.endOffset(topic, partition),
        health,
        mount: (app) => mountMetrics(app, metrics),
        version: options.version,
      });
      return new QueryService(options, topology, admin, api, holder, metrics, health);
    } catch (err) {
      await api?.close().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** The URL this instance advertises to the group (ApplicationOptions.endpoint). */
  get endpoint(): string {
    return this.api.endpoint;
  }

  /** Serves the application's tasks and starts watching it (before app.start()). */
  attach(app: ServedApp): void {
    this.holder.app = app;
    const observer = new RuntimeObserver({
      app,
      topology: this.topology,
      metrics: this.metrics,
      health: this.health,
      endOffsets: async (topic) =>
        new Map((await this.admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)])),
      onJoin: () => void this.api.refreshOwnership(),
      intervalMs: this.options.pollMs,
      onError: (err) =>
        this.options.logger.debug(
          { err: err instanceof Error ? err.message : String(err) },
          'metrics poll failed',
        ),
    });
    this.holder.observer = observer;
    observer.start();
  }

  /** The application joined its group and runs. */
  started(): void {
    this.health.started();
    void this.holder.observer?.poll();
  }

  /** For dead letters (the application's onDeadLetter hook). */
  deadLetter(kind: string, labels: DeadLetterLabels): void {
    this.metrics.deadLetter(kind, labels);
  }

  /** For the application's commit hook: one commit took `seconds`. */
  commitLatency(seconds: number): void {
    this.metrics.commitLatency(seconds);
  }

  fail(reason: string): void {
    this.health.fail(reason);
  }

  /** Stopping: not ready any more (load balancers drain this instance while it commits). */
  stopping(): void {
    this.health.stopping();
  }

  async close(): Promise<void> {
    this.health.stopped();
    await this.holder.observer?.stop();
    await this.api.close();
    await this.admin.disconnect().catch(() => undefined);
  }
}
