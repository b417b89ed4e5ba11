// The application: config → topology → topics → consumer group → tasks, and its lifecycle. A thin
// facade: it wires the pieces below and keeps the public surface (start, stop, status, the task
// map) that the CLI, the HTTP layer and the versions runtime use (docs/runtime.md, "Pieces").
//
//   start(): compile the topology, prepare the topics (topic-preparation.ts), join the group
//            (group-membership.ts: one group = the application id, task p = partition p of every
//            input topic), start the commit timer.
//   on each assignment: the TaskManager (task-manager.ts) closes revoked tasks, rewinds kept
//            ones to their last commit and restores new ones from the changelogs in the background.
//   each batch: the ConsumerLoop (consumer-loop.ts) decodes + processes it into the task (the
//            inputs of windowed joins through the task's partition group: input-order.ts).
//   commit:   the CommitCoordinator (commit-coordinator.ts), with the commit sinks: registry
//            output encoding, dead letters (dead-letters.ts), dedup purges (housekeeping.ts).
//   stop():  stop consuming, commit, leave the group, close the stores.
//
// Owns the lifecycle state and the Kafka clients. Must not hold processing, task or commit logic.
import '../kafka/patches/producer/index.ts'; // before kafkajs: see there
import '../kafka/patches/fetch/index.ts'; // before the first fetch: see there
import '../kafka/patches/timeout/index.ts'; // no negative timers (Node 24 warns): see there
import '../kafka/patches/coordinator/index.ts'; // one FindCoordinator per transaction, not four: see there
import { FastDefaultPartitioner } from '../kafka/patches/producer/fast-partitioner.ts';
import { RenewingProducer } from '../kafka/producer/renewing-producer.ts';
import kafkajs, { type Kafka } from 'kafkajs';
import type { Definition } from '../../projections/definition/schema.ts';
import { compileTopology } from '../../projections/graph/compile.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { TopologyError } from '../../projections/operators/types.ts';
import type { ChangelogSource } from '../kafka/restore/index.ts';
import { type Logger, silentLogger } from '../log/logger.ts';
import { logAndSkip, PoisonCounter, type PoisonHandler } from '../formats/index.ts';
import type { DeadLetterKind } from '../dlq/index.ts';
import {
  AtLeastOnceTransport,
  EXCHANGES_PER_COMMIT_ENV,
  LingeringSender,
  ExactlyOnceTransport,
  storeNames,
  type Task,
  taskProjections,
  topicRoutes,
} from '../tasks/index.ts';
import { CommitCoordinator } from './commit-coordinator.ts';
import type { CommitSink } from './commit-sink.ts';
import { ConsumerLoop } from './consumer-loop.ts';
import { DeadLetters, type DeadLetterStage } from './dead-letters.ts';
import { describeError, UserError } from './errors.ts';
import { GroupMembership } from './group-membership.ts';
import { DedupHousekeeping } from './housekeeping.ts';
import { DEFAULT_MAX_TASK_IDLE_MS, InputOrder, orderedInputTopics } from './input-order.ts';
import { kafkaLogCreator } from './kafka-log.ts';
import { Mutex } from './mutex.ts';
import { storeMemorySettings } from '../stores/index.ts';
import { standbySettings } from './options.ts';
import { OutputEncoding } from './output-encoding.ts';
import { connectAdmin } from './preflight.ts';
import { type ProgressMode, RestoreReporter } from './restore-progress.ts';
import type { RuntimeContext } from './runtime-context.ts';
import type { StandbyTasks } from '../standby/index.ts';
import { TaskManager } from './task-manager.ts';
import { CommandExecutor, hasCommands, runtimeDefinition } from '../commands/index.ts';
import { prepareTopics } from './topic-preparation.ts';
import { type EntityCheck, configureEntityChecks, withMisrouteWarnings } from '../sources/index.ts';
import { deadLetteredAppends } from '../sources/dead-lettered-appends.ts';
import type { TopicPlan } from './topic-plan.ts';
import { workerSetFromEnvironment } from '../workers/in-worker.ts';

const { logLevel } = kafkajs;

/**
 * How long an exchange record waits for others before it is sent, when no send is in flight
 * (at-least-once; lingering-sender.ts). Kafka Streams' producers linger 100 ms; a few ms already
 * gives one produce call per drain of the fetched batches at the rates the machine sustains.
 */
const EXCHANGE_LINGER_MS = 5;
/** state.maxUncommittedRows when not set: a task holding this many changed rows and records commits early. */
const DEFAULT_MAX_UNCOMMITTED_ROWS = 20_000;

export interface ApplicationOptions {
  definition: Definition;
  brokers: string[];
  /** Root of the state: task p of group g (default: the application id) lives in `<stateDir>/<g>/<p>`. */
  stateDir: string;
  logger?: Logger;
  /** Default: processing.commitIntervalMs of the definition (100 ms). */
  commitIntervalMs?: number;
  /** Commit a task early when its uncommitted rows + buffered records reach this (default: state.maxUncommittedRows, 20 000). */
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
  onDeadLetter?: (kind: DeadLetterKind, topic: string, stage: DeadLetterStage) => void;
  /** Called after each completed commit with its duration in seconds (metrics). */
  onCommit?: (seconds: number) => void;
  /**
   * Called once per command answered with its outcome, and its latency in seconds (metrics); for
   * `reused` (an Idempotency-Key sent with another request, refused at once) without a latency.
   */
  onCommandOutcome?: (
    command: string,
    outcome: 'accepted' | 'rejected' | 'conflict' | 'reused',
    seconds?: number,
  ) => void;
  /** Wraps the changelog reader (tests slow it down to stretch a restore). */
  wrapChangelogSource?: (source: ChangelogSource) => ChangelogSource;
  /** The HTTP endpoint this instance advertises to the group (issue: queries over HTTP). */
  endpoint?: string | null;
  /**
   * The consumer group, also naming the local state directory and the transactional ids (default:
   * the application id). Projection versions built beside an active one run in a group of their own.
   */
  groupId?: string;
  /** A `--workers` worker's siblings (default: from the environment the supervisor set). */
  workers?: { id: string; awaitAtStart: number };
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

export class Application {
  readonly topology: Topology;
  readonly poison = new PoisonCounter();
  /** Dead letters per kind since start (what metrics read). */
  readonly deadLetterCounts: Map<DeadLetterKind, number>;
  /** One entry per finished restore, for status pages and benchmarks. */
  readonly restoreLog: Array<{ task: number; records: number; ms: number; at: number }>;
  /** Resolves when the application stops by itself (a fatal error). */
  readonly failed: Promise<Error>;
  /** Executes the definition's commands (null without commands, or in a projection version's group). */
  readonly commands: CommandExecutor | null;

  private readonly ctx: RuntimeContext;
  private readonly kafka: Kafka;
  private readonly exactlyOnce: boolean;
  private readonly reporter: RestoreReporter;
  private readonly deadLetters: DeadLetters;
  private readonly taskManager: TaskManager;
  private readonly commits: CommitCoordinator;
  private readonly consumerLoop: ConsumerLoop;
  private readonly inputOrder: InputOrder;
  private readonly membership: GroupMembership;
  /** The routes' checks on source records, told the source topics' partition counts at start. */
  private readonly entityChecks: Array<{ topic: string; entity?: EntityCheck }>;
  /** The TaskManager's map (the HTTP tests read it under this name). */
  private readonly tasks: ReadonlyMap<number, Task>;
  private producer: RenewingProducer | null = null;
  private sender: LingeringSender | null = null;
  private fatal: ((err: Error) => void) | null = null;

  constructor(private readonly options: ApplicationOptions) {
    const logger = options.logger ?? silentLogger();
    // Commands run in the application's own group only (not in projection versions beside it).
    const executesCommands = hasCommands(options.definition) && this.groupId === this.application;
    const definition = executesCommands ? runtimeDefinition(options.definition) : options.definition;
    try {
      this.topology = compileTopology(definition);
    } catch (err) {
      if (err instanceof TopologyError) throw new UserError(err.message);
      throw err;
    }
    this.exactlyOnce = definition.processing?.guarantee === 'exactly_once';
    this.ctx = {
      logger,
      lock: new Mutex(),
      state: 'new',
      clients: { admin: null, consumer: null, transport: null, sender: null, topicPlan: null },
      fail: (err) => this.fail(err instanceof Error ? err : new Error(String(err))),
    };
    this.deadLetters = new DeadLetters(definition, options.onDeadLetter);
    this.deadLetterCounts = this.deadLetters.counts;
    const tasks = new Map<number, Task>();
    this.commands = executesCommands
      ? new CommandExecutor({
          ctx: this.ctx,
          definition,
          topology: this.topology,
          tasks,
          taskCount: () => this.ctx.clients.topicPlan?.taskCount,
          onOutcome: options.onCommandOutcome,
          // Its callers wait for the commit: not a whole interval (this.commits is set below).
          requestCommit: (task, now) => this.commits.commitSoon(task, now),
        })
      : null;
    const stores = [...storeNames(this.topology), ...(this.commands ? [this.commands.storeName] : [])];
    // In commit order: registry encoding may add dead letters, which go with the same commit;
    // command events are appended last (nothing rewrites them).
    this.inputOrder = new InputOrder(
      this.ctx,
      orderedInputTopics(this.topology, definition),
      definition.processing?.maxTaskIdleMs ?? DEFAULT_MAX_TASK_IDLE_MS,
    );
    const sinks: CommitSink[] = [
      this.inputOrder,
      new DedupHousekeeping(definition, stores),
      new OutputEncoding(this.topology, definition, this.deadLetters, logger),
      this.deadLetters,
      ...(this.commands ? [this.commands] : []),
    ];
    const routes = topicRoutes(this.topology, definition);
    this.entityChecks = [...routes.values()];
    this.reporter = new RestoreReporter(logger, options.progress ?? (process.stderr.isTTY ? 'bar' : 'log'));
    this.kafka = new kafkajs.Kafka({
      clientId: definition.kafka?.clientId ?? definition.application,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(logger),
    });
    this.taskManager = new TaskManager({
      ctx: this.ctx,
      kafka: this.kafka,
      stateDir: options.stateDir,
      storeMemory: storeMemorySettings(definition.state),
      groupId: this.groupId,
      tasks,
      routes,
      projections: taskProjections(this.topology, definition),
      stores,
      appliedAtAppend: this.commands?.appliedAtAppend,
      onDeadLetteredAppend: deadLetteredAppends(this.topology),
      onPoison: this.deadLetters.poisonHandler(
        withMisrouteWarnings(logger, logAndSkip(logger, this.poison), (p) => this.poison.count(p)),
        options.onPoison,
      ),
      reporter: this.reporter,
      sinks,
      settleCommit: () => this.commits.settle(),
      wrapChangelogSource: options.wrapChangelogSource,
      ...standbySettings(options.definition), // acceptableRecoveryLag, probingRebalanceIntervalMs
      requestRebalance: () => this.membership.requestRebalance(),
    });
    this.tasks = this.taskManager.tasks;
    this.restoreLog = this.taskManager.restoreLog;
    this.commits = new CommitCoordinator({
      ctx: this.ctx,
      tasks: this.tasks,
      sinks,
      commitIntervalMs: options.commitIntervalMs ?? definition.processing?.commitIntervalMs ?? 100,
      resync: (task) => this.taskManager.resync(task),
      onCommit: options.onCommit,
    });
    this.consumerLoop = new ConsumerLoop({
      ctx: this.ctx,
      tasks: this.tasks,
      routes,
      commits: this.commits,
      maxPendingPerTask:
        options.maxPendingPerTask ?? definition.state?.maxUncommittedRows ?? DEFAULT_MAX_UNCOMMITTED_ROWS,
      order: this.inputOrder,
    });
    this.membership = new GroupMembership(this.ctx, this.taskManager, {
      groupId: this.groupId,
      endpoint: options.endpoint ?? null,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 30_000,
      ...standbySettings(options.definition),
      workers: options.workers ?? workerSetFromEnvironment(),
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

  /** Called once per processed input record (tests count re-reads with it). */
  get onProcessed(): ((topic: string, partition: number, offset: number) => void) | undefined {
    return this.consumerLoop.onProcessed;
  }

  set onProcessed(fn: ((topic: string, partition: number, offset: number) => void) | undefined) {
    this.consumerLoop.onProcessed = fn;
  }

  /** Checks topics, creates internal ones, joins the group. Throws UserError for user mistakes. */
  async start(): Promise<void> {
    if (this.ctx.state !== 'new') throw new Error('an application starts once');
    this.ctx.state = 'starting';
    try {
      this.ctx.clients.admin = await connectAdmin(
        this.kafka,
        this.options.brokers,
        this.options.connectTimeoutMs,
      );
      const plan = await prepareTopics(
        this.ctx.clients.admin,
        this.topology,
        this.options.definition,
        this.ctx.logger,
        (counts) => configureEntityChecks(this.entityChecks, counts), // source records are checked against these
        this.commands ? [this.commands.storeName] : [],
      );
      this.commands?.checkEntityTopics(plan);
      this.ctx.clients.topicPlan = plan;
      await this.startClients(plan);
      this.commits.startTimer();
      this.ctx.state = 'running';
    } catch (err) {
      this.ctx.state = 'failed';
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
      memberId: this.membership.memberId,
      joins: this.membership.joins,
      tasks,
      processed: this.consumerLoop.processedTotal,
      poison: this.poison.total,
      deadLetters: this.deadLetters.total,
      guarantee: this.exactlyOnce ? 'exactly_once' : 'at_least_once',
      commits: this.commits.commits,
      failedCommits: this.commits.failedCommits,
    };
  }

  /**
   * Valid events of a type no projection acts on, per source and type, since start (counted when
   * read; a batch read again after a rollback counts again). Not dead letters: they change nothing.
   */
  unhandledEvents(): Array<{ source: string; type: string; count: number }> {
    const out: Array<{ source: string; type: string; count: number }> = [];
    for (const { entity } of this.entityChecks)
      for (const [type, count] of entity?.unhandled ?? []) out.push({ source: entity!.source, type, count });
    return out;
  }

  /** The tasks this instance runs now, by partition number (for the query API and status pages). */
  taskMap(): ReadonlyMap<number, Task> {
    return this.tasks;
  }

  /** The standby copies this instance keeps (runtime/standby/). */
  get standbys(): StandbyTasks {
    return this.taskManager.standbys;
  }

  /** The tasks this instance runs now (restoring or running). */
  taskIds(): number[] {
    return this.taskManager.taskIds();
  }

  /** The tasks assigned to this instance, including those still opening their stores (readiness). */
  assignedTaskIds(): number[] {
    return this.taskManager.assignedTaskIds();
  }

  /**
   * True when every task runs, nothing is uncommitted, and every assigned input partition has been
   * processed up to its end offset. Tests and benchmarks wait for this.
   */
  async caughtUp(): Promise<boolean> {
    const { admin, topicPlan } = this.ctx.clients;
    if (this.ctx.state !== 'running' || !admin || this.tasks.size === 0) return false;
    const tasks = [...this.tasks.values()];
    if (tasks.some((t) => t.state !== 'running' || t.needsCommit)) return false;
    const ends = new Map<string, Map<number, number>>();
    for (const topic of topicPlan!.inputs) {
      const offsets = await admin.fetchTopicOffsets(topic);
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
    const { ctx } = this;
    if (ctx.state === 'stopped' || ctx.state === 'stopping') return;
    const wasRunning = ctx.state === 'running';
    ctx.state = 'stopping';
    this.commits.stopTimer();
    if (wasRunning && ctx.clients.consumer) {
      this.taskManager.pauseAll();
      try {
        await ctx.lock.run(() => this.commits.commitAllAndSettle());
      } catch (err) {
        ctx.logger.error({ err: describeError(err) }, 'the final commit failed');
      }
    }
    await this.closeClients();
    ctx.state = 'stopped';
    ctx.logger.info('stopped');
  }

  private async startClients(plan: TopicPlan): Promise<void> {
    // Exactly-once writes through one transactional producer per task (ExactlyOnceTransport).
    // At-least-once: replaced after a failed send, whose sequence numbers kafkajs gets wrong.
    const producer = this.exactlyOnce
      ? null
      : new RenewingProducer(() =>
          this.kafka.producer({
            idempotent: true,
            maxInFlightRequests: 1,
            allowAutoTopicCreation: false,
            createPartitioner: FastDefaultPartitioner,
          }),
        );
    await producer?.connect();
    this.producer = producer;
    // At-least-once sends exchange records as produced; exactly-once keeps them in the transactions.
    this.sender =
      producer && process.env[EXCHANGES_PER_COMMIT_ENV] !== '1'
        ? new LingeringSender(producer.sendBatch, EXCHANGE_LINGER_MS)
        : null;
    this.ctx.clients.sender = this.sender;

    const consumer = this.membership.createConsumer(this.kafka);
    this.ctx.clients.consumer = consumer;
    this.ctx.clients.transport = producer
      ? new AtLeastOnceTransport(producer, consumer)
      : new ExactlyOnceTransport({
          kafka: this.kafka,
          application: this.groupId,
          groupId: this.groupId,
        });
    await consumer.connect();
    await consumer.subscribe({ topics: plan.inputs, fromBeginning: true });
    await this.consumerLoop.run(consumer);
  }

  private fail(err: Error): void {
    if (this.ctx.state === 'failed' || this.ctx.state === 'stopped') return;
    this.ctx.logger.error({ err: err.message }, 'fatal error');
    this.fatal?.(err);
  }

  private async closeClients(): Promise<void> {
    const { clients } = this.ctx;
    this.commits.stopTimer();
    this.inputOrder.stop();
    // Leaving the group first lets another instance take the tasks while we close the stores.
    await clients.consumer?.disconnect().catch(() => undefined);
    await this.taskManager.closeAll();
    this.reporter.stop();
    this.sender?.close();
    await this.producer?.disconnect().catch(() => undefined);
    await clients.admin?.disconnect().catch(() => undefined);
    await clients.transport?.close();
  }
}
