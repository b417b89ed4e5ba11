// Glue from the runtime's tasks to the query API: builds a TaskStoresStateSource from the compiled
// topology, the tasks this instance runs (structurally: runtime/tasks/task.ts) and the group's
// ownership map. Positions are per input topic; a projection's freshness follows its `from` input.
import { isCommandStateProjection } from '../../projections/commands/index.ts';
import type { ProjectionInfo, Topology } from '../../projections/graph/topology.ts';
import type { GroupOwnership } from './ownership.ts';
import type { PartitionStatus } from './state-source.ts';
import { writerSources } from './writer-sources.ts';
import {
  envelopeRow,
  type ProjectionQueryInfo,
  type QueryableStores,
  type RowDecoder,
  type StandbyView,
  TaskStoresStateSource,
  type TaskView,
} from './task-stores-state-source.ts';

/** What the adapter reads from a runtime task. */
export interface RuntimeTask {
  stores: QueryableStores;
  state: 'restoring' | 'running' | 'closed';
  /** Next offset to process per input topic (the task's partition). */
  positions: ReadonlyMap<string, number>;
  /** Restore progress while restoring. */
  restore?: () => { restored: number; total: number } | undefined;
}

/** What the adapter reads from a standby task (structurally: runtime/standby/standby-task.ts). */
export interface RuntimeStandby {
  stores: QueryableStores | null;
  lag: number | undefined;
  stalenessMs(): number | undefined;
}

export interface RuntimeStateSourceOptions {
  topology: Topology;
  /** Tasks of the application (the input partition count). */
  partitions: number;
  /** The tasks this instance runs now. */
  tasks: () => ReadonlyMap<number, RuntimeTask>;
  /** Standby copies kept here (runtime/standby/StandbyTasks), by partition. */
  standbys?: () => ReadonlyMap<number, RuntimeStandby>;
  /** Which of them are warm-ups. */
  warmups?: () => ReadonlySet<number>;
  /**
   * Latest ownership from the group. While the group rebalances, remote reads go to the owner of
   * the last stable view: it answers while it still runs the task, else 503 (a forwarded request is
   * never forwarded again). Never stable yet: remote reads → 503.
   */
  ownership: () => GroupOwnership | undefined;
  /** High watermark of an input partition, when known (for lag). */
  endOffset?: (topic: string, partition: number) => number | undefined;
  /**
   * The store with a projection's final rows (values `{v: row, t: event time}`); default: the
   * topology's rows view of every table projection (`ProjectionInfo.rows`: a rows store, or the
   * aggregate store the rows derive from).
   */
  rowsStoreOf?: (projection: string) => string | null;
  decodeRow?: RowDecoder;
  now?: () => number;
}

export function runtimeStateSource(options: RuntimeStateSourceOptions): TaskStoresStateSource {
  const { topology } = options;
  const now = options.now ?? Date.now;
  const inputTopic = new Map<string, string>();
  for (const p of topology.projections) {
    const topic =
      topology.sources.find((s) => s.name === p.from)?.topic ??
      topology.projections.find((q) => q.name === p.from)?.topic;
    if (topic) inputTopic.set(p.name, topic);
  }
  let lastStable: GroupOwnership | undefined;
  // When each (topic, partition) was last seen caught up: lag in ms is the time since then.
  const caughtUpAt = new Map<string, number>();

  const statusOf = (
    partition: number,
    task: RuntimeTask,
    projection: string,
  ): Omit<PartitionStatus, 'partition'> => {
    const topic = inputTopic.get(projection);
    const position = topic === undefined ? 0 : (task.positions.get(topic) ?? 0);
    const end = topic === undefined ? undefined : options.endOffset?.(topic, partition);
    const status: Omit<PartitionStatus, 'partition'> = {
      position,
      status: task.state === 'running' ? 'running' : 'restoring',
    };
    if (end !== undefined) {
      const id = `${topic}:${partition}`;
      const lag = Math.max(0, end - position);
      if (lag === 0) caughtUpAt.set(id, now());
      status.endOffset = end;
      status.lag = lag;
      // Looked at lazily, so the last caught-up time may be older than the truth: the lag in ms
      // is over-estimated, never under. Never seen caught up: unknown, and maxLagMs waits.
      const since = caughtUpAt.get(id);
      if (since !== undefined) status.lagMs = lag === 0 ? 0 : now() - since;
    }
    const restore = task.state === 'restoring' ? task.restore?.() : undefined;
    if (restore) status.restore = restore;
    return status;
  };

  const tasks = () => {
    const views = new Map<number, TaskView>();
    for (const [id, task] of options.tasks()) {
      if (task.state === 'closed') continue;
      views.set(id, { stores: task.stores, status: (projection) => statusOf(id, task, projection) });
    }
    return views;
  };
  const source = new TaskStoresStateSource({
    // The hidden projections behind commands' state are the executor's, not the query API's.
    projections: topology.projections
      .filter((p) => !isCommandStateProjection(p.name))
      .map((p) => ({
        name: p.name,
        kind: p.kind,
        historyStore: p.history?.store ?? null,
        ...(p.window ? { window: p.window } : {}),
        ...rowsOf(p, options.rowsStoreOf),
      })),
    partitions: options.partitions,
    tasks,
    standbys: () => {
      const views = new Map<number, StandbyView>();
      const warmups = options.warmups?.() ?? new Set<number>();
      for (const [id, s] of options.standbys?.() ?? []) {
        views.set(id, {
          stores: s.stores,
          status: () => ({
            ...(s.lag !== undefined ? { lag: s.lag } : {}),
            ...(s.stalenessMs() !== undefined ? { lagMs: s.stalenessMs() } : {}),
            warmup: warmups.has(id),
          }),
        });
      }
      return views;
    },
    endpointOf: (partition) => {
      const o = options.ownership();
      if (o?.stable) lastStable = o;
      return lastStable?.endpoints.get(partition) ?? null;
    },
    decodeRow: options.decodeRow ?? envelopeRow,
    // Called after `writers` is set below: it reads the tasks through this source.
    writerSource: (name) => writers(name),
  });
  const writers = writerSources(topology, options.partitions, source, tasks);
  return source;
}

/** Where queries read a projection's rows: the given store, else the topology's rows view. */
function rowsOf(
  p: ProjectionInfo,
  rowsStoreOf: ((projection: string) => string | null) | undefined,
): Pick<ProjectionQueryInfo, 'rowsStore' | 'rowOf' | 'hidesRows' | 'windowRows'> {
  if (p.kind !== 'table') return { rowsStore: null };
  if (rowsStoreOf) return { rowsStore: rowsStoreOf(p.name) };
  const view = p.rows;
  if (!view) return { rowsStore: null };
  if (!view.derived) return { rowsStore: view.store };
  if (view.windows) return { rowsStore: view.store, windowRows: view, hidesRows: true };
  return { rowsStore: view.store, rowOf: (key, stored) => view.read(key, stored), hidesRows: view.hides };
}
