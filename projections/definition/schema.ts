// The projection language: the zod schema of projections.yaml.
// Structure only; semantic checks (references, cycles, types) live in validate.ts.
import { z } from 'zod';
import { Expression, FieldType, Name } from './primitives.ts';
import { Command } from '../commands/schema.ts';
import { Duration, DurationOrZero, Window } from './window.ts';
import { PostgresConnection, ProjectionViews } from './views.ts';

export { Expression, FieldType };

/** A field of an event, possibly nested (`amount`, `data.amount`). */
const FieldPath = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'a field path is names joined by dots');

/** The field edits of an upcasting step, applied in this order: rename, default, set, remove. */
const FieldEdits = {
  /** old field → new field. */
  rename: z.record(FieldPath, FieldPath).optional(),
  /** field → literal value, written when the field is missing or null. */
  default: z.record(FieldPath, z.unknown()).optional(),
  /** field → expression over the event (after rename and default). */
  set: z.record(FieldPath, Expression).optional(),
  remove: z.array(FieldPath).min(1).optional(),
};

/** One event of a split: a copy of the event, edited, possibly of another type. */
export const SplitPart = z.strictObject({
  /** The part's event type; default: the type being upcast. */
  type: z.string().min(1).optional(),
  /** The part's version; default: the next version for the same type, the current version for another type. */
  version: z.number().int().positive().optional(),
  ...FieldEdits,
});

/** Turns an event of version `from` into version `from + 1` (or, with split, into several events). */
export const UpcastStep = z.strictObject({
  from: z.number().int().positive(),
  ...FieldEdits,
  split: z.array(SplitPart).min(1).optional(),
});

export const Source = z.strictObject({
  topic: z.string().min(1),
  /** stream: every record is an event. table: every record is the latest row for its key (null = delete). */
  kind: z.enum(['stream', 'table']).default('stream'),
  /** Expression for the entity key; default: the Kafka record key. */
  key: Expression.optional(),
  /** Field path or expression naming the event type (e.g. eventType). */
  eventType: Expression.optional(),
  /** Field path or expression giving a unique event id, for deduplication. */
  eventId: Expression.optional(),
  /** Field path or expression giving the event time in ms or ISO-8601; default: record timestamp. */
  time: Expression.optional(),
  /** Value format: JSON, or Avro / JSON Schema / Protobuf in the schema registry's wire format (needs schemaRegistry). */
  format: z.enum(['json', 'avro', 'json-schema', 'protobuf']).default('json'),
  /** Avro only: decode every value into this reader schema (fields added with a default get it). */
  readerSchema: z.record(z.string(), z.unknown()).optional(),
  /** Key format: string (UTF-8) or json. */
  keyFormat: z.enum(['string', 'json']).default('string'),
  /** Optional field declarations; when given, expressions are checked against them. */
  fields: z.record(Name, FieldType).optional(),
  /** Field path or expression giving the event's schema version (a positive integer); absent or null = 1. */
  version: Expression.optional(),
  /** Upcasters per event type: steps chained from → from + 1 up to the current version. */
  upcast: z.record(z.string().min(1), z.array(UpcastStep).min(1)).optional(),
  /** How long this source's event ids are remembered (overrides processing.dedupHorizonMs). */
  dedupHorizonMs: z.number().int().positive().optional(),
  /**
   * How records are known to sit in their entity key's partition. verify (default): each record is
   * checked, a misplaced one is a `misrouted` dead letter. repartition: re-keyed by the entity key
   * through an internal topic first (ksqlDB's PARTITION BY), for producers that do not key by it.
   * messageKey: the message key (decoded by keyFormat) is the entity key and must agree with `key:`;
   * string keys are placed by their own bytes (checked as verify), json keys are re-keyed first.
   */
  partitioning: z.enum(['verify', 'repartition', 'messageKey']).optional(),
  /** Dead-letter topic for this source's poison records (overrides the application's). */
  deadLetterTopic: z.string().min(1).optional(),
  /** Field holding the entity version (its event count: 1 for the first event); see docs/commands.md. */
  entityVersion: Name.optional(),
  /** first-writer-wins: an event that does not advance its entity's version by one is rejected. */
  conflicts: z.enum(['first-writer-wins']).optional(),
});

/** Options shared by every aggregate. */
const AggregateOptions = {
  /** Only events of these types contribute (stream sources with an eventType). */
  on: z.array(z.string().min(1)).min(1).optional(),
  /** Only rows/events passing this expression contribute. */
  where: Expression.optional(),
};

/** `{ sum: amount }`, `{ sum: { of: amount, on: [...] } }`, or `{ sum: { MoneyDeposited: amount, MoneyWithdrawn: -amount } }`. */
const ValueArgument = z.union([
  Expression,
  z.strictObject({ of: Expression, ...AggregateOptions, ignoreNulls: z.boolean().optional() }),
  // per-event-type map: each key is an event type, each value the expression for it
  z.record(
    z.string().regex(/^[A-Z][A-Za-z0-9_.-]*$/, 'event types in a per-type map start with a capital letter'),
    Expression,
  ),
]);

const CountArgument = z.union([
  z.literal('*'),
  Expression,
  z.strictObject({ of: Expression.optional(), ...AggregateOptions }),
]);

const CollectArgument = z.union([
  Expression,
  z.strictObject({
    of: Expression,
    ...AggregateOptions,
    limit: z.number().int().positive().max(10_000).optional(),
  }),
]);

export const Aggregate = z.union([
  z.strictObject({ sum: ValueArgument }),
  z.strictObject({ count: CountArgument }),
  z.strictObject({ min: ValueArgument }),
  z.strictObject({ max: ValueArgument }),
  z.strictObject({ avg: ValueArgument }),
  z.strictObject({ latest: ValueArgument }),
  z.strictObject({ first: ValueArgument }),
  z.strictObject({ collect_list: CollectArgument }),
  z.strictObject({ collect_set: CollectArgument }),
]);

/** How far apart in event time two joined stream records may be: `15m`, or `{ before, after }`. */
export const JoinWithin = z.union([
  Duration,
  z.strictObject({ before: DurationOrZero, after: DurationOrZero }),
]);

export const Join = z
  .strictObject({
    /** The right side: a table source or a table projection. */
    table: Name.optional(),
    /** The right side of a windowed stream–stream join (needs `within`): a stream source or projection. */
    stream: Name.optional(),
    /** Omitted: primary-key join (left key = right key). Given: an expression over the left row giving the right key (foreign key). */
    on: Expression.optional(),
    /** right: stream–stream joins only (every right record, null-padded when unmatched). */
    type: z.enum(['inner', 'left', 'outer', 'right']).default('inner'),
    /** Name under which the right row is visible in later expressions; default: the table's name. */
    as: Name.optional(),
    /** Stream–stream: a left record at l joins a right record at r when l - before <= r <= l + after. */
    within: JoinWithin.optional(),
    /** Stream–stream: how long after its window a late record may still join (default 0). */
    grace: DurationOrZero.optional(),
    /**
     * Stream–stream left/right/outer: when an unmatched record is emitted null-padded. onClose (default):
     * once its window closed, never early. eager: at once, even if a partner arrives later (ksqlDB
     * without GRACE; the spurious rows stay in the output).
     */
    // No zod default: a parsed table join must stay equal to one deployed before this key existed.
    unmatched: z.enum(['onClose', 'eager']).optional(),
  })
  .superRefine((j, ctx) => {
    if ((j.table === undefined) === (j.stream === undefined))
      ctx.addIssue({ code: 'custom', message: 'a join names its right side with either table or stream' });
    if (j.stream !== undefined && j.within === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['within'],
        message: 'a stream–stream join needs within (how far apart in event time records may join)',
      });
    if (j.table !== undefined) {
      for (const key of ['within', 'grace'] as const)
        if (j[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} applies to stream–stream joins (stream:)`,
          });
      if (j.type === 'right')
        ctx.addIssue({
          code: 'custom',
          path: ['type'],
          message: 'a right join needs a stream on both sides',
        });
    }
    if (j.stream !== undefined && j.on !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['on'],
        message: 'a stream–stream join joins on the record key; re-key the streams first',
      });
  });

/** The right side of a join, whether a table or a stream. */
export const joinTarget = (j: { table?: string; stream?: string }): string => j.table ?? j.stream ?? '';

/** groupBy: one expression, a list (composite key, named by the expressions), or a map name → expression. */
export const GroupBy = z.union([Expression, z.array(Expression).min(1), z.record(Name, Expression)]);

/** Time travel: keep each key's row versions so it can be read as of an event time. */
export const History = z.strictObject({
  /** How far back (in event time, before the key's newest version) versions are kept. */
  retention: Duration,
  /** Keep at most this many versions per key (the newest). */
  maxVersions: z.number().int().positive().optional(),
});

export const Projection = z.strictObject({
  /** A source or another projection. */
  from: Name,
  description: z.string().optional(),
  /** Bumped when the logic changes; a new version builds side by side (operations issue). */
  version: z.number().int().positive().default(1),
  /** Filter applied to input events/rows before anything else. */
  where: Expression.optional(),
  /** One join or a chain of joins, applied in order. */
  join: z.union([Join, z.array(Join).min(1)]).optional(),
  groupBy: GroupBy.optional(),
  aggregate: z.record(Name, Aggregate).optional(),
  /** Windowed aggregation by event time (stream sources): the output is keyed by (group key, window). */
  window: Window.optional(),
  /** changes (default): every update; final: one record per window once it closes (windowed only). */
  emit: z.enum(['changes', 'final']).optional(),
  /**
   * Records a window or windowed join drops as late (after window end + grace): drop (default; the
   * runtime counts them) or deadLetter (also written to the dead-letter topic as kind `late`).
   */
  late: z.enum(['drop', 'deadLetter']).optional(),
  /** Row filter after aggregation: rows failing it are removed (tombstone). */
  having: Expression.optional(),
  /** Output fields, name → expression over the row. Default: the aggregate fields / the (joined) row. */
  select: z.record(Name, Expression).optional(),
  /** Event types that delete the group (stream aggregations): the row is tombstoned and its state reset. */
  deleteOn: z.array(z.string().min(1)).min(1).optional(),
  /** Expression over the event; true deletes the group like deleteOn. */
  deleteWhen: Expression.optional(),
  /** Output topic; default `<application>-<projection>`; false: no output topic (intermediate projection). */
  output: z
    .union([
      z.strictObject({
        topic: z.string().min(1).optional(),
        /** Value format of the output topic; registry formats encode with the subject's latest schema. */
        format: z.enum(['json', 'avro', 'json-schema', 'protobuf']).default('json'),
        /** Registry subject of the value schema; default `<topic>-value`. */
        subject: z.string().min(1).optional(),
        /**
         * Windowed aggregates: the record key's layout. json (default): `{key, window}`; binary:
         * Kafka Streams' windowed key (key bytes + 8-byte big-endian start; sessions end + start).
         */
        windowedKey: z.enum(['json', 'binary']).optional(),
      }),
      z.literal(false),
    ])
    .optional(),
  /** Keep row versions for `asOf` reads (table projections only). */
  history: History.optional(),
  /** Materialized views: the projection kept in a PostgreSQL table (docs/views.md). */
  views: ProjectionViews.optional(),
});

export const Definition = z.strictObject({
  /** The application id: the consumer group and the prefix of every internal topic. */
  application: Name,
  kafka: z
    .strictObject({
      brokers: z.union([z.string(), z.array(z.string())]).optional(),
      clientId: z.string().optional(),
    })
    .optional(),
  processing: z
    .strictObject({
      guarantee: z.enum(['at_least_once', 'exactly_once']).default('at_least_once'),
      commitIntervalMs: z.number().int().positive().default(100),
      /** How long event ids are remembered for deduplication. */
      dedupHorizonMs: z.number().int().positive().optional(),
      /** Warm copies of each task kept on other instances (docs/runtime.md, "Standby replicas"). */
      standbyReplicas: z.number().int().min(0).max(8).optional(),
      /** A standby at most this many changelog records behind is caught up: its task may move there. */
      acceptableRecoveryLag: z.number().int().min(0).optional(),
      /** Warm-ups assigned at once in the group (Kafka Streams' max.warmup.replicas); absent: no limit. */
      maxWarmupReplicas: z.number().int().min(1).optional(),
      /**
       * After this long since warm-ups were assigned, an instance asks for a rebalance when any of
       * them caught up, not only when all did (Kafka Streams' probing.rebalance.interval.ms).
       */
      probingRebalanceIntervalMs: z.number().int().positive().optional(),
      /**
       * Inputs of windowed joins are taken in event-time order: how long a task waits at most for such
       * an input whose lag is not known yet; one known to have records on the broker is waited for
       * without a bound (docs/runtime.md, "Input order").
       */
      maxTaskIdleMs: z.number().int().min(0).optional(),
    })
    .optional(),
  state: z
    .strictObject({
      dir: z.string().optional(),
      /** Rows read from LevelDB kept in memory, per store and task (docs/stores.md, "Memory"). */
      cacheRows: z.number().int().min(0).optional(),
      /**
       * Changed rows and output records a task holds before it commits early, whatever the commit
       * interval (default 20 000): with the fetch size, what bounds the JavaScript heap in a backlog.
       */
      maxUncommittedRows: z.number().int().positive().optional(),
      /**
       * Changelog bytes a restore fetches and writes to LevelDB at a time, per task (default 4 MiB):
       * lower bounds a restore's memory, higher restores faster.
       */
      restoreBatchBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .optional(),
      /** LevelDB's own memory per task database: its block cache and its write buffer (memtable). */
      leveldb: z
        .strictObject({
          blockCacheBytes: z.number().int().min(0).optional(),
          writeBufferBytes: z
            .number()
            .int()
            .min(64 * 1024)
            .optional(),
        })
        .optional(),
    })
    .optional(),
  http: z
    .strictObject({ host: z.string().optional(), port: z.number().int().min(0).max(65535).optional() })
    .optional(),
  deadLetterTopic: z.string().min(1).optional(),
  /** Projection versions: whether queries switch to a new version once it caught up (docs/versions.md). */
  versions: z.strictObject({ switch: z.enum(['auto', 'manual']).default('auto') }).optional(),
  /** The schema registry (Confluent-compatible API) for avro / json-schema sources and outputs. */
  schemaRegistry: z
    .strictObject({
      url: z.string(),
      username: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
  /** Shared PostgreSQL connections for views, by name (docs/views.md). */
  postgres: z.record(Name, PostgresConnection).optional(),
  sources: z.record(Name, Source),
  projections: z.record(Name, Projection),
  /** The write side: commands that check rules and append events (docs/commands.md). */
  commands: z.record(Name, Command).optional(),
});

export type DefinitionInput = z.input<typeof Definition>;
export type Definition = z.output<typeof Definition>;
export type SourceDef = z.output<typeof Source>;
export type ProjectionDef = z.output<typeof Projection>;
export type HistoryDef = z.output<typeof History>;
export type AggregateDef = z.output<typeof Aggregate>;
export type JoinDef = z.output<typeof Join>;
export type GroupByDef = z.output<typeof GroupBy>;
export type WindowDef = z.output<typeof Window>;
export type FieldTypeName = z.output<typeof FieldType>;
export type UpcastStepDef = z.output<typeof UpcastStep>;
export type SplitPartDef = z.output<typeof SplitPart>;
