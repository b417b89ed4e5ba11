// The values that flow through the engine.

/** A JSON object row. */
export type Row = Record<string, unknown>;

/** A record as read from a source topic, already decoded (key and value are JSON values). */
export interface InputRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Decoded key: a scalar or, for composite keys, an object. null when the record has none. */
  key: unknown;
  /** Decoded value; null is a tombstone on a table source. */
  value: unknown;
  /** Record timestamp in ms. */
  timestamp: number;
  headers?: Record<string, string>;
}

/**
 * A change along a table edge: the row for `key` went from `old` to `new`.
 * old = null: insert; new = null: delete. Carrying both lets downstream aggregates retract.
 */
export interface Change<K = unknown> {
  key: K;
  old: Row | null;
  new: Row | null;
  timestamp: number;
}

/** A record a projection writes to its output: an upsert, or a tombstone when value is null. */
export interface OutputRecord {
  projection: string;
  key: unknown;
  value: Row | null;
  timestamp: number;
}
