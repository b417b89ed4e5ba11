// Executes commands in the task that owns the entity key's partition (docs/commands.md,
// "Execution"): one writer per partition, exactly once.
//
// A command is decided under the application's processing lock, so it is serialized with the
// task's record processing and commits. The task's state already includes every event it accepted
// earlier: the events are applied to the task's stores the moment they are accepted (the write
// cache is the overlay of appended-but-not-read-back events), and skipped once when the consumer
// reads them back. The events, the state they changed and the command's outcome (idempotency) go
// out in the task's next commit, one Kafka transaction under exactly_once: the caller is answered
// only after it committed. A rollback, a revoked task or a failed transaction fails the commands
// still waiting with `unavailable` (nothing of them is in the log; a retry decides again).
//
// A CommitSink: appends the decided events to the task's commit and answers after it completed.
// Must not run the commit protocol, nor decide anything the pure core decides.
import { randomUUID } from 'node:crypto';
import {
  type CompiledCommand,
  compileCommands,
  parseExpectedVersion,
  validateInput,
  type FieldError,
} from '../../projections/commands/index.ts';
import type { Definition } from '../../projections/definition/schema.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { encodeKey } from '../../projections/keys.ts';
import type { CommitSink } from '../app/commit-sink.ts';
import { UserError } from '../app/errors.ts';
import type { TopicPlan } from '../app/topic-plan.ts';
import type { RuntimeContext } from '../app/runtime-context.ts';
import type { RawRecord } from '../formats/index.ts';
import { type CommandTimes, commandTrace } from '../metrics/command-trace.ts';
import { partitionOfKey } from '../http/partitioner.ts';
import type { AppendedRecord, AppliedAtAppend, Task, TaskCommit } from '../tasks/index.ts';
import type { TaskStores } from '../stores/index.ts';
import {
  type AppendedEvent,
  COMMAND_EVENT_HEADER,
  DEFAULT_OUTCOME_HORIZON,
  OutcomeStore,
  requestDigest,
  withOwnEvents,
  outcomeStoreName,
  type StoredOutcome,
} from './outcome-store.ts';
import { readCommandState } from './task-state.ts';

export interface CommandRequest {
  command: string;
  body: unknown;
  /** The client's Idempotency-Key; one is generated when absent. */
  id?: string;
  /** Overrides the command's default expectedVersion (any, no_stream, exists or a number). */
  expectedVersion?: unknown;
  /** When the HTTP server received the request (performance.now()), for the command trace. */
  httpReceivedAt?: number;
}

export type CommandResult =
  | { status: 'unknown_command' }
  | { status: 'invalid'; errors: FieldError[] }
  /** Another instance owns the entity's partition: forward the request there. */
  | { status: 'elsewhere'; partition: number }
  | { status: 'unavailable'; reason: string }
  /**
   * The id was used before for another request (another command, or this one with another body or
   * expectedVersion): refused, nothing decided. `command` is the one it was first used for.
   */
  | { status: 'reused'; id: string; command: string }
  | { status: 'decided'; id: string; partition: number; outcome: StoredOutcome; replayed: boolean };

export interface CommandExecutorOptions {
  ctx: RuntimeContext;
  /** The definition with its hidden command-state projections (runtime/commands/definition.ts). */
  definition: Definition;
  topology: Topology;
  /** The tasks this instance runs now (the TaskManager's map). */
  tasks: ReadonlyMap<number, Task>;
  /** The application's partition count, once its topics are prepared. */
  taskCount: () => number | undefined;
  /** Outcomes kept per partition (default DEFAULT_OUTCOME_HORIZON). */
  horizon?: number;
  /**
   * Told every outcome answered, with the time from request to answer (metrics); `reused` (an id
   * sent with another request, refused at once) without a time.
   */
  onOutcome?: (command: string, outcome: StoredOutcome['outcome'] | 'reused', seconds?: number) => void;
  /**
   * Asks for the task's next commit soon (CommitCoordinator.commitSoon) rather than at the commit
   * interval: its callers wait for it. `now` when the batch is full.
   */
  requestCommit?: (task: number, now: boolean) => void;
  /** Commands per task that make a full batch: its commit is requested without linger (default 256). */
  maxBatch?: number;
  now?: () => number;
}

/** A decided command waiting for the commit that carries it. */
interface Waiting {
  command: string;
  id: string;
  partition: number;
  outcome: StoredOutcome;
  appends: AppendedRecord[];
  resolve: (result: CommandResult) => void;
  /** When it reached the owner (metrics) and, when commands are traced, its later steps. */
  times: CommandTimes;
}

export class CommandExecutor implements CommitSink {
  readonly commands: ReadonlyMap<string, CompiledCommand>;
  readonly storeName: string;
  /** Per task: commands decided since its last prepared commit. */
  private readonly queued = new Map<number, Waiting[]>();
  /** Commands in a prepared commit, until it completes or rolls back. */
  private readonly inCommit = new Map<TaskCommit, Waiting[]>();
  /** `<partition>/<id>` → a command still waiting, with its answer (a concurrent retry shares it). */
  private readonly inFlight = new Map<
    string,
    { command: string; request: string; answer: Promise<CommandResult> }
  >();
  private readonly now: () => number;

  constructor(private readonly options: CommandExecutorOptions) {
    this.commands = compileCommands(options.definition);
    this.storeName = outcomeStoreName(options.definition.application);
    this.now = options.now ?? Date.now;
  }

  /**
   * At start: each command's entity topic must have one partition per task, so the task owning a
   * key's partition (murmur2 over the task count) owns it in the entity topic too.
   */
  checkEntityTopics(plan: TopicPlan): void {
    for (const c of this.commands.values()) {
      const n = plan.sourcePartitions.get(c.entity.topic);
      if (n !== plan.taskCount)
        throw new UserError(
          `command ${c.name}: its entity topic ${c.entity.topic} has ${n ?? 'no'} partitions, the application has ${plan.taskCount} tasks: give it ${plan.taskCount}`,
        );
    }
  }

  /** Decides a command in its entity's task and resolves once its outcome is committed. */
  async execute(request: CommandRequest): Promise<CommandResult> {
    const command = this.commands.get(request.command);
    if (!command) return { status: 'unknown_command' };
    const checked = validateInput(command.def, request.body);
    if (checked.errors) return { status: 'invalid', errors: [...checked.errors] };
    const expected =
      request.expectedVersion === undefined ? undefined : parseExpectedVersion(request.expectedVersion);
    if (request.expectedVersion !== undefined && expected === undefined)
      return {
        status: 'invalid',
        errors: [{ field: 'expectedVersion', message: 'must be any, no_stream, exists or a version number' }],
      };
    const count = this.options.taskCount();
    if (count === undefined) return { status: 'unavailable', reason: 'the application is starting' };
    const partition = partitionOfKey(encodeKey(command.keyOf(checked.input)), count);
    if (!this.options.tasks.has(partition)) return { status: 'elsewhere', partition };
    const id = request.id ?? randomUUID();
    const digest = requestDigest(request.body, request.expectedVersion);
    const times: CommandTimes = { received: performance.now(), httpReceived: request.httpReceivedAt };
    const { ctx } = this.options;
    // The answer waits for a commit, which takes the lock: wrapped, so the lock is released first.
    const { answer } = await ctx.lock.run(async () => {
      times.locked = performance.now();
      const decided = this.decideInTask(command, request.body, checked.input, expected, {
        id,
        digest,
        partition,
        times,
      });
      times.decided = performance.now();
      return { answer: decided };
    });
    if (!(answer instanceof Promise) && answer.status === 'reused')
      this.options.onOutcome?.(command.name, 'reused');
    return answer;
  }

  /** Under the lock: the task's state, the decision, the events applied and queued for its commit. */
  private decideInTask(
    command: CompiledCommand,
    body: unknown,
    input: Record<string, unknown>,
    expectedVersion: ReturnType<typeof parseExpectedVersion>,
    { id, digest, partition, times }: { id: string; digest: string; partition: number; times: CommandTimes },
  ): CommandResult | Promise<CommandResult> {
    const { ctx, tasks } = this.options;
    const task = tasks.get(partition);
    if (!task) return { status: 'elsewhere', partition };
    if (ctx.state !== 'running' || task.state !== 'running')
      return { status: 'unavailable', reason: 'the partition of this entity is restoring its state' };
    const flightKey = `${partition}/${id}`;
    const pending = this.inFlight.get(flightKey);
    if (pending)
      return pending.command === command.name && pending.request === digest
        ? pending.answer
        : { status: 'reused', id, command: pending.command };
    const outcomes = this.outcomes(task.stores);
    const prior = outcomes.find(command.name, id);
    if (prior) {
      // Another request under a known id is refused: answering it with the first request's outcome
      // would tell the client that its request took effect, and deciding it would append events
      // whose ids (derived from the command id) the entity's projections already saw.
      if (prior.command !== command.name || (prior.request !== undefined && prior.request !== digest))
        return { status: 'reused', id, command: prior.command };
      return { status: 'decided', id, partition, outcome: prior.outcome, replayed: true };
    }

    const now = this.now();
    const { state, streamTimes, version } = readCommandState(
      this.options.topology,
      task.stores,
      command,
      input,
      now,
    );
    const decision = command.decide({
      input: body,
      state,
      version,
      expectedVersion,
      now,
      eventId: (i) => `${id}-${i + 1}`,
      streamTimes,
    });
    if (decision.outcome === 'invalid') return { status: 'invalid', errors: [...decision.errors] };

    let outcome: StoredOutcome;
    const appends: AppendedRecord[] = [];
    if (decision.outcome === 'accepted') {
      const events: AppendedEvent[] = decision.events.map((e) => ({
        type: e.type,
        eventId: command.entity.idField ? String(e.value[command.entity.idField]) : undefined,
        version: e.version,
        topic: e.topic,
        partition,
      }));
      outcome = { outcome: 'accepted', events, version: decision.newVersion, at: now };
      decision.events.forEach((e, i) => {
        const ref = `${command.name}/${id}/${i}`;
        const message = {
          key: encodeKey(e.key),
          value: Buffer.from(JSON.stringify(e.value)),
          timestamp: String(e.timestamp),
          headers: { [COMMAND_EVENT_HEADER]: ref },
          partition,
        };
        task.applyAppended(toRaw(e.topic, message, e.timestamp));
        outcomes.markApplied(ref);
        appends.push({ topic: e.topic, message, acked: (offset) => (events[i]!.offset = offset) });
      });
    } else if (decision.outcome === 'rejected') {
      outcome = { outcome: 'rejected', rule: decision.rule, message: decision.message, at: now };
      if (decision.error !== undefined) outcome.error = decision.error;
    } else {
      outcome = { outcome: 'conflict', expected: decision.expected, current: decision.current, at: now };
    }
    // A copy: the reply's events get their offsets after the commit, the stored outcome has none.
    outcomes.put(command.name, id, digest, withOwnEvents(outcome));
    const answer = new Promise<CommandResult>((resolve) => {
      const queue = this.queued.get(partition) ?? [];
      this.queued.set(partition, queue);
      queue.push({ command: command.name, id, partition, outcome, appends, resolve, times });
      this.options.requestCommit?.(partition, queue.length >= (this.options.maxBatch ?? 256));
    });
    this.inFlight.set(flightKey, { command: command.name, request: digest, answer });
    void answer.finally(() => this.inFlight.delete(flightKey));
    return answer;
  }

  /** For the task's consumer: the events the task applied when it appended them (skipped once). */
  readonly appliedAtAppend: AppliedAtAppend = {
    markOf: (stores, raw) =>
      raw.headers?.[COMMAND_EVENT_HEADER] === undefined ? undefined : this.outcomes(stores).markOf(raw),
    forget: (stores, marks) => this.outcomes(stores).forget(marks),
  };

  /** A command's outcome if this instance's task still holds it (GET /commands/{name}/{id}). */
  outcomeOf(
    command: string,
    id: string,
    key: unknown,
  ): { partition: number; outcome?: StoredOutcome; local: boolean } | undefined {
    const count = this.options.taskCount();
    if (count === undefined) return undefined;
    const partition = partitionOfKey(encodeKey(key), count);
    const task = this.options.tasks.get(partition);
    if (!task || task.state !== 'running') return { partition, local: false };
    return { partition, local: true, outcome: this.outcomes(task.stores).get(command, id) };
  }

  collect(commit: TaskCommit): Promise<void> {
    const waiting = this.queued.get(commit.task);
    if (!waiting) return Promise.resolve();
    this.queued.delete(commit.task);
    // A command whose outcome is no longer in the task's state was decided on state that was
    // rolled back since: appending its events now would break the rules it checked.
    const task = this.options.tasks.get(commit.task);
    const outcomes = task ? this.outcomes(task.stores) : undefined;
    const kept = waiting.filter((w) => outcomes?.get(w.command, w.id) !== undefined);
    for (const w of waiting)
      if (!kept.includes(w))
        this.answer(w, {
          status: 'unavailable',
          reason: 'the partition went back to its last commit; retry',
        });
    this.inCommit.set(commit, kept);
    for (const w of kept) {
      commit.appends.push(...w.appends);
      w.times.commit = commit.trace;
    }
    return Promise.resolve();
  }

  committed(commit: TaskCommit): void {
    const waiting = this.inCommit.get(commit);
    if (!waiting) return;
    this.inCommit.delete(commit);
    for (const w of waiting)
      this.answer(w, {
        status: 'decided',
        id: w.id,
        partition: w.partition,
        outcome: w.outcome,
        replayed: false,
      });
  }

  rollback(task: number): void {
    this.failWaiting(
      task,
      'the commit carrying this command failed; nothing was appended; retry with the same Idempotency-Key',
    );
  }

  close(task: number): void {
    this.failWaiting(
      task,
      'the partition of this entity moved to another instance; retry with the same Idempotency-Key',
    );
  }

  private failWaiting(task: number, reason: string): void {
    const failed = this.queued.get(task) ?? [];
    this.queued.delete(task);
    for (const [commit, waiting] of [...this.inCommit]) {
      if (commit.task !== task) continue;
      this.inCommit.delete(commit);
      failed.push(...waiting);
    }
    for (const w of failed) this.answer(w, { status: 'unavailable', reason });
  }

  private answer(w: Waiting, result: CommandResult): void {
    if (result.status === 'decided')
      this.options.onOutcome?.(
        w.command,
        result.outcome.outcome,
        (performance.now() - w.times.received) / 1000,
      );
    if (commandTrace && result.status === 'decided') {
      w.times.answered = performance.now();
      commandTrace?.record(w.command, w.id, w.times);
    }
    w.resolve(result);
  }

  private outcomes(stores: TaskStores): OutcomeStore {
    return new OutcomeStore(stores.store(this.storeName), this.options.horizon ?? DEFAULT_OUTCOME_HORIZON);
  }
}

function toRaw(topic: string, m: AppendedRecord['message'], timestamp: number): RawRecord {
  return {
    topic,
    partition: m.partition,
    offset: -1,
    key: m.key === null ? null : Buffer.from(m.key),
    value: m.value,
    timestamp,
    headers: m.headers,
  };
}
