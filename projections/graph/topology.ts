// The compiled form of a definition, shaped like a Kafka Streams processor topology so the runtime
// can run it per partition: sub-topologies joined by internal exchange topics.
import type { InputRecord } from '../records.ts';
import type { ProcessorContext } from '../operators/types.ts';
import type { RowsView } from '../rows/view.ts';
import type { WindowSpec } from '../windows/spec.ts';

export interface StoreSpec {
  /** `<application>-<projection>-<purpose>`: stable across edits of other projections. */
  name: string;
  /** What the store holds, for describe output and docs. */
  purpose: string;
}

export interface TopicInput {
  topic: string;
  /** source: a source topic; projection: another projection's records; exchange: internal. */
  role: 'source' | 'projection' | 'exchange';
  /** The source or projection name, or the exchange's purpose. */
  name: string;
}

export interface ExchangeSpec {
  topic: string;
  purpose: 'repartition' | 'join-repartition' | 'fk-subscription' | 'fk-response' | 'source-repartition';
  projection: string;
  /** Sub-topology ids of the writer and the reader. */
  from: string;
  to: string;
  /** What the record key is (and so what the topic is partitioned by). */
  keyedBy: string;
}

export interface SubTopology {
  /** `<projection>` or `<projection>-<purpose>`. */
  readonly id: string;
  readonly projection: string;
  readonly inputs: readonly TopicInput[];
  readonly stores: readonly StoreSpec[];
  /** Exchange topics it writes with ctx.send. */
  readonly sends: readonly string[];
  /** Whether it emits the projection's output records. */
  readonly emits: boolean;
  /** Human-readable operator chain, for describeTopology. */
  readonly operators: readonly string[];
  /** Processes one record of one of its input topics (synchronous, deterministic). */
  process(record: InputRecord, ctx: ProcessorContext): void;
  /**
   * Emits what became due without a new record: closed windows of `emit: final` aggregates and
   * null-padded rows of windowed joins whose window closed, by the stream time already stored.
   * Operators run the same check after every record; the runtime may call this at commit too (it
   * is idempotent). Present only on sub-topologies with such operators.
   */
  punctuate?(ctx: ProcessorContext): void;
}

export interface ProjectionInfo {
  name: string;
  /** table: upserts and tombstones per key; stream: append-only records. */
  kind: 'stream' | 'table';
  from: string;
  /** Where its records go: the public output topic, an internal feed topic, or nowhere. */
  topic: string | null;
  /** True when `topic` is an internal feed (output: false but read by another projection). */
  internalTopic: boolean;
  /**
   * Table projections: how to read the final rows (after having/select) by encoded key, each as
   * `{ v: row, t: event time }` (projections/rows): from the aggregate store, derived on read, or
   * from a rows store. Stream projections have none: their records are in the output topic.
   */
  rows?: RowsView;
  /** Windowed aggregates: the window (rows are keyed by group key and window, see windows/keys.ts). */
  window?: WindowSpec;
  /** Set when the projection declares `history`: where its row versions live, and their limits. */
  history?: { store: string; retentionMs: number; maxVersions?: number };
}

export interface SourceInfo {
  name: string;
  topic: string;
  kind: 'stream' | 'table';
}

/** A source with `conflicts: first-writer-wins`, as the HTTP API answers its writers. */
export interface FirstWriterWinsInfo {
  source: string;
  topic: string;
  /** The projection reporting its rejections: its tasks hold the versions and rejected appends. */
  projection: string;
  versionStore: string;
  rejectedAppendsStore: string;
  /** Read through a repartition topic: rejections are known by that topic's positions only. */
  reKeyed: boolean;
}

export interface Topology {
  readonly application: string;
  readonly sources: readonly SourceInfo[];
  readonly projections: readonly ProjectionInfo[];
  readonly subTopologies: readonly SubTopology[];
  readonly exchanges: readonly ExchangeSpec[];
  /** Sources with first-writer-wins (absent: none). */
  readonly firstWriterWins?: readonly FirstWriterWinsInfo[];
}
