// The query side of `streamfold run`: the HTTP API (keys, scans, status, dashboard), `GET /versions`,
// `/metrics` and `/healthz`/`/readyz`, over every consumer group the runtime runs (the application's
// and one per projection version built beside an active one). It listens before the groups are
// joined, because each group carries this instance's endpoint; `attach` then starts one observer
// per group's application, which feeds metrics and readiness and refreshes ownership on each join.
// A projection name is resolved to one version per request (runtime/versions/route-url.ts).
import kafkajs, { type Admin } from 'kafkajs';
import type { Topology } from '../../projections/graph/topology.ts';
import type { Definition } from '../../projections/definition/schema.ts';
import { type CommandExecutor, hasCommands } from '../commands/index.ts';
import { startQueryApi, type QueryApi } from '../http/mount.ts';
import { commandGateway } from './command-gateway.ts';
import { Feeds } from '../http/feeds/feeds.ts';
import { changeRoutes } from '../http/routes/changes.ts';
import type { RuntimeStandby, RuntimeTask } from '../http/runtime-state-source.ts';
import type { HttpSettings } from '../http/settings.ts';
import type { Logger } from '../log/logger.ts';
import { HealthState } from '../metrics/health.ts';
import { mountMetrics } from '../metrics/http.ts';
import { type DeadLetterLabels, Metrics } from '../metrics/metrics.ts';
import { versionedUrl } from '../versions/route-url.ts';
import { GroupsHealth } from './groups-health.ts';
import { type ObservedApp, type ObservedTask, RuntimeObserver } from './observer.ts';

/** What the service reads from the runtime (runtime/versions/versioned-runtime.ts). */
export interface ServedRuntime {
  readonly application: string;
  readonly switchMode: string;
  /** Every group this instance runs, the application's own first. */
  groups(): Array<{ group: string; topology: Topology }>;
  /** The projection id a query for `projection` (at `version`) reads now. */
  target(projection: string, version?: number): string | undefined;
  /** GET /versions: every recorded version with its state and catch-up. */
  versions(): unknown[];
}

export interface QueryServiceOptions {
  runtime: ServedRuntime;
  brokers: string[];
  settings: HttpSettings;
  /** Host other instances reach this one at, when binding a wildcard address. */
  advertisedHost?: string;
  logger: Logger;
  version?: string;
  /** Observer poll interval (ms, default 500). */
  pollMs?: number;
  /** How often each group's ownership map is re-read (ms, default 1000). */
  ownershipPollMs?: number;
  /** The definition: its commands are served at POST /commands/{name} (runtime/commands/). */
  definition?: Definition;
}

/** A group's application as the query service sees it: its tasks serve reads, the observer watches it. */
export interface ServedApp extends ObservedApp {
  taskMap(): ReadonlyMap<number, ObservedTask & RuntimeTask>;
  /** The application group's command executor (null in other groups, or without commands). */
  readonly commands?: CommandExecutor | null;
  /** Standby copies kept here (runtime/standby/StandbyTasks). */
  readonly standbys?: NonNullable<ObservedApp['standbys']> & {
    tasks: ReadonlyMap<number, RuntimeStandby>;
    warmupIds(): ReadonlySet<number>;
  };
}

/**
 * Partitions of a group's application (tasks): the largest source partition count, the runtime's
 * rule (runtime/app/topic-plan.ts). Counts the topics that exist: the runtime checked the
 * definition's sources before, and another group's output topic has the same count.
 */
export async function taskCountOf(admin: Admin, topology: Topology): Promise<number> {
  const existing = new Set(await admin.listTopics());
  const sources = [...new Set(topology.sources.map((s) => s.topic))].filter((t) => existing.has(t));
  if (sources.length === 0) return 1;
  const { topics } = await admin.fetchTopicMetadata({ topics: sources });
  return Math.max(1, ...topics.map((t) => t.partitions.length));
}

/** Change feeds over every group's projections that write a topic (GET /projections/{name}/changes). */
function feedsOf(
  kafka: kafkajs.Kafka,
  admin: Admin,
  groups: Array<{ topology: Topology }>,
  logger: Logger,
): Feeds {
  const topics = new Map(
    groups.flatMap((g) => g.topology.projections.map((p) => [p.name, p.topic] as const)),
  );
  return new Feeds({
    kafka,
    topicOf: (projection) => topics.get(projection),
    maxBufferedBytes: intFromEnv('STREAMFOLD_FEED_BUFFER_BYTES', 1024),
    stallMs: intFromEnv('STREAMFOLD_FEED_STALL_MS', 100),
    partitionsOf: async (topic) =>
      (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length,
    logger,
  });
}

/** A change-feed limit from the environment (docs/http.md, "Change feeds"); unset: the default. */
function intFromEnv(name: string, min: number): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer of at least ${min}`);
  return n;
}

/** One group as served: the application and its observer exist after the server listens. */
interface Served {
  group: string;
  topology: Topology;
  app?: ServedApp;
  observer?: RuntimeObserver;
}

export class QueryService {
  private readonly groupsHealth: GroupsHealth;

  private constructor(
    private readonly options: QueryServiceOptions,
    private readonly groups: Served[],
    private readonly admin: Admin,
    private readonly api: QueryApi,
    readonly metrics: Metrics,
    /** What /healthz and /readyz answer from. */
    readonly health: HealthState,
  ) {
    this.groupsHealth = new GroupsHealth(
      health,
      groups.map((g) => g.group),
    );
  }

  /** Listens. Call after runtime.prepare() (the groups are known) and before it starts them. */
  static async start(options: QueryServiceOptions): Promise<QueryService> {
    const { runtime } = options;
    const kafka = new kafkajs.Kafka({
      clientId: `${runtime.application}-query`,
      brokers: options.brokers,
      logLevel: kafkajs.logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    let api: QueryApi | undefined;
    try {
      const groups: Served[] = runtime.groups().map((g) => ({ group: g.group, topology: g.topology }));
      const health = new HealthState();
      const metrics = new Metrics({ application: runtime.application, health });
      const views = { status: (): unknown[] => [] };
      const apiGroups = [];
      for (const g of groups)
        apiGroups.push({
          topology: g.topology,
          partitions: await taskCountOf(admin, g.topology),
          tasks: () => g.app?.taskMap() ?? new Map(),
          standbys: () => g.app?.standbys?.tasks ?? new Map(),
          warmups: () => g.app?.standbys?.warmupIds() ?? new Set<number>(),
          describeGroup: async () => (await admin.describeGroups([g.group])).groups[0],
          endOffset: (topic: string, partition: number) => g.observer?.endOffset(topic, partition),
        });
      const primary = groups.find((g) => g.group === runtime.application);
      const commands =
        options.definition && hasCommands(options.definition)
          ? commandGateway(options.definition, () => primary?.app?.commands)
          : undefined;
      api = await startQueryApi({
        groups: apiGroups,
        commands,
        settings: options.settings,
        advertisedHost: options.advertisedHost,
        ownershipPollMs: options.ownershipPollMs,
        health,
        rewriteUrl: (url) => versionedUrl(url, (p, v) => runtime.target(p, v)),
        mount: (app) => {
          mountMetrics(app, metrics);
          changeRoutes(app, feedsOf(kafka, admin, groups, options.logger));
          app.get('/versions', async () => ({ switch: runtime.switchMode, versions: runtime.versions() }));
        },
        version: options.version,
        views: () => views.status(),
      });
      const service = new QueryService(options, groups, admin, api, metrics, health);
      service.views = views;
      return service;
    } catch (err) {
      await api?.close().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** What /projections lists under `views` (set once the views started). */
  private views = { status: (): unknown[] => [] };

  /** Materialized views' status, listed by GET /projections (runtime/views). */
  showViews(status: () => unknown[]): void {
    this.views.status = status;
  }

  /** The URL this instance advertises to its groups (ApplicationOptions.endpoint). */
  get endpoint(): string {
    return this.api.endpoint;
  }

  /** Serves a group's tasks and starts watching its application (before it starts). */
  attach(group: string, app: ServedApp): void {
    const served = this.groups.find((g) => g.group === group);
    if (!served) throw new Error(`the query service does not serve the group ${group}`);
    served.app = app;
    const primary = group === this.options.runtime.application;
    const observer = new RuntimeObserver({
      app,
      topology: served.topology,
      metrics: this.metrics,
      health: this.groupsHealth.of(group),
      // The application's tasks keep their plain ids (as before versions); other groups' are prefixed.
      ...(primary ? {} : { taskLabel: (task: number) => `${group}/${task}` }),
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
    served.observer = observer;
    observer.start();
  }

  /** Every group joined and runs. */
  started(): void {
    this.health.started();
    for (const g of this.groups) void g.observer?.poll();
  }

  /** For dead letters (the applications' onDeadLetter hook). */
  deadLetter(kind: string, labels: DeadLetterLabels): void {
    this.metrics.deadLetter(kind, labels);
  }

  /** For the applications' commit hook: one commit took `seconds`. */
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
    for (const g of this.groups) await g.observer?.stop();
    await this.api.close();
    await this.admin.disconnect().catch(() => undefined);
  }
}
