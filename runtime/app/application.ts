// The application: config → topology → topics → consumer group → tasks, and its lifecycle.
//
//   start(): compile the topology, check the source topics (they must exist) and co-partitioning,
//            create missing internal topics, join the group (one group = the application id,
//            StreamfoldTaskAssignor: task p = partition p of every input topic).
//   on each assignment (GROUP_JOIN): pause every assigned partition at once; then revoked tasks are
//            rolled back and closed, kept tasks are rolled back to their last commit and their
//            input rewound to it, new tasks restore their stores from the changelogs in the
//            background (the paused consumer keeps heartbeating) and resume when caught up.
//   eachBatch: decode + process into the task's write cache and output buffer.
//   commit:   every commitIntervalMs, when a task's pending rows pass a threshold, when a
//            rebalance is announced, and on stop (docs/runtime.md, "Commit protocol").
//   stop():  stop consuming, commit, leave the group, close the stores.
import '../kafka/producer-patch/index.ts'; // before kafkajs: see there
import '../kafka/fetch-patch/index.ts'; // before the first fetch: see there
import { CachedDefaultPartitioner } from '../kafka/producer-patch/cached-partitioner.ts';
import kafkajs, { type Consumer, type Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { compileTopology } from '../../projections/graph/compile.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { TopologyError } from '../../projections/operators/types.ts';
import {
  changelogTopic,
  checkCoPartitioning,
  ensureTopics,
  TopicMismatchError,
} from '../kafka/admin/index.ts';
import { taskAssignor } from '../kafka/group/assignor.ts';
import { type ChangelogSource, KafkaChangelogSource, restoreStores } from '../kafka/restore/index.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { stateDirectory, TaskStores } from '../stores/index.ts';
import { logAndSkip, PoisonCounter, type PoisonHandler, textHeaders } from '../formats/index.ts';
import { outputEncoder } from '../formats/registry/index.ts';
import { DeadLetterBuffer, type DeadLetterKind, deadLetterTopics, kindOfPoison } from '../dlq/index.ts';
import { DedupPurger, dedupStores } from '../../projections/dedup/index.ts';
import { names } from '../../projections/graph/names.ts';
import {
  AtLeastOnceTransport,
  type CommitTransport,
  ExactlyOnceTransport,
  storeNames,
  Task,
  type TaskCommit,
  type TopicRoute,
  topicRoutes,
} from '../tasks/index.ts';
import { describeError, UserError } from './errors.ts';
import { kafkaLogCreator } from './kafka-log.ts';
import { Mutex } from './mutex.ts';
import { type ProgressMode, RestoreReporter } from './restore-progress.ts';
import { checkSourceTopics, connectAdmin } from './preflight.ts';
import { configureEntityChecks, withMisrouteWarnings } from '../sources/index.ts';
import { planTopics, type TopicPlan } from './topic-plan.ts';

const { logLevel } = kafkajs;

/** Dedup entries a purge looks at per task and commit: bounded work, however large the store. */
const DEDUP_PURGE_SLICE = 256;

export interface ApplicationOptions {
  definition: Definition;
  brokers: string[];
  /** Root of the state: task p of group g (default: the application id) lives in `<stateDir>/<g>/<p>`. */
  stateDir: string;
  logger?: Logger;
  /** Default: processing.commitIntervalMs of the definition (100 ms). */
  commitIntervalMs?: number;
  /** Commit a task early when its uncommitted rows + buffered records reach this (default 20 000). */
  maxPendingPerTask?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  rebalanceTimeoutMs?: number;
  /** How long to try to reach the brokers at start (default 6 s). */
  connectTimeoutMs?: number;
  /** Restore progress as a TTY bar or log lines (default: bar when stderr is a TTY). */
  progress?: ProgressMode;
  /**
   * Also told about every record that fails (it still goes to the dead-letter topic, is logged and
   * counted): tests record them here.
   */
  onPoison?: PoisonHandler;
  /** Called once per dead letter (metrics): its kind, the topic the record came from, the stage. */
  onDeadLetter?: (kind: DeadLetterKind, topic: string, stage: 'decode' | 'process' | 'output') => void;
  /** Called after each completed commit with its duration in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /** Wraps the changelog reader (tests slow it down to stretch a restore). */
  wrapChangelogSource?: (source: ChangelogSource) => ChangelogSource;
  /** The HTTP endpoint this instance advertises to the group (issue: queries over HTTP). */
  endpoint?: string | null;
  /**
   * The consumer group, also naming the local state directory and the transactional ids (default:
   * the application id). Projection versions built beside an active one run in a group of their own.
   */
  groupId?: string;
}

export interface TaskStatus {
  id: number;
  state: Task['state'];
  positions: Record<string, number>;
  processed: number;
}

export interface ApplicationStatus {
  memberId: string | null;
  /** Group joins of this instance: 1 after start, +1 per rebalance. */
  joins: number;
  tasks: TaskStatus[];
  processed: number;
  poison: number;
  /** Dead letters produced (or pending in an open commit) since start. */
  deadLetters: number;
  commits: number;
  failedCommits: number;
  guarantee: 'at_least_once' | 'exactly_once';
}

type AppState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export class Application {
  readonly topology: Topology;
  readonly poison = new PoisonCounter();
  /** Dead letters per kind since start (what metrics read). */
  readonly deadLetterCounts = new Map<DeadLetterKind, number>();
  /** One entry per finished restore, for status pages and benchmarks. */
  readonly restoreLog: Array<{ task: number; records: number; ms: number; at: number }> = [];
  /** Called once per processed input record (tests count re-reads with it). */
  onProcessed?: (topic: string, partition: number, offset: number) => void;

  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly routes: Map<string, TopicRoute>;
  private readonly projections: Map<string, { topic: string | null; kind: 'stream' | 'table' }>;
  private readonly stores: string[];
  private readonly lock = new Mutex();
  private readonly tasks = new Map<number, Task>();
  private readonly restores = new Map<number, { abort: AbortController; done: Promise<unknown> }>();
  private readonly onPoison: PoisonHandler;
  private readonly exactlyOnce: boolean;
  /** Per task: dead letters of the records processed since its last commit. */
  private readonly deadLetterBuffers = new Map<number, DeadLetterBuffer>();
  /** Per task: its dedup stores' purgers (expired event ids removed in bounded slices at commit). */
  private readonly purgers = new Map<number, DedupPurger[]>();
  /** Per task: the input topics it was assigned (a re-sync restarts it with them). */
  private readonly taskTopics = new Map<number, string[]>();
  /** Output topic → encoder, for projections whose output has a registry format. */
  private readonly encoders = new Map<
    string,
    { projection: string; encode: (v: Record<string, unknown>) => Promise<Buffer> }
  >();
  private readonly commitIntervalMs: number;
  private readonly maxPending: number;
  private state: AppState = 'new';
  private admin: ReturnType<Kafka['admin']> | null = null;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private transport: CommitTransport | null = null;
  private reporter: RestoreReporter;
  private timer: NodeJS.Timeout | null = null;
  private topicPlan: TopicPlan | null = null;
  private memberId: string | null = null;
  private joins = 0;
  private commits = 0;
  private failedCommits = 0;
  private processedTotal = 0;
  private lastCommitAt = 0;
  /** The Kafka/LevelDB half of the commit being made, while processing goes on (commitTasks). */
  private commitInFlight: Promise<void> | null = null;
  private fatal: ((err: Error) => void) | null = null;
  /** Resolves when the application stops by itself (a fatal error). */
  readonly failed: Promise<Error>;

  constructor(private readonly options: ApplicationOptions) {
    this.logger = options.logger ?? silentLogger();
    try {
      this.topology = compileTopology(options.definition);
    } catch (err) {
      if (err instanceof TopologyError) throw new UserError(err.message);
      throw err;
    }
    this.exactlyOnce = options.definition.processing?.guarantee === 'exactly_once';
    for (const p of this.topology.projections) {
      const encode = p.topic ? outputEncoder(options.definition, p.name) : undefined;
      if (!encode || !p.topic) continue;
      if (this.topology.subTopologies.some((s) => s.inputs.some((i) => i.topic === p.topic)))
        throw new UserError(
          `projections.${p.name}.output.format: another projection reads ${p.topic}; internal feeds are JSON (drop the format or read the projection by name)`,
        );
      this.encoders.set(p.topic, { projection: p.name, encode });
    }
    this.routes = topicRoutes(this.topology, options.definition);
    this.projections = new Map(
      this.topology.projections.map((p) => [p.name, { topic: p.topic, kind: p.kind }]),
    );
    this.stores = storeNames(this.topology);
    this.commitIntervalMs =
      options.commitIntervalMs ?? options.definition.processing?.commitIntervalMs ?? 100;
    this.maxPending = options.maxPendingPerTask ?? 20_000;
    const log = withMisrouteWarnings(this.logger, logAndSkip(this.logger, this.poison), (p) =>
      this.poison.count(p),
    );
    this.onPoison = (p) => {
      log(p);
      this.deadLetter(p.task).addPoison(p, p.projection);
      this.countDeadLetter(kindOfPoison(p.kind), p.raw.topic, p.stage);
      options.onPoison?.(p);
    };
    this.reporter = new RestoreReporter(
      this.logger,
      options.progress ?? (process.stderr.isTTY ? 'bar' : 'log'),
    );
    this.kafka = new kafkajs.Kafka({
      clientId: options.definition.kafka?.clientId ?? options.definition.application,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    });
    this.failed = new Promise((resolve) => {
      this.fatal = resolve;
    });
  }

  get application(): string {
    return this.options.definition.application;
  }

  /** The consumer group (ApplicationOptions.groupId). */
  get groupId(): string {
    return this.options.groupId ?? this.application;
  }

  /** Checks topics, creates internal ones, joins the group. Throws UserError for user mistakes. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('an application starts once');
    this.state = 'starting';
    try {
      await this.connectAdmin();
      this.topicPlan = await this.prepareTopics();
      await this.startClients(this.topicPlan);
      this.timer = setInterval(
        () => void this.commitOnTimer(),
        Math.max(10, Math.floor(this.commitIntervalMs / 2)),
      );
      this.state = 'running';
    } catch (err) {
      this.state = 'failed';
      await this.closeClients();
      throw err;
    }
  }

  status(): ApplicationStatus {
    const tasks = [...this.tasks.values()]
      .sort((a, b) => a.id - b.id)
      .map((t) => ({
        id: t.id,
        state: t.state,
        positions: Object.fromEntries(t.positions),
        processed: t.counters.processed,
      }));
    return {
      memberId: this.memberId,
      joins: this.joins,
      tasks,
      processed: this.processedTotal,
      poison: this.poison.total,
      deadLetters: [...this.deadLetterCounts.values()].reduce((a, b) => a + b, 0),
      guarantee: this.exactlyOnce ? 'exactly_once' : 'at_least_once',
      commits: this.commits,
      failedCommits: this.failedCommits,
    };
  }

  /** The tasks this instance runs now, by partition number (for the query API and status pages). */
  taskMap(): ReadonlyMap<number, Task> {
    return this.tasks;
  }

  /** The tasks this instance runs now (restoring or running). */
  taskIds(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  /** The tasks assigned to this instance, including those still opening their stores (readiness). */
  assignedTaskIds(): number[] {
    return [...new Set([...this.tasks.keys(), ...this.restores.keys()])].sort((a, b) => a - b);
  }

  /**
   * True when every task runs, nothing is uncommitted, and every assigned input partition has been
   * processed up to its end offset. Tests and benchmarks wait for this.
   */
  async caughtUp(): Promise<boolean> {
    if (this.state !== 'running' || !this.admin || this.tasks.size === 0) return false;
    const tasks = [...this.tasks.values()];
    if (tasks.some((t) => t.state !== 'running' || t.needsCommit)) return false;
    const ends = new Map<string, Map<number, number>>();
    for (const topic of this.topicPlan!.inputs) {
      const offsets = await this.admin.fetchTopicOffsets(topic);
      ends.set(topic, new Map(offsets.map((o) => [o.partition, Number(o.high)])));
    }
    for (const t of tasks) {
      for (const [topic, byPartition] of ends) {
        const end = byPartition.get(t.id);
        if (end === undefined) continue;
        if ((t.positions.get(topic) ?? 0) < end) return false;
      }
    }
    return true;
  }

  /** Stops consuming, commits, leaves the group and closes the stores. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (wasRunning && this.consumer) {
      this.pauseAll();
      try {
        await this.lock.run(async () => {
          await this.commitTasks([...this.tasks.values()]);
          await this.settleCommit();
        });
      } catch (err) {
        this.logger.error({ err: describeError(err) }, 'the final commit failed');
      }
    }
    await this.closeClients();
    this.state = 'stopped';
    this.logger.info('stopped');
  }

  // ---- start ----

  private async connectAdmin(): Promise<void> {
    this.admin = await connectAdmin(this.kafka, this.options.brokers, this.options.connectTimeoutMs);
  }

  private async prepareTopics(): Promise<TopicPlan> {
    const admin = this.admin!;
    const existing = new Set(await admin.listTopics());
    const sources = [...new Set(this.topology.sources.map((s) => s.topic))];
    checkSourceTopics(this.topology.sources, existing);
    const { topics } = await admin.fetchTopicMetadata({ topics: sources });
    const counts = new Map(topics.map((t) => [t.name, t.partitions.length]));
    configureEntityChecks(this.routes.values(), counts); // source records are checked against these
    const plan = planTopics(this.topology, counts);
    try {
      const result = await ensureTopics(admin, plan.internal);
      if (result.created.length > 0)
        this.logger.info({ topics: result.created }, `created ${result.created.length} internal topics`);
      await checkCoPartitioning(admin, plan.coPartitioned);
      await this.ensureDeadLetterTopics();
    } catch (err) {
      if (err instanceof TopicMismatchError) throw new UserError(err.message.replaceAll('\n', '; '));
      throw err;
    }
    await this.awaitLeaders(plan.inputs);
    this.logger.info({ tasks: plan.taskCount, inputs: plan.inputs.length }, `${plan.taskCount} tasks`);
    return plan;
  }

  /**
   * Freshly created topics answer ListOffsets with NOT_LEADER for a moment; the kafkajs consumer
   * reacts to that with a rejoin, so joining before the leaders settle costs a burst of rebalances.
   */
  private async awaitLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const topic of topics) {
      for (;;) {
        try {
          await this.admin!.fetchTopicOffsets(topic);
          break;
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  }

  private async startClients(plan: TopicPlan): Promise<void> {
    // Exactly-once writes through one transactional producer per task (ExactlyOnceTransport).
    const producer = this.exactlyOnce
      ? null
      : this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: CachedDefaultPartitioner,
        });
    await producer?.connect();
    this.producer = producer;

    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      partitionAssigners: [
        taskAssignor(() => ({ endpoint: this.options.endpoint ?? null, tasks: this.taskIds() })),
      ],
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 30_000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: 1024 * 1024,
      maxWaitTimeInMs: 100,
      readUncommitted: false,
    });
    this.consumer = consumer;
    this.transport = producer
      ? new AtLeastOnceTransport(producer, consumer)
      : new ExactlyOnceTransport({
          kafka: this.kafka,
          application: this.groupId,
          groupId: this.groupId,
        });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      this.onGroupJoin(payload.memberId, payload.memberAssignment),
    );
    // Batches of only control records (transaction markers) or aborted records never reach
    // eachBatch; kafkajs reports them here. Moving the task past them lets its committed offsets
    // reach the end of transactionally written topics (and caughtUp() become true).
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize !== 0 || payload.firstOffset === null) return;
      const task = this.tasks.get(payload.partition);
      if (task?.state !== 'running') return;
      if ((task.positions.get(payload.topic) ?? -1) >= Number(payload.firstOffset))
        task.advance(payload.topic, Number(payload.lastOffset) + 1);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.fail(new Error(`the consumer stopped: ${describeError(payload.error)}`));
      else this.logger.warn({ err: describeError(payload.error) }, 'the consumer crashed and restarts');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: plan.inputs, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  // ---- rebalances ----

  private onGroupJoin(memberId: string, assignment: Record<string, number[]>): void {
    this.memberId = memberId;
    this.joins++;
    const consumer = this.consumer!;
    const byTask = new Map<number, string[]>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) byTask.set(p, [...(byTask.get(p) ?? []), topic]);
    }
    // Synchronously, before the next fetch: nothing is consumed until the task is ready for it.
    const pauses = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
    if (pauses.length > 0) consumer.pause(pauses);
    this.logger.info({ memberId, tasks: [...byTask.keys()].sort((a, b) => a - b) }, 'joined the group');
    void this.lock
      .run(() => this.applyAssignment(byTask))
      .catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async applyAssignment(byTask: Map<number, string[]>): Promise<void> {
    // Tasks are rolled back or closed below: their commit in flight must have completed first.
    await this.settleCommit();
    if (this.state === 'stopping' || this.state === 'stopped') return;
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
        if (!this.restores.has(id)) this.startTask(id, topics);
      } else if (task.state === 'running') {
        // kafkajs restarts from the group's committed offsets after a join: go back to the last
        // completed commit instead (the state matches it exactly, even if its offset commit failed).
        task.rollback();
        this.seekAndResume(task, topics);
      }
      // A task still restoring resumes when its restore ends.
    }
  }

  private startTask(id: number, topics: string[]): void {
    const abort = new AbortController();
    this.taskTopics.set(id, topics);
    const done = (async () => {
      // Exactly-once: fence the task's previous owners first, so no transaction of theirs is still
      // open while we restore from the changelogs and read the group's offsets.
      if (this.transport instanceof ExactlyOnceTransport) await this.transport.openTask(id);
      const stores = await TaskStores.open({
        location: stateDirectory(this.options.stateDir, this.groupId, id),
        changelogOf: (store) => ({ topic: changelogTopic(store), partition: id }),
      });
      if (abort.signal.aborted) {
        await stores.close();
        throw new Error('aborted');
      }
      const task = new Task({
        id,
        stores,
        routes: this.routes,
        projections: this.projections,
        onPoison: this.onPoison,
      });
      this.tasks.set(id, task);
      if (stores.openOutcome === 'recreated')
        this.logger.warn(
          { task: id },
          `task ${id}: unreadable state database, rebuilding it from the changelogs`,
        );
      // One reader per restore: kafkajs' cluster object races when several restores connect to a
      // broker at once through one cluster, and leaks the losing connections past close().
      const reader = await KafkaChangelogSource.connect(this.kafka);
      const source = this.options.wrapChangelogSource ? this.options.wrapChangelogSource(reader) : reader;
      const summary = await restoreStores({
        stores,
        names: this.stores,
        source,
        signal: abort.signal,
        onProgress: (progress) => {
          task.restoreProgress = {
            restored: progress.reduce((n, p) => n + p.restored, 0),
            total: progress.reduce((n, p) => n + p.total, 0),
          };
          this.reporter.progress(id, progress);
        },
      }).finally(() => source.close().catch(() => undefined));
      this.reporter.done(id, summary);
      this.restoreLog.push({ task: id, records: summary.records, ms: summary.ms, at: Date.now() });
      return task;
    })();
    this.restores.set(id, { abort, done });
    done
      .then(
        (task) =>
          this.lock.run(async () => {
            this.restores.delete(id);
            if (abort.signal.aborted || this.tasks.get(id) !== task) return;
            if (this.state !== 'running' && this.state !== 'starting') return;
            const from = await this.committedOffsets(id, topics);
            task.startAt(from);
            task.state = 'running';
            this.seekAndResume(task, topics);
            this.logger.info({ task: id, from: Object.fromEntries(from) }, `task ${id} running`);
          }),
        (err) => {
          this.restores.delete(id);
          if (abort.signal.aborted) return;
          this.fail(new Error(`task ${id}: restore failed: ${describeError(err)}`));
        },
      )
      .catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  private async closeTask(task: Task, why: string): Promise<void> {
    const restore = this.restores.get(task.id);
    if (restore) {
      restore.abort.abort();
      await restore.done.catch(() => undefined);
      this.restores.delete(task.id);
    }
    if (task.state === 'running') task.rollback();
    this.deadLetterBuffers.get(task.id)?.discard();
    this.purgers.delete(task.id);
    if (this.transport instanceof ExactlyOnceTransport) await this.transport.closeTask(task.id);
    await task.close();
    this.logger.info({ task: task.id }, `task ${task.id} closed (${why})`);
  }

  /** The group's committed offsets for the task's partition; none yet → the log start. */
  private async committedOffsets(id: number, topics: string[]): Promise<Map<string, number>> {
    const admin = this.admin!;
    const out = new Map<string, number>();
    const committed = await admin.fetchOffsets({ groupId: this.groupId, topics });
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
    const consumer = this.consumer!;
    for (const topic of topics) {
      const offset = task.committed.get(topic);
      if (offset !== undefined) consumer.seek({ topic, partition: task.id, offset: String(offset) });
    }
    consumer.resume(topics.map((topic) => ({ topic, partitions: [task.id] })));
  }

  private pauseAll(): void {
    const consumer = this.consumer!;
    const byTopic = new Map<string, number[]>();
    for (const task of this.tasks.values()) {
      for (const topic of this.topicPlan!.inputs)
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), task.id]);
    }
    const pauses = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
    if (pauses.length > 0) consumer.pause(pauses);
  }

  // ---- processing ----

  private async eachBatch(payload: kafkajs.EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const id = batch.partition;
    const ready = () => this.state === 'running' && this.tasks.get(id)?.state === 'running';
    // Not resolved: the batch is fetched again once the task runs.
    if (!ready()) return;
    // Registry formats: fetch the batch's schemas now, so decoding under the lock needs no I/O.
    // The registry being down throws here: kafkajs retries the batch.
    await this.routes.get(batch.topic)?.prepare?.(batch.messages.map((m) => m.value ?? null));
    await this.lock.run(async () => {
      const task = this.tasks.get(id);
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
          if (task.pendingSize >= this.maxPending) {
            resolveProcessed();
            await this.commitTasks([task]);
            if (!payload.isRunning() || payload.isStale()) return;
          }
        }
      } catch (err) {
        // Not a poison record (those are skipped inside the task): a bug or a storage failure.
        // Retrying the batch on top of half-applied state would be wrong, so stop.
        this.fail(err instanceof Error ? err : new Error(String(err)));
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
        await this.lock
          .run(async () => {
            await this.commitTasks([...this.tasks.values()]);
            await this.settleCommit();
          })
          .catch(() => undefined);
      throw err;
    }
  }

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

  // ---- commits ----

  private commitOnTimer(): void {
    if (this.state !== 'running' || Date.now() - this.lastCommitAt < this.commitIntervalMs) return;
    // One commit in flight at a time; waiting for it under the lock would stall processing.
    if (this.commitInFlight) return;
    this.lastCommitAt = Date.now();
    this.lock
      .run(() => this.commitTasks([...this.tasks.values()]))
      .catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
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
   * the commit done (stop, rebalances) await `settleCommit()` after it.
   */
  private async commitTasks(candidates: Task[]): Promise<void> {
    // The previous commit completes (or rolls back) before the next one is prepared.
    await this.settleCommit();
    const tasks = candidates.filter(
      (t) => t.state === 'running' && this.tasks.get(t.id) === t && t.needsCommit,
    );
    if (tasks.length === 0) return;
    const startedAt = performance.now();
    // Dedup purges write tombstones into the write cache: before prepare, so this commit has them.
    for (const t of tasks) await this.purgeDedup(t);
    const commits = tasks.map((t) => t.prepareCommit());
    try {
      for (const c of commits) {
        await this.encodeOutputs(c);
        c.deadLetters = await this.drainDeadLetters(c.task);
      }
    } catch (err) {
      this.rollbackCommit(tasks, err);
      return;
    }
    const flight = this.completeInBackground(tasks, commits, startedAt);
    this.commitInFlight = flight;
    void flight
      .catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))))
      .finally(() => {
        if (this.commitInFlight === flight) this.commitInFlight = null;
      });
  }

  /** Waits until no commit is in flight (completed, rolled back, or failed). */
  private async settleCommit(): Promise<void> {
    while (this.commitInFlight) await this.commitInFlight.catch(() => undefined);
  }

  private rollbackCommit(tasks: Task[], err: unknown): void {
    this.failedCommits++;
    this.logger.error(
      { err: describeError(err), tasks: tasks.map((t) => t.id) },
      'commit failed; re-reading from the last commit',
    );
    for (const t of tasks) {
      t.rollback();
      this.deadLetterBuffers.get(t.id)?.discard();
      for (const [topic, offset] of t.committed)
        this.consumer?.seek({ topic, partition: t.id, offset: String(offset) });
    }
  }

  /** The Kafka and LevelDB half of a commit, off the processing lock. */
  private async completeInBackground(tasks: Task[], commits: TaskCommit[], startedAt: number): Promise<void> {
    let outcomes;
    try {
      outcomes = await this.transport!.commit(commits);
    } catch (err) {
      this.rollbackCommit(tasks, err);
      return;
    }
    const failed = tasks.filter((_, i) => outcomes[i]!.failed);
    if (failed.length > 0) {
      this.failedCommits++;
      this.logger.error(
        {
          err: describeError(outcomes.find((o) => o.failed)!.offsetError),
          tasks: failed.map((t) => t.id),
        },
        'transaction failed; re-syncing the task with Kafka (new producer, restore from the checkpoint, committed offsets)',
      );
      for (const t of failed) this.scheduleResync(t);
    }
    for (let i = 0; i < tasks.length; i++) {
      const outcome = outcomes[i]!;
      if (outcome.failed) continue;
      await tasks[i]!.completeCommit(commits[i]!, outcome.changelogOffsets, outcome.offsetsCommitted);
      if (!outcome.offsetsCommitted)
        this.logger.warn(
          { task: tasks[i]!.id, err: describeError(outcome.offsetError) },
          'offset commit failed; retried at the next commit',
        );
    }
    this.commits++;
    this.lastCommitAt = Date.now();
    this.options.onCommit?.((performance.now() - startedAt) / 1000);
    if (this.logger.isLevelEnabled('debug'))
      this.logger.debug(
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

  /**
   * Exactly-once after a failed transaction: the task's state may not be trusted to match Kafka
   * (the transaction may have committed after all, or another instance may own the task now). The
   * task restarts like a newly assigned one: a new producer fences the others, the stores catch up
   * from their checkpoints (never wiped), and processing resumes at the group's committed offsets.
   */
  private scheduleResync(task: Task): void {
    // This runs in the commit's background half, off the lock: stop the task now (synchronously:
    // no batch processes it and no commit takes it from here on), close and restart it under the
    // lock later. Not awaited: a lock holder may be waiting for this very commit to settle.
    const topics = this.taskTopics.get(task.id) ?? this.topicPlan!.inputs;
    this.consumer?.pause(topics.map((topic) => ({ topic, partitions: [task.id] })));
    task.rollback();
    task.state = 'restoring';
    this.deadLetterBuffers.get(task.id)?.discard();
    void this.lock
      .run(async () => {
        if (this.tasks.get(task.id) !== task) return; // a rebalance closed or replaced it already
        this.tasks.delete(task.id);
        await this.closeTask(task, 'transaction failed');
        if (this.state === 'running' || this.state === 'starting') this.startTask(task.id, topics);
      })
      .catch((err) => this.fail(err instanceof Error ? err : new Error(String(err))));
  }

  // ---- dead letters, dedup, registry outputs ----

  private deadLetter(task: number): DeadLetterBuffer {
    let buffer = this.deadLetterBuffers.get(task);
    if (!buffer) this.deadLetterBuffers.set(task, (buffer = new DeadLetterBuffer(this.options.definition)));
    return buffer;
  }

  private countDeadLetter(kind: DeadLetterKind, topic: string, stage: 'decode' | 'process' | 'output'): void {
    this.deadLetterCounts.set(kind, (this.deadLetterCounts.get(kind) ?? 0) + 1);
    try {
      this.options.onDeadLetter?.(kind, topic, stage);
    } catch {
      // a metrics hook must not stop processing
    }
  }

  /** The task's pending dead letters, taken out of its buffer for the commit that covers their records. */
  private async drainDeadLetters(task: number): Promise<TaskCommit['deadLetters']> {
    let out: TaskCommit['deadLetters'] = [];
    await this.deadLetterBuffers.get(task)?.flush({
      sendBatch: async ({ topicMessages }) => {
        out = topicMessages;
      },
    });
    return out;
  }

  private async purgeDedup(task: Task): Promise<void> {
    let list = this.purgers.get(task.id);
    if (!list) {
      list = dedupStores(this.options.definition)
        .filter((d) => this.stores.includes(d.store))
        .map((d) => new DedupPurger(task.stores.store<number>(d.store), d.horizonMs));
      this.purgers.set(task.id, list);
    }
    for (const purger of list) await purger.purge(DEDUP_PURGE_SLICE);
  }

  /**
   * Re-encodes the commit's records of registry-format outputs (buffered as JSON) with the
   * subject's latest schema. A row the schema does not accept becomes a dead letter instead of
   * failing every commit from now on.
   */
  private async encodeOutputs(c: TaskCommit): Promise<void> {
    if (this.encoders.size === 0) return;
    for (const t of c.records) {
      const encoder = this.encoders.get(t.topic);
      if (!encoder) continue;
      const kept: typeof t.messages = [];
      for (const m of t.messages) {
        if (m.value === null) {
          kept.push(m);
          continue;
        }
        const json = m.value;
        try {
          m.value = await encoder.encode(JSON.parse(json.toString('utf8')) as Record<string, unknown>);
          kept.push(m);
        } catch (err) {
          if ((err as Error).name !== 'RegistryEncodeError') throw err;
          const origin = {
            topic: t.topic,
            partition: c.task,
            offset: -1,
            key: m.key === null ? null : Buffer.from(m.key, 'utf8'),
            value: json,
            timestamp: Number(m.timestamp),
            headers: m.headers,
          };
          this.deadLetter(c.task).add(origin, err, encoder.projection);
          this.countDeadLetter('process', t.topic, 'output');
          this.logger.warn(
            { topic: t.topic, err: describeError(err) },
            'an output row does not fit its schema',
          );
        }
      }
      t.messages = kept;
    }
  }

  /** The rejections topic, when a projection reports first-writer-wins rejections to it. */
  private rejectionsTopics(): string[] {
    const topic = names.rejectionsTopic(this.topology.application);
    return this.topology.subTopologies.some((s) => s.sends.includes(topic)) ? [topic] : [];
  }

  private async ensureDeadLetterTopics(): Promise<void> {
    const admin = this.admin!;
    const existing = new Set(await admin.listTopics());
    const missing = [...deadLetterTopics(this.options.definition), ...this.rejectionsTopics()].filter(
      (t) => !existing.has(t),
    );
    if (missing.length === 0) return;
    // One partition, kept until deleted: dead letters (and first-writer-wins rejections) wait for a
    // person or the losing writer, not for a consumer.
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: 1,
        replicationFactor: -1,
        configEntries: [{ name: 'retention.ms', value: '-1' }],
      })),
    });
    await this.awaitLeaders(missing);
    this.logger.info({ topics: missing }, `created ${missing.length} dead-letter/rejections topics`);
  }

  // ---- shutdown ----

  private fail(err: Error): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.logger.error({ err: err.message }, 'fatal error');
    this.fatal?.(err);
  }

  private async closeClients(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Leaving the group first lets another instance take the tasks while we close the stores.
    await this.consumer?.disconnect().catch(() => undefined);
    await this.lock.run(async () => {
      await this.settleCommit();
      for (const task of [...this.tasks.values()]) {
        this.tasks.delete(task.id);
        await this.closeTask(task, 'stopping').catch(() => undefined);
      }
    });
    for (const [, r] of this.restores) {
      r.abort.abort();
      await r.done.catch(() => undefined);
    }
    this.reporter.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.transport?.close();
  }
}
