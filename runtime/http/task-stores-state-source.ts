// The StateSource of a running instance: its owned tasks' TaskStores (one LevelDB per task,
// docs/stores.md) plus what the runtime knows about each task (position, lag, restore progress)
// and who owns the other partitions (the group's advertised endpoints).
//
// A projection is queryable when some store holds its final rows (after having/select), keyed by
// the encoded key: `rowsStore`, either as stored values or derived from them by `rowOf` (an
// aggregate's group states, projections/rows). Reads go through the task's write cache, so a query sees the
// latest processed state of the task, as Kafka Streams' interactive queries do.
import {
  chunkKey,
  type HistoryHead,
  headKey,
  valueAsOf,
  type Version,
} from '../../projections/history/index.ts';
import { rowOfKey, type RowsView, scanRows } from '../../projections/rows/index.ts';
import { compareUtf8 } from './key-order.ts';
import { partitionOfKey } from './partitioner.ts';
import {
  type AsOfRow,
  type Owner,
  type PartitionStatus,
  type ProjectionStatus,
  RESTORING,
  type Restoring,
  type ScannedRow,
  type ScanRange,
  type StandbyPartitionStatus,
  type StandbyRow,
  type StateSource,
  type StoredRow,
  type WindowSpec,
  type WriterSource,
  type NOT_FIRST_WRITER_WINS,
} from './state-source.ts';

/** The part of TaskStores a query needs. */
export interface QueryableStores {
  store<V = unknown>(
    name: string,
  ): {
    get(key: string): V | undefined;
    scan(range?: {
      prefix?: string;
      gte?: string;
      gt?: string;
      lt?: string;
      limit?: number;
    }): AsyncIterable<[string, V]>;
  };
  countRows(store: string): Promise<number>;
}

/** One locally owned task, as the runtime sees it now. */
export interface TaskView {
  stores: QueryableStores;
  /**
   * The task's status for one projection: `position` is the next offset of the projection's
   * input partition (its `from` topic); restoring until the stores caught up with their changelogs.
   */
  status(projection: string): Omit<PartitionStatus, 'partition'>;
}

export interface ProjectionQueryInfo {
  name: string;
  kind: 'stream' | 'table';
  /** The store holding the projection's final rows, or null when none does (not queryable). */
  rowsStore: string | null;
  /**
   * Derives the stored row (what `decodeRow` reads) from a store entry, null when the key has no
   * row; absent: the entry is the stored row.
   */
  rowOf?: (key: string, stored: unknown) => unknown;
  /** True when `rowOf` returns null for some entries: counting rows then reads their values. */
  hidesRows?: boolean;
  /** Windowed aggregates: the window (rows keyed by windowRowKey). */
  window?: WindowSpec;
  /**
   * Windowed aggregates whose rows derive from the window store `rowsStore` (its keys are not row
   * keys): the view that maps row keys to entries and reads rows with the store's meta.
   */
  windowRows?: RowsView;
  /** The store holding its row versions (projections with `history`), for asOf reads. */
  historyStore?: string | null;
}

/** A standby copy of a partition kept here (runtime/standby/), as queries see it. */
export interface StandbyView {
  /** Null while its stores are not open (between catch-up attempts). */
  stores: QueryableStores | null;
  status(): Omit<StandbyPartitionStatus, 'partition'>;
}

/** What a rows store holds per key: the row itself, or an envelope with metadata. */
export type RowDecoder = (stored: unknown) => { value: unknown; offset?: number; updatedAt?: number };

/** Stored value = the row. */
export const plainRow: RowDecoder = (stored) => ({ value: stored });

/** Stored value = `{ v: row, o: input offset, t: event time }`. */
export const envelopeRow: RowDecoder = (stored) => {
  const e = stored as { v: unknown; o?: number; t?: number };
  return { value: e.v, offset: e.o, updatedAt: e.t };
};

export interface TaskStoresStateSourceOptions {
  projections: readonly ProjectionQueryInfo[];
  /** Partitions (tasks) of the application: keys are spread over them by murmur2. */
  partitions: number;
  /** The tasks this instance owns right now (changes at each rebalance). */
  tasks(): ReadonlyMap<number, TaskView>;
  /** Standby copies of other instances' partitions kept here, by partition. */
  standbys?(): ReadonlyMap<number, StandbyView>;
  /** Base URL of the instance that owns a partition, null while unknown. */
  endpointOf(partition: number): string | null;
  decodeRow?: RowDecoder;
  /** First-writer-wins sources (runtime/http/writer-sources.ts). */
  writerSource?(source: string): WriterSource | typeof NOT_FIRST_WRITER_WINS | undefined;
  /** How often freshness waits re-check positions (ms, default 10). */
  pollMs?: number;
  /** How long a row count stays cached (ms, default 5000): counting walks the whole store. */
  rowCountTtlMs?: number;
  now?: () => number;
}

export class TaskStoresStateSource implements StateSource {
  private readonly byName: Map<string, ProjectionQueryInfo>;
  private readonly decode: RowDecoder;
  /** Row counts per (task stores, store name), with the time they were taken. */
  private readonly counts = new WeakMap<
    QueryableStores,
    Map<string, { at: number; rows: Promise<number> }>
  >();

  constructor(private readonly options: TaskStoresStateSourceOptions) {
    this.byName = new Map(options.projections.map((p) => [p.name, p]));
    this.decode = options.decodeRow ?? plainRow;
  }

  async projections(): Promise<ProjectionStatus[]> {
    const tasks = [...this.options.tasks()].sort(([a], [b]) => a - b);
    const out: ProjectionStatus[] = [];
    const standbys = [...(this.options.standbys?.() ?? [])]
      .sort(([a], [b]) => a - b)
      .map(([partition, s]) => ({ partition, ...s.status() }));
    for (const p of this.options.projections) {
      const partitions = tasks.map(([partition, t]) => ({ partition, ...t.status(p.name) }));
      let rows = 0;
      if (p.rowsStore !== null) for (const [, t] of tasks) rows += await this.countRows(t.stores, p);
      out.push({
        name: p.name,
        kind: p.kind,
        queryable: p.rowsStore !== null,
        status: partitions.some((x) => x.status === 'restoring') ? 'restoring' : 'running',
        partitions,
        rows,
        ...(p.window ? { window: p.window } : {}),
        ...(standbys.length > 0 ? { standbys } : {}),
      });
    }
    return out;
  }

  has(projection: string): boolean {
    return this.byName.has(projection);
  }

  queryable(projection: string): boolean {
    return (this.byName.get(projection)?.rowsStore ?? null) !== null;
  }

  get(projection: string, key: string): StoredRow | undefined | Restoring {
    const partition = partitionOfKey(key, this.options.partitions);
    const task = this.options.tasks().get(partition);
    const p = this.byName.get(projection);
    if (!task || !p?.rowsStore) return undefined;
    if (task.status(projection).status === 'restoring') return RESTORING;
    const row = this.read(p, task.stores, key);
    return row === undefined ? undefined : { ...this.decode(row), partition };
  }

  windowOf(projection: string): WindowSpec | undefined {
    return this.byName.get(projection)?.window;
  }

  getFromStandby(projection: string, key: string, maxLagMs: number | undefined): StandbyRow | undefined {
    const partition = partitionOfKey(key, this.options.partitions);
    const standby = this.options.standbys?.().get(partition);
    const p = this.byName.get(projection);
    if (!standby?.stores || !p?.rowsStore) return undefined;
    const stalenessMs = standby.status().lagMs;
    if (stalenessMs === undefined || (maxLagMs !== undefined && stalenessMs > maxLagMs)) return undefined;
    const stored = this.read(p, standby.stores, key);
    return { row: stored === undefined ? undefined : { ...this.decode(stored), partition }, stalenessMs };
  }

  hasHistory(projection: string): boolean {
    return (this.byName.get(projection)?.historyStore ?? null) !== null;
  }

  getAsOf(projection: string, key: string, atMs: number): AsOfRow | undefined | Restoring {
    const partition = partitionOfKey(key, this.options.partitions);
    const task = this.options.tasks().get(partition);
    const name = this.byName.get(projection)?.historyStore;
    if (!task || !name) return undefined;
    if (task.status(projection).status === 'restoring') return RESTORING;
    const store = task.stores.store(name);
    const head = store.get(headKey(key)) as HistoryHead | undefined;
    const found = valueAsOf(head, atMs, (seq) => store.get(chunkKey(key, seq)) as Version[] | undefined);
    if (found.kind === 'row') return { kind: 'row', value: found.value, since: found.since, partition };
    return { kind: found.kind };
  }

  async scan(projection: string, range: ScanRange): Promise<ScannedRow[] | Restoring> {
    const p = this.byName.get(projection);
    const store = p?.rowsStore;
    if (!p || !store) return [];
    const tasks = this.options.tasks();
    const partitions = range.partitions ?? [...tasks.keys()];
    const views: Array<[number, TaskView]> = [];
    for (const p of partitions) {
      const t = tasks.get(p);
      if (!t || t.status(projection).status === 'restoring') return RESTORING;
      views.push([p, t]);
    }
    const storeRange = {
      prefix: range.prefix,
      gte: range.from,
      lt: range.to,
      ...(range.after !== undefined ? { gt: range.after } : {}),
      // Entries without a row (hidden by having) do not count towards the limit.
      ...(p.hidesRows ? {} : { limit: range.limit }),
    };
    // Each task's first `limit` rows hold the first `limit` rows overall.
    const perTask = await Promise.all(
      views.map(async ([partition, t]) => {
        const rows: ScannedRow[] = [];
        const entries = p.windowRows
          ? scanRows(t.stores.store(store), p.windowRows, storeRange)
          : t.stores.store(store).scan(storeRange);
        for await (const [key, stored] of entries) {
          const row = this.rowOf(p, key, stored);
          if (row === undefined) continue;
          rows.push({ key, ...this.decode(row), partition });
          if (rows.length === range.limit) break;
        }
        return rows;
      }),
    );
    return perTask
      .flat()
      .sort((a, b) => compareUtf8(a.key, b.key))
      .slice(0, range.limit);
  }

  ownerOf(projection: string, key: string): Owner {
    return this.owner(partitionOfKey(key, this.options.partitions));
  }

  owners(): Owner[] {
    return Array.from({ length: this.options.partitions }, (_, p) => this.owner(p));
  }

  partitionStatus(projection: string, partition: number): PartitionStatus | undefined {
    const t = this.options.tasks().get(partition);
    return t ? { partition, ...t.status(projection) } : undefined;
  }

  async waitFor(projection: string, partition: number, offset: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const position = this.options.tasks().get(partition)?.status(projection).position;
      if (position !== undefined && position > offset) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) =>
        setTimeout(r, Math.min(this.options.pollMs ?? 10, Math.max(1, deadline - Date.now()))),
      );
    }
  }

  writerSource(source: string): WriterSource | typeof NOT_FIRST_WRITER_WINS | undefined {
    return this.options.writerSource?.(source);
  }

  ready(): boolean {
    for (const t of this.options.tasks().values())
      for (const p of this.options.projections) if (t.status(p.name).status === 'restoring') return false;
    return true;
  }

  /** The stored row of a key: undefined when there is none or the view hides it. */
  private read(p: ProjectionQueryInfo, stores: QueryableStores, key: string): unknown {
    const store = stores.store(p.rowsStore!);
    return p.windowRows ? rowOfKey(store, p.windowRows, key) : this.rowOf(p, key, store.get(key));
  }

  /** The stored row of a store entry: undefined when there is none or the view hides it. */
  private rowOf(p: ProjectionQueryInfo, key: string, stored: unknown): unknown {
    if (stored === undefined || !p.rowOf) return stored;
    return p.rowOf(key, stored) ?? undefined;
  }

  private countRows(stores: QueryableStores, p: ProjectionQueryInfo): Promise<number> {
    const store = p.rowsStore!;
    const now = (this.options.now ?? Date.now)();
    let byStore = this.counts.get(stores);
    if (!byStore) this.counts.set(stores, (byStore = new Map()));
    const cached = byStore.get(store);
    if (cached && now - cached.at < (this.options.rowCountTtlMs ?? 5000)) return cached.rows;
    const rows = (p.hidesRows ? this.countVisible(stores, p) : stores.countRows(store)).catch(() => 0);
    byStore.set(store, { at: now, rows });
    return rows;
  }

  /** Rows of a store some of whose entries have none: reads every value (status pages only). */
  private async countVisible(stores: QueryableStores, p: ProjectionQueryInfo): Promise<number> {
    let n = 0;
    const store = stores.store(p.rowsStore!);
    if (p.windowRows) {
      for await (const _ of scanRows(store, p.windowRows)) n++;
      return n;
    }
    for await (const [key, stored] of store.scan()) if (this.rowOf(p, key, stored) !== undefined) n++;
    return n;
  }

  private owner(partition: number): Owner {
    const local = this.options.tasks().has(partition);
    return { partition, endpoint: this.options.endpointOf(partition), local };
  }
}
