// The contract every aggregate function implements. An aggregate describes itself (name, docs,
// argument shape) so the YAML reference and validation can be generated from one registry.
//
// Two modes, because a stream and a table need different state:
// - stream: every event only adds (ksqlDB stream aggregation); state can stay minimal.
// - table: every row update retracts the row's previous contribution and adds the new one, so the
//   state must be able to undo any single contribution (e.g. MIN keeps a multiset, not one value).
// States must be JSON-serialisable: the runtime writes them to LevelDB and changelog topics.

/** Identifies one contribution in table mode: the source row's encoded key. */
export type RowKey = string;

export interface Accumulator<S = unknown> {
  /** State of a group that has seen nothing yet. */
  init(): S;
  /** Adds one contribution. `value` may be null (each aggregate decides whether nulls count). */
  add(state: S, value: unknown, row: RowKey): S;
  /** Undoes a contribution previously added with the same value and row (table mode only). */
  retract?(state: S, oldValue: unknown, row: RowKey): S;
  /**
   * Optional: the same row changed its value without leaving the group. Default: retract + add.
   * FIRST uses it to keep the row's original position.
   */
  replace?(state: S, oldValue: unknown, newValue: unknown, row: RowKey): S;
  /**
   * Stream mode, for session windows: the state of two sessions merged into one (`older` started
   * first). May reuse either state.
   */
  merge?(older: S, newer: S): S;
  /** The output value. Must not return a reference into the state (outputs outlive it). */
  result(state: S): unknown;
}

/** Which YAML argument forms the aggregate accepts (see definition/schema.ts). */
export type ArgumentKind = 'value' | 'count' | 'collect';

export interface AggregateOptions {
  /** LATEST/FIRST: skip null values (default true, like ksqlDB's LATEST_BY_OFFSET). */
  ignoreNulls?: boolean;
  /** COLLECT_LIST/COLLECT_SET: maximum number of elements kept (default 1000). */
  limit?: number;
}

export interface AggregateSpec {
  /** The YAML keyword, e.g. `sum`. */
  readonly name: string;
  /** One paragraph for the reference documentation. */
  readonly docs: string;
  readonly argument: ArgumentKind;
  /** How a retraction works and what state a table-mode group keeps (for docs/engine.md). */
  readonly tableState: string;
  stream(options: AggregateOptions): Accumulator<any>;
  table(options: AggregateOptions): Accumulator<any>;
}
