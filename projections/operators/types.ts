// What flows between operators, and the context they run in.
import type { Change, OutputRecord, Row } from '../records.ts';
import type { StoreProvider } from '../store.ts';

/**
 * Everything an operator may touch. In the runtime: the task's stores (write cache over LevelDB),
 * the projection's output topic, and the internal exchange topics. In the pure executor: memory.
 */
export interface ProcessorContext {
  readonly stores: StoreProvider;
  /**
   * A projection's output: an upsert, or a tombstone when value is null. `encodedKey`, when the
   * operator has it at hand, is the record key's encoding (encodeKey; encodeWindowedKey for a
   * windowed key), so the runtime does not encode every record's key again to collapse its output.
   */
  emit(record: OutputRecord, encodedKey?: string): void;
  /**
   * Writes to an internal exchange topic (repartition, FK subscription/response). `key` is the
   * encoded partitioning key; `value` is JSON-serialisable and carries everything the receiver
   * needs, including the timestamp, so the record key never has to be decoded.
   */
  send(topic: string, key: string, value: unknown): void;
  /**
   * Optional: told of every record a windowed operator drops because its window closed (stream
   * time passed window end + grace). The runtime counts them and may dead-letter them as `late`.
   */
  late?(record: LateRecord): void;
}

/** A record dropped as late by a windowed aggregate or join. */
export interface LateRecord {
  projection: string;
  key: unknown;
  timestamp: number;
  /** The operator's stream time when it dropped the record. */
  streamTime: number;
  /** The window it would have updated (aggregates). */
  window?: { start: number; end: number };
}

/** Where an event came from; exposed to expressions as _topic, _partition, _offset. */
export interface RecordMeta {
  topic: string;
  partition: number;
  offset: number;
}

/** A record on a stream edge: an event (stream sources) or an append-only row. */
export interface StreamItem {
  key: unknown;
  value: Row;
  timestamp: number;
  /** The event type from the source's `eventType`, or null. */
  type: unknown;
  meta: RecordMeta | null;
}

/**
 * A change on a table edge (old → new, either may be null).
 * `force` marks a tombstone that must be emitted even if the row is already gone: ksqlDB's
 * foreign-key join emits one for every left-side delete.
 */
export interface TableChange extends Change<unknown> {
  force?: boolean;
}

export type Next<T> = (item: T, ctx: ProcessorContext) => void;

/** A mutable connection point, so pipelines can be built front to back. */
export interface Port<T> {
  push: Next<T>;
}

export function port<T>(): Port<T> {
  return { push: () => {} };
}

/** Thrown when a definition cannot be compiled into a topology. */
export class TopologyError extends Error {
  override name = 'TopologyError';
}

export const isRow = (v: unknown): v is Row => v !== null && typeof v === 'object' && !Array.isArray(v);
