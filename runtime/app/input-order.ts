// The partition groups of this instance's tasks (runtime/tasks/partition-group.ts): which input
// topics are taken in timestamp order, one group per running task, the timer that lets held-back
// records go once their wait is over, and the pause of a partition whose queue grew too long.
//
// A commit sink only to hear of rollbacks and closes: a task that went back to its last commit is
// rewound by the consumer, so what its group queued is read again and must be forgotten.
//
// Owns the groups, their timers and the pauses it made. Must not process records (the consumer
// loop drains a group under the processing lock).
import type { Definition } from '../../projections/definition/schema.ts';
import { joinsOf } from '../../projections/graph/compile.ts';
import type { Topology } from '../../projections/graph/topology.ts';
import { PartitionGroup, type Task } from '../tasks/index.ts';
import type { CommitSink } from './commit-sink.ts';
import type { RuntimeContext } from './runtime-context.ts';

/** processing.maxTaskIdleMs when not set. */
export const DEFAULT_MAX_TASK_IDLE_MS = 1_000;

/** A queue this long pauses its partition until the queue is down to a quarter of it. */
const MAX_QUEUED_PER_TOPIC = 20_000;

interface Entry {
  task: Task;
  group: PartitionGroup;
  timer?: NodeJS.Timeout;
  paused: Set<string>;
}

export class InputOrder implements CommitSink {
  private readonly entries = new Map<number, Entry>();
  /** Called when a task's held-back records may go on (the consumer loop drains the group). */
  onDue: (task: Task) => void = () => undefined;

  constructor(
    private readonly ctx: RuntimeContext,
    /** The topics taken in timestamp order (orderedInputTopics). */
    private readonly topics: ReadonlySet<string>,
    /** processing.maxTaskIdleMs */
    private readonly waitMs: number,
  ) {}

  get active(): boolean {
    return this.topics.size > 0;
  }

  /** The group of `task` when it orders `topic`. */
  groupFor(task: Task, topic: string): PartitionGroup | undefined {
    if (!this.topics.has(topic)) return undefined;
    let entry = this.entries.get(task.id);
    if (entry?.task !== task) {
      if (entry) this.forget(entry);
      entry = { task, group: new PartitionGroup(this.topics, this.waitMs), paused: new Set() };
      this.entries.set(task.id, entry);
      void this.listEnds(entry);
    }
    return entry.group;
  }

  /**
   * Tells a new group where its topics' partitions end, so that an input with records on the broker
   * that the consumer has not handed over yet (a loaded machine, the first fetch) is waited for,
   * and an empty one is not: without this, such an input is waited for only `waitMs`. Best effort:
   * a failed listing leaves the lag unknown.
   */
  private async listEnds(entry: Entry): Promise<void> {
    const admin = this.ctx.clients.admin;
    if (!admin) return;
    try {
      for (const topic of this.topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        const end = offsets.find((o) => o.partition === entry.task.id);
        if (this.entries.get(entry.task.id) !== entry || end === undefined) return;
        entry.group.listed(topic, entry.task.positions.get(topic) ?? 0, Number(end.high));
      }
      this.soon(entry.task);
    } catch {
      // the lag stays unknown: the group waits at most waitMs for what was not fetched
    }
  }

  /** The task's group, if it has one yet. */
  groupOf(task: Task): PartitionGroup | undefined {
    const entry = this.entries.get(task.id);
    return entry?.task === task ? entry.group : undefined;
  }

  /** After a push or a drain: pause long queues, resume short ones, and time the held-back records. */
  settle(task: Task): void {
    const entry = this.entries.get(task.id);
    if (entry?.task !== task) return;
    const consumer = this.ctx.clients.consumer;
    for (const topic of this.topics) {
      const queued = entry.group.queued(topic);
      if (queued >= MAX_QUEUED_PER_TOPIC && !entry.paused.has(topic)) {
        entry.paused.add(topic);
        consumer?.pause([{ topic, partitions: [task.id] }]);
      } else if (queued <= MAX_QUEUED_PER_TOPIC / 4 && entry.paused.delete(topic)) {
        consumer?.resume([{ topic, partitions: [task.id] }]);
      }
    }
    clearTimeout(entry.timer);
    const now = Date.now();
    const due = entry.group.deadline(now);
    if (due !== undefined) entry.timer = setTimeout(() => this.onDue(task), Math.max(0, due - now)).unref();
  }

  /** Drains the task's group soon (a fetch said a topic caught up: records held for it may go). */
  soon(task: Task): void {
    const entry = this.entries.get(task.id);
    if (entry?.task !== task) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.onDue(task), 0).unref();
  }

  rollback(taskId: number): void {
    const entry = this.entries.get(taskId);
    if (!entry) return;
    entry.group.clear();
    clearTimeout(entry.timer);
    this.resumeAll(entry);
  }

  close(taskId: number): void {
    const entry = this.entries.get(taskId);
    if (entry) this.forget(entry);
  }

  /** Stops every timer (the application stops). */
  stop(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }

  private forget(entry: Entry): void {
    clearTimeout(entry.timer);
    entry.group.clear();
    this.resumeAll(entry);
    this.entries.delete(entry.task.id);
  }

  private resumeAll(entry: Entry): void {
    if (entry.paused.size === 0) return;
    const resumes = [...entry.paused].map((topic) => ({ topic, partitions: [entry.task.id] }));
    entry.paused.clear();
    try {
      this.ctx.clients.consumer?.resume(resumes);
    } catch {
      // the consumer is gone (stopping): nothing to resume
    }
  }
}

/**
 * The input topics taken in timestamp order: those of every sub-topology with a windowed operator
 * (a window, or a stream–stream join's `within`) that reads more than one topic.
 */
export function orderedInputTopics(topology: Topology, definition: Definition): Set<string> {
  const topics = new Set<string>();
  for (const sub of topology.subTopologies) {
    const inputs = new Set(sub.inputs.map((i) => i.topic));
    const p = definition.projections[sub.projection];
    if (inputs.size >= 2 && p && (p.window !== undefined || joinsOf(p).some((j) => j.within !== undefined)))
      for (const topic of inputs) topics.add(topic);
  }
  return topics;
}
