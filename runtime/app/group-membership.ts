// Membership in the consumer group: the consumer with streamfold's task assignor (task p =
// partition p of every input topic, each member advertising its endpoint and current tasks), and
// the assignment flow. On each join every assigned partition is paused at once, synchronously,
// before the next fetch; the TaskManager then applies the assignment under the lock.
//
// A `--workers` worker at a cold start holds its assignments (partitions paused, nothing opened)
// until the leader counts all its sibling workers in the generation: the first worker to join
// would otherwise be given every task and restore them all, then hand half to the next one to join,
// which restores them again. At most WORKERS_JOIN_WAIT_MS; a restarted worker does not wait.
//
// Owns the consumer's group settings, the member id, the join count and that hold. Must not process
// records or decide about tasks itself (task-manager.ts).
import type { Consumer, Kafka } from 'kafkajs';
import { type StandbyAssignment, takeAssignmentExtras } from '../kafka/group/assignment-user-data.ts';
import { taskAssignor } from '../kafka/group/assignor.ts';
import { prefetchFor } from '../kafka/patches/prefetch/index.ts';
import { heartbeatEvery, requestRebalance } from '../kafka/patches/rejoin/index.ts';
import { describeError } from './errors.ts';
import type { RuntimeContext } from './runtime-context.ts';
import type { TaskManager } from './task-manager.ts';

/**
 * The processing consumer's fetch sizes. A broker fills a fetch response partition by partition, each
 * up to the per-partition limit, until the response limit (KIP-74); kafkajs shuffles the partitions
 * of each request and limits a response to 10 MiB by default. With more partitions holding 1 MiB or
 * more than fit, a fetch leaves some out at random, so the input partitions of a backlog advance
 * unevenly; a windowed aggregate after a repartition then meets one upstream partition's records
 * later than its grace behind the others' and drops them (bench (f) did, with 12 partitions and
 * a larger `state.maxUncommittedRows`). 50 MiB, as Java's `fetch.max.bytes`: a fetch takes every
 * partition of up to 50 that has data, as Kafka Streams' consumer does.
 */
export const PROCESSING_FETCH = { maxBytesPerPartition: 1024 * 1024, maxBytes: 50 * 1024 * 1024 };

/** The longest a cold-started worker holds its assignment waiting for its siblings to join. */
export const WORKERS_JOIN_WAIT_MS = 15_000;
/** Its heartbeat meanwhile: a sibling's join reaches it through the next one. */
const HOLDING_HEARTBEAT_MS = 100;

export interface GroupSettings {
  groupId: string;
  /** The HTTP endpoint this instance advertises to the group. */
  endpoint: string | null;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  rebalanceTimeoutMs: number;
  /** processing.standbyReplicas (0: no standbys; warm-ups still). */
  standbyReplicas: number;
  acceptableRecoveryLag: number;
  /** processing.maxWarmupReplicas (absent: no limit). */
  maxWarmupReplicas?: number;
  /** A `--workers` worker: its siblings' shared id, and how many a cold start waits for (0: none). */
  workers?: { id: string; awaitAtStart: number };
}

interface Assignment {
  byTask: Map<number, string[]>;
  standbys: StandbyAssignment;
}

export class GroupMembership {
  memberId: string | null = null;
  /** Group joins of this instance: 1 after start, +1 per rebalance. */
  joins = 0;
  /** While a cold-started worker waits for its siblings: the last assignment, not applied yet. */
  private hold: {
    held: Assignment | null;
    timer: NodeJS.Timeout | null;
    /** The member id its short heartbeats were asked for (a rejoin may bring a new one). */
    beating: string[];
  } | null;

  constructor(
    private readonly ctx: RuntimeContext,
    private readonly taskManager: TaskManager,
    private readonly settings: GroupSettings,
  ) {
    this.hold = (settings.workers?.awaitAtStart ?? 0) > 1 ? { held: null, timer: null, beating: [] } : null;
  }

  /** The group's consumer (not connected yet), with the join and crash handling attached. */
  createConsumer(kafka: Kafka): Consumer {
    const { settings } = this;
    // the next fetch goes out while this one's records are processed (see the patch)
    prefetchFor(settings.groupId);
    const consumer = kafka.consumer({
      groupId: settings.groupId,
      partitionAssigners: [
        taskAssignor(
          () => ({
            endpoint: settings.endpoint,
            tasks: this.taskManager.taskIds(),
            taskOffsets: this.taskManager.runningOffsets(),
            localState: this.taskManager.localState(),
            ...(settings.workers ? { workerSet: settings.workers.id } : {}),
            standbyLag: this.taskManager.standbys.lagReport(),
            probe: this.taskManager.standbys.probe,
          }),
          {
            standbyReplicas: settings.standbyReplicas,
            acceptableLag: settings.acceptableRecoveryLag,
            maxWarmups: settings.maxWarmupReplicas,
          },
        ),
      ],
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: settings.rebalanceTimeoutMs,
      allowAutoTopicCreation: false,
      ...PROCESSING_FETCH,
      maxWaitTimeInMs: 100,
      readUncommitted: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
      this.onGroupJoin(consumer, payload.memberId, payload.memberAssignment),
    );
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.ctx.fail(new Error(`the consumer stopped: ${describeError(payload.error)}`));
      else this.ctx.logger.warn({ err: describeError(payload.error) }, 'the consumer crashed and restarts');
    });
    return consumer;
  }

  /** The next heartbeat re-joins the group (a probing rebalance: warm-ups caught up). */
  requestRebalance(): void {
    if (this.memberId !== null) requestRebalance(this.memberId);
  }

  private onGroupJoin(consumer: Consumer, memberId: string, assignment: Record<string, number[]>): void {
    this.memberId = memberId;
    this.joins++;
    const { workers, ...standbys } = takeAssignmentExtras(memberId);
    const byTask = new Map<number, string[]>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const p of partitions) byTask.set(p, [...(byTask.get(p) ?? []), topic]);
    }
    // Synchronously, before the next fetch: nothing is consumed until the task is ready for it.
    const pauses = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
    if (pauses.length > 0) consumer.pause(pauses);
    const tasks = [...byTask.keys()].sort((a, b) => a - b);
    this.ctx.logger.info(
      { memberId, tasks, standbys: standbys.standby, warmups: standbys.warmup },
      'joined the group',
    );
    if (this.holding({ byTask, standbys }, workers ?? 0)) return;
    this.apply({ byTask, standbys });
  }

  /** Whether a cold-started worker keeps waiting for its siblings (then it keeps `assignment`). */
  private holding(assignment: Assignment, workersInGroup: number): boolean {
    const hold = this.hold;
    if (!hold) return false;
    const expected = this.settings.workers!.awaitAtStart;
    if (workersInGroup >= expected) {
      this.ctx.logger.info(`all ${expected} workers are in the group`);
      this.release();
      return false;
    }
    hold.held = assignment;
    heartbeatEvery(this.memberId!, HOLDING_HEARTBEAT_MS);
    hold.beating.push(this.memberId!);
    if (!hold.timer) {
      hold.timer = setTimeout(() => {
        this.ctx.logger.warn(
          `not all ${expected} workers joined within ${WORKERS_JOIN_WAIT_MS / 1000} s: running what is assigned`,
        );
        const held = this.hold?.held;
        this.release();
        if (held) this.apply(held);
      }, WORKERS_JOIN_WAIT_MS);
      hold.timer.unref();
    }
    this.ctx.logger.info(
      `holding the assignment: ${workersInGroup} of ${expected} workers in the group, waiting for the others`,
    );
    return true;
  }

  private release(): void {
    if (this.hold?.timer) clearTimeout(this.hold.timer);
    for (const id of this.hold?.beating ?? []) heartbeatEvery(id, undefined);
    this.hold = null;
  }

  private apply({ byTask, standbys }: Assignment): void {
    void this.ctx.lock
      .run(() => this.taskManager.applyAssignment(byTask, standbys))
      .catch((err) => this.ctx.fail(err));
  }
}
