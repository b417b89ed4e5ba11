// An in-memory StateSource for tests and examples: rows per projection, partitioned like the
// runtime (murmur2 of the encoded key), with settable ownership, restore status and positions.
import { encodeKey } from '../../projections/keys.ts';
import { compareUtf8, inScanRange } from './key-order.ts';
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
  type StateSource,
  type StoredRow,
  type WindowSpec,
} from './state-source.ts';
import { windowRowKey } from '../../projections/windows/keys.ts';
import type { Window } from '../../projections/windows/spec.ts';

export interface MemoryStateSourceOptions {
  /**
   * Projection names, with their kind (default table; streams are not queryable) and whether they
   * keep history (every put/delete is then also a version at its updatedAt, for asOf reads).
   */
  projections: Record<string, { kind?: 'stream' | 'table'; history?: boolean; window?: WindowSpec }>;
  /** Partitions of every projection. */
  partitions: number;
  /** Partitions owned by this instance (default: all). */
  local?: number[];
  /** Base URL of each partition's owner (the local ones too); missing = unknown. */
  endpoints?: Record<number, string>;
}

interface Waiter {
  projection: string;
  partition: number;
  offset: number;
  resolve: (ok: boolean) => void;
  timer: NodeJS.Timeout;
}

export class MemoryStateSource implements StateSource {
  private readonly rows = new Map<string, Map<string, StoredRow>>();
  /** projection → encoded key → versions in event-time order (null = deleted). */
  private readonly versions = new Map<string, Map<string, Array<[number, unknown]>>>();
  /** projection → the oldest retained event time (older asOf reads are trimmed). */
  private readonly retainedFrom = new Map<string, number>();
  private readonly local: Set<number>;
  private readonly restoring = new Set<number>();
  private readonly positions = new Map<number, number>();
  private readonly lagMs = new Map<number, number>();
  private readonly endpoints: Map<number, string>;
  private waiters: Waiter[] = [];

  constructor(private readonly options: MemoryStateSourceOptions) {
    this.local = new Set(options.local ?? range(options.partitions));
    this.endpoints = new Map(Object.entries(options.endpoints ?? {}).map(([p, e]) => [Number(p), e]));
    for (const name of Object.keys(options.projections)) this.rows.set(name, new Map());
  }

  // ---- test controls ----

  /** Stores a row under encodeKey(key) in the key's partition (owned or not: the owner filters). */
  put(
    projection: string,
    key: unknown,
    value: unknown,
    meta: { offset?: number; updatedAt?: number } = {},
  ): void {
    const k = encodeKey(key);
    this.table(projection).set(k, { value, partition: this.partitionOf(k), ...meta });
    this.addVersion(projection, k, meta.updatedAt ?? 0, value);
  }

  /** Stores one window's row of a windowed projection, in the partition of the group key. */
  putWindow(
    projection: string,
    key: unknown,
    window: Window,
    value: unknown,
    meta: { offset?: number; updatedAt?: number } = {},
  ): void {
    const k = encodeKey(key);
    this.table(projection).set(windowRowKey(k, window), { value, partition: this.partitionOf(k), ...meta });
  }

  /** Deletes a row; with history, a deletion at event time `at`. */
  delete(projection: string, key: unknown, at = 0): void {
    this.table(projection).delete(encodeKey(key));
    this.addVersion(projection, encodeKey(key), at, null);
  }

  /** Drops the history before `t`, as retention does: asOf reads before it answer trimmed. */
  trimHistory(projection: string, t: number): void {
    this.retainedFrom.set(projection, t);
  }

  setRestoring(partition: number, restoring: boolean): void {
    if (restoring) this.restoring.add(partition);
    else this.restoring.delete(partition);
  }

  /** Sets the next offset to process of a partition and wakes the freshness waiters it satisfies. */
  setPosition(partition: number, position: number, lagMs = 0): void {
    this.positions.set(partition, position);
    this.lagMs.set(partition, lagMs);
    const done = this.waiters.filter((w) => w.partition === partition && position > w.offset);
    this.waiters = this.waiters.filter((w) => !done.includes(w));
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve(true);
    }
  }

  setOwnership(local: number[], endpoints: Record<number, string>): void {
    this.local.clear();
    for (const p of local) this.local.add(p);
    this.endpoints.clear();
    for (const [p, e] of Object.entries(endpoints)) this.endpoints.set(Number(p), e);
  }

  // ---- StateSource ----

  async projections(): Promise<ProjectionStatus[]> {
    return Object.entries(this.options.projections).map(([name, p]) => {
      const partitions = [...this.local].sort((a, b) => a - b).map((q) => this.partitionStatus(name, q)!);
      let rows = 0;
      for (const r of this.table(name).values()) if (this.local.has(r.partition)) rows++;
      return {
        name,
        kind: p.kind ?? 'table',
        queryable: (p.kind ?? 'table') === 'table',
        status: partitions.some((q) => q.status === 'restoring') ? 'restoring' : 'running',
        partitions,
        rows,
        ...(p.window ? { window: p.window } : {}),
      };
    });
  }

  has(projection: string): boolean {
    return Object.hasOwn(this.options.projections, projection);
  }

  queryable(projection: string): boolean {
    return this.has(projection) && (this.options.projections[projection]!.kind ?? 'table') === 'table';
  }

  get(projection: string, key: string): StoredRow | undefined | Restoring {
    const partition = this.partitionOf(key);
    if (!this.local.has(partition)) return undefined;
    if (this.restoring.has(partition)) return RESTORING;
    return this.table(projection).get(key);
  }

  windowOf(projection: string): WindowSpec | undefined {
    return this.options.projections[projection]?.window;
  }

  hasHistory(projection: string): boolean {
    return this.queryable(projection) && this.options.projections[projection]!.history === true;
  }

  getAsOf(projection: string, key: string, atMs: number): AsOfRow | undefined | Restoring {
    const partition = this.partitionOf(key);
    if (!this.local.has(partition)) return undefined;
    if (this.restoring.has(partition)) return RESTORING;
    if (atMs < (this.retainedFrom.get(projection) ?? Number.NEGATIVE_INFINITY)) return { kind: 'trimmed' };
    const found = (this.versions.get(projection)?.get(key) ?? []).filter(([t]) => t <= atMs).at(-1);
    if (!found || found[1] === null) return { kind: 'absent' };
    return { kind: 'row', value: found[1], since: found[0], partition };
  }

  async scan(projection: string, range: ScanRange): Promise<ScannedRow[] | Restoring> {
    const partitions = new Set(range.partitions ?? this.local);
    for (const p of partitions) if (!this.local.has(p) || this.restoring.has(p)) return RESTORING;
    const out: ScannedRow[] = [];
    for (const [key, row] of this.table(projection))
      if (partitions.has(row.partition) && inScanRange(key, range)) out.push({ key, ...row });
    out.sort((a, b) => compareUtf8(a.key, b.key));
    return out.slice(0, range.limit);
  }

  ownerOf(_projection: string, key: string): Owner {
    return this.owner(this.partitionOf(key));
  }

  owners(_projection: string): Owner[] {
    return range(this.options.partitions).map((p) => this.owner(p));
  }

  partitionStatus(_projection: string, partition: number): PartitionStatus | undefined {
    if (!this.local.has(partition)) return undefined;
    const restoring = this.restoring.has(partition);
    return {
      partition,
      position: this.positions.get(partition) ?? 0,
      lagMs: this.lagMs.get(partition) ?? 0,
      status: restoring ? 'restoring' : 'running',
      ...(restoring ? { restore: { restored: 0, total: 0 } } : {}),
    };
  }

  waitFor(projection: string, partition: number, offset: number, timeoutMs: number): Promise<boolean> {
    if ((this.positions.get(partition) ?? 0) > offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w: Waiter = {
        projection,
        partition,
        offset,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  ready(): boolean {
    for (const p of this.local) if (this.restoring.has(p)) return false;
    return true;
  }

  private owner(partition: number): Owner {
    return { partition, endpoint: this.endpoints.get(partition) ?? null, local: this.local.has(partition) };
  }

  private partitionOf(key: string): number {
    return partitionOfKey(key, this.options.partitions);
  }

  private addVersion(projection: string, key: string, t: number, value: unknown): void {
    if (!this.hasHistory(projection)) return;
    let byKey = this.versions.get(projection);
    if (!byKey) this.versions.set(projection, (byKey = new Map()));
    const list = byKey.get(key) ?? [];
    list.push([t, value]);
    list.sort((a, b) => a[0] - b[0]);
    byKey.set(key, list);
  }

  private table(projection: string): Map<string, StoredRow> {
    const t = this.rows.get(projection);
    if (!t) throw new Error(`unknown projection ${projection}`);
    return t;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
