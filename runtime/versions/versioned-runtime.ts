// The runtime with projection versions (docs/versions.md): reads `<app>-deployments`, plans the
// deployment (the YAML's versions + older versions still active), runs one Application per consumer
// group, switches queries to a building version once it caught up (versions.switch: auto), and
// follows the deployments topic so promotions made elsewhere reach this instance's query API.
import { runtimeDefinition } from '../commands/index.ts';
import { join } from 'node:path';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { compileTopology } from '../../projections/graph/compile.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import {
  autoSwitches,
  type DeploymentRecord,
  type GroupDefinition,
  planDeployment,
  queryTarget,
  splitGroups,
  type SwitchMode,
  versionResources,
} from '../../projections/versions/index.ts';
import { Application, type ApplicationOptions } from '../app/application.ts';
import { kafkaLogCreator } from '../app/kafka-log.ts';
import { checkSourceTopics, connectAdmin } from '../app/preflight.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { type CatchUp, catchUp } from './catch-up.ts';
import { clearStores } from './cleanup.ts';
import { DeploymentsLog } from './deployments-log.ts';

const { logLevel } = kafkajs;

export interface VersionedRuntimeOptions extends Omit<ApplicationOptions, 'definition'> {
  /** The YAML's definition (versions as declared). */
  definition: Definition;
  /** Default: versions.switch of the definition, else auto. */
  switchMode?: SwitchMode;
  /** How often building versions are checked and the deployments topic is read (default 1000 ms). */
  pollMs?: number;
  /** Options for the application of one group (tests slow a group down). */
  groupOptions?: (group: string) => Partial<ApplicationOptions>;
}

export interface VersionStatus {
  projection: string;
  version: number;
  id: string;
  state: DeploymentRecord['state'];
  group: string;
  /** Whether this instance runs it. */
  running: boolean;
  /** Building or active versions run here: records behind, from the group's committed offsets. */
  lag?: number;
  caughtUp?: boolean;
  deployedAt: number;
  activatedAt?: number;
}

export class VersionedRuntime {
  readonly apps = new Map<string, Application>();
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private admin: Admin | null = null;
  private log: DeploymentsLog | null = null;
  private groupDefs: GroupDefinition[] = [];
  private readonly topologies = new Map<string, Topology>();
  private readonly catchUps = new Map<string, CatchUp>();
  private timer: NodeJS.Timeout | null = null;
  private checking: Promise<void> | null = null;
  readonly switchMode: SwitchMode;
  /** Resolves when an application of any group stops by itself (a fatal error). */
  readonly failed: Promise<Error>;
  private fatal!: (err: Error) => void;

  constructor(private readonly options: VersionedRuntimeOptions) {
    this.failed = new Promise((resolve) => {
      this.fatal = resolve;
    });
    this.logger = options.logger ?? silentLogger();
    this.switchMode = options.switchMode ?? options.definition.versions?.switch ?? 'auto';
    this.kafka = new kafkajs.Kafka({
      clientId: `${options.definition.application}-versions`,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    });
  }

  get application(): string {
    return this.options.definition.application;
  }

  /**
   * Reads the deployments, records this deployment and compiles every group. Throws
   * DeploymentError when the YAML breaks a version rule, UserError when the brokers do not answer
   * or a source topic is missing (checked before anything is written). Call before start(); the
   * query API needs the topologies before the groups are joined.
   */
  async prepare(): Promise<GroupDefinition[]> {
    this.admin = await connectAdmin(this.kafka, this.options.brokers, this.options.connectTimeoutMs);
    checkSourceTopics(
      Object.entries(this.options.definition.sources).map(([name, s]) => ({ name, topic: s.topic })),
      new Set(await this.admin.listTopics()),
    );
    this.log = await DeploymentsLog.open(this.kafka, this.admin, this.application);
    const plan = planDeployment(this.options.definition, this.log.all(), Date.now());
    await this.log.write(plan.writes);
    for (const w of plan.writes)
      this.logger.info(
        { projection: w.projection, version: w.version, state: w.state },
        `version ${w.version} of ${w.projection}: ${w.state}`,
      );
    this.groupDefs = splitGroups(plan.definition, plan.running);
    // A version cleaned up while this instance ran its group: its stores go before the group opens them.
    for (const r of this.log.all()) {
      if (r.state !== 'removed' || !this.groupDefs.some((g) => g.group === r.group)) continue;
      const { stores } = versionResources(this.application, this.log.all(), r.id);
      await clearStores(join(this.options.stateDir, r.group), stores);
    }
    for (const g of this.groupDefs)
      this.topologies.set(
        g.group,
        // as the Application compiles it: commands run in the application's own group only
        compileTopology(g.group === this.application ? runtimeDefinition(g.definition) : g.definition),
      );
    return this.groupDefs;
  }

  /** One compiled topology per group. */
  groups(): Array<{ group: string; topology: Topology; app: () => Application | undefined }> {
    return this.groupDefs.map((g) => ({
      group: g.group,
      topology: this.topologies.get(g.group)!,
      app: () => this.apps.get(g.group),
    }));
  }

  /**
   * Starts every group (the application's first, then versions in deployment order). `endpoint`:
   * the query API's URL, advertised to every group (known only once the API listens).
   * `beforeStart` sees each group's application before it joins (the query service observes it).
   */
  async start(
    endpoint?: string | null,
    beforeStart?: (group: string, app: Application) => void,
  ): Promise<void> {
    if (!this.log) await this.prepare();
    for (const g of this.groupDefs) {
      const app = new Application({
        ...this.options,
        groupId: g.group,
        ...(endpoint !== undefined ? { endpoint } : {}),
        definition: g.definition,
        ...this.options.groupOptions?.(g.group),
      });
      this.apps.set(g.group, app);
      beforeStart?.(g.group, app);
      void app.failed.then((err) => this.fatal(err));
      await app.start();
    }
    this.log!.follow(this.options.pollMs ?? 1000);
    this.timer = setInterval(() => {
      this.checking ??= this.check()
        .catch((err: unknown) => this.logger.warn({ err: String(err) }, 'version check failed'))
        .finally(() => {
          this.checking = null;
        });
    }, this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** The version ids this instance runs (in any of its groups). */
  runningIds(): Set<string> {
    return new Set([...this.topologies.values()].flatMap((t) => t.projections.map((p) => p.name)));
  }

  /** The tasks of `id`'s consumer group assigned to this instance (none when it does not run here). */
  assignedTasks(id: string): number[] {
    const record = this.records().find((r) => r.id === id);
    return (record && this.apps.get(record.group)?.assignedTaskIds()) ?? [];
  }

  /** Every recorded version (the deployments topic as this instance last read it). */
  records(): DeploymentRecord[] {
    return this.log?.all() ?? [];
  }

  /** The version id a query for `projection` (at `version`) reads now. */
  target(projection: string, version?: number): string | undefined {
    return queryTarget(this.records(), projection, version);
  }

  versions(): VersionStatus[] {
    return this.records()
      .map((r) => {
        const c = this.catchUps.get(r.id);
        const running = this.topologies.get(r.group)?.projections.some((p) => p.name === r.id) ?? false;
        return {
          projection: r.projection,
          version: r.version,
          id: r.id,
          state: r.state,
          group: r.group,
          running,
          ...(c ? { lag: c.lag, caughtUp: c.caughtUp } : {}),
          deployedAt: r.deployedAt,
          ...(r.activatedAt !== undefined ? { activatedAt: r.activatedAt } : {}),
        };
      })
      .sort((a, b) => a.projection.localeCompare(b.projection) || a.version - b.version);
  }

  /** Measures catch-up of the versions run here and, in auto mode, switches those that caught up. */
  async check(): Promise<void> {
    await this.log!.poll();
    for (const r of this.records()) {
      if (r.state !== 'building' && r.state !== 'active') continue;
      const app = this.apps.get(r.group);
      if (!app) continue;
      const topics = [
        ...new Set(
          app.topology.subTopologies
            .filter((s) => s.projection === r.id)
            .flatMap((s) => s.inputs.map((i) => i.topic)),
        ),
      ];
      if (topics.length === 0) continue;
      const c = await catchUp(this.admin!, r.group, topics);
      // Queries go where the rows are: this instance's tasks of the group must have restored.
      const tasks = app.status().tasks;
      c.caughtUp &&= tasks.length > 0 && tasks.every((t) => t.state === 'running');
      this.catchUps.set(r.id, c);
    }
    if (this.switchMode !== 'auto') return;
    const writes = autoSwitches(this.records(), (id) => this.catchUps.get(id)?.caughtUp === true, Date.now());
    if (writes.length === 0) return;
    await this.log!.write(writes);
    for (const w of writes)
      this.logger.info(
        { projection: w.projection, version: w.version },
        `version ${w.version} of ${w.projection}: ${w.state}`,
      );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking;
    for (const app of [...this.apps.values()].reverse()) await app.stop();
    await this.log?.close();
    await this.admin?.disconnect();
  }
}
