// What the HTTP API needs from the runtime: the state of the projections this instance owns, and
// where the other partitions live. The runtime implements it (see task-stores-state-source.ts for
// the LevelDB-backed part); tests use MemoryStateSource.
import type { AppendFate } from '../../projections/first-writer-wins/rejected-appends.ts';
import type { WindowSpec } from '../../projections/windows/spec.ts';

export type { AppendFate, WindowSpec };

/** Returned instead of a row while the partition that holds the key is still restoring. */
export const RESTORING = 'restoring' as const;
export type Restoring = typeof RESTORING;

export interface PartitionStatus {
  partition: number;
  /** Next input offset to process (Kafka's "position"): everything below it is in the state. */
  position: number;
  /** End (high watermark / last stable offset) of the input partition, when known. */
  endOffset?: number;
  /** Records behind the end: endOffset − position. */
  lag?: number;
  /** Milliseconds since this partition was last caught up (0 while caught up). */
  lagMs?: number;
  status: 'restoring' | 'running';
  /** Restore progress, while restoring: restored and total changelog records. */
  restore?: { restored: number; total: number };
}

/** A standby copy of another instance's partition kept here (processing.standbyReplicas). */
export interface StandbyPartitionStatus {
  partition: number;
  /** Changelog records behind when its latest catch-up round began (absent before the first). */
  lag?: number;
  /** Milliseconds since it was last known caught up (absent before the first round). */
  lagMs?: number;
  /** A warm-up: its task moves here once it is caught up. */
  warmup: boolean;
}

/** A row read from a local standby copy, with how stale the copy may be. */
export interface StandbyRow {
  row: StoredRow | undefined;
  stalenessMs: number;
}

export interface ProjectionStatus {
  name: string;
  kind: 'stream' | 'table';
  /** Whether its rows can be queried (stream projections have no table to query). */
  queryable: boolean;
  /** restoring while any locally owned partition restores. */
  status: 'restoring' | 'running';
  /** Locally owned partitions only. */
  partitions: PartitionStatus[];
  /** Rows in the locally owned partitions (committed rows; may be approximate). */
  rows: number;
  /** Windowed aggregates: the window; rows are then one per (key, window). */
  window?: WindowSpec;
  /** Standby copies of other instances' partitions kept here (with standby replicas). */
  standbys?: StandbyPartitionStatus[];
}

export interface StoredRow {
  value: unknown;
  partition: number;
  /** Input offset of the record that last changed the row, when known. */
  offset?: number;
  /** Event time (ms since epoch) of the record that last changed the row, when known. */
  updatedAt?: number;
}

export interface ScanRange {
  /** Encoded keys starting with this prefix. */
  prefix?: string;
  /** Encoded keys ≥ from. */
  from?: string;
  /** Encoded keys < to. */
  to?: string;
  /** Encoded keys > after (the pagination cursor). */
  after?: string;
  limit: number;
  /** Only these partitions (all must be local); default: every local partition. */
  partitions?: number[];
}

export interface ScannedRow extends StoredRow {
  /** The encoded key. */
  key: string;
}

/** A row as of an event time (time travel): the version in force then, or why there is none. */
export type AsOfRow =
  /** The row in force at that time, written by the record with event time `since`. */
  | { kind: 'row'; value: unknown; since: number; partition: number }
  /** No row at that time: the key did not exist yet, or had been deleted. */
  | { kind: 'absent' }
  /** The time precedes the retained history of the key: unknown. */
  | { kind: 'trimmed' };

export interface Owner {
  partition: number;
  /** Base URL of the owner's HTTP API, or null while unknown (rebalance, or it serves none). */
  endpoint: string | null;
  local: boolean;
}

/** A source with first-writer-wins, as its writers ask about it (routes/writers.ts). */
export interface WriterSource {
  source: string;
  /** Partitions (tasks) of the application: task p reads partition p of the source topic. */
  partitions: number;
  /** Read through a repartition topic: appends cannot be told by their position in the source topic. */
  reKeyed: boolean;
  owner(partition: number): Owner;
  /** Next offset of the source topic to read, when the partition is local. */
  position(partition: number): number | undefined;
  /** Resolves true once the local partition has read past `offset`, false after timeoutMs. */
  waitFor(partition: number, offset: number, timeoutMs: number): Promise<boolean>;
  /** The version of an encoded entity key in a local partition (0: no event yet); undefined when not local. */
  version(key: string): number | Restoring | undefined;
  /** The fate of the append at (partition, offset) of a local partition; undefined when not local. */
  fate(partition: number, offset: number): AppendFate | Restoring | undefined;
}

/** A declared source without `conflicts: first-writer-wins`. */
export const NOT_FIRST_WRITER_WINS = 'not-first-writer-wins' as const;

export interface StateSource {
  /** Every projection, with the status of the locally owned partitions. */
  projections(): Promise<ProjectionStatus[]>;
  /** Names of the projections (cheap; used to answer 404 before any work). */
  has(projection: string): boolean;
  /** Whether the projection keeps a table that can be queried by key. */
  queryable(projection: string): boolean;
  /** The row of an encoded key in a locally owned partition. */
  get(projection: string, key: string): StoredRow | undefined | Restoring;
  /**
   * The window of a windowed aggregate, else undefined. Its rows are keyed by (key, window) in the
   * windowRowKey layout (projections/windows/keys.ts) and live in the partition of the group key.
   */
  windowOf(projection: string): WindowSpec | undefined;
  /** Whether the projection keeps history, so `asOf` reads can be answered. */
  hasHistory(projection: string): boolean;
  /**
   * The row of an encoded key in a locally owned partition as of event time `atMs` (inclusive);
   * undefined when the partition is not local.
   */
  getAsOf(projection: string, key: string, atMs: number): AsOfRow | undefined | Restoring;
  /**
   * Rows of the locally owned partitions in a range, in UTF-8 byte order of the encoded keys,
   * at most `limit`. RESTORING when any local partition is restoring.
   */
  scan(projection: string, range: ScanRange): Promise<ScannedRow[] | Restoring>;
  /** Which partition holds the encoded key, and who owns it now. */
  ownerOf(projection: string, key: string): Owner;
  /** Every partition of the projection with its owner (for fan-out). */
  owners(projection: string): Owner[];
  /** Status of one locally owned partition, undefined when it is not local. */
  partitionStatus(projection: string, partition: number): PartitionStatus | undefined;
  /**
   * Resolves true once the local partition has processed the record at `offset` (its position,
   * the next offset to process, is > offset), false after timeoutMs.
   */
  waitFor(projection: string, partition: number, offset: number, timeoutMs: number): Promise<boolean>;
  /** Whether every locally owned partition finished restoring (readiness). */
  ready(): boolean;
  /**
   * The row of an encoded key from a local standby copy of its partition that was caught up at
   * most `maxLagMs` ago (any age when undefined); undefined when no such copy is here.
   */
  getFromStandby?(projection: string, key: string, maxLagMs: number | undefined): StandbyRow | undefined;
  /** A first-writer-wins source, NOT_FIRST_WRITER_WINS for another source, undefined for no source. */
  writerSource?(source: string): WriterSource | typeof NOT_FIRST_WRITER_WINS | undefined;
}
