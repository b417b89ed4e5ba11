// The checks a decoded source record must pass before any projection sees it, so that a record
// which cannot change state correctly goes to the dead-letter topic instead of being dropped
// quietly or corrupting a table:
//   missing-key   a stream source's `key:` is null or absent in the event
//   missing-type  a stream source declares `eventType:` and the event has none
//   misrouted     the record is not on the partition its entity key belongs to (placement.ts)
//   key-mismatch  `partitioning: messageKey`: the message key names another entity than `key:`
// The key and type are read as the engine reads them (projections/operators/source.ts): from the
// event after upcasting, from the message key for table sources and sources without `key:`.
import type { SourceDef } from '../../projections/definition/schema.ts';
import { compileExpression } from '../../projections/expressions/index.ts';
import { encodeKey } from '../../projections/keys.ts';
import type { InputRecord } from '../../projections/records.ts';
import { reKeysSource } from '../../projections/operators/source-repartition.ts';
import { compileUpcaster } from '../../projections/upcasting/index.ts';
import type { RawRecord } from '../formats/raw-record.ts';
import { misplacement, misplacementMessage } from './placement.ts';

export interface Rejection {
  kind: 'missing-key' | 'missing-type' | 'misrouted' | 'key-mismatch';
  message: string;
}

/** At most this many event types are counted apart per source; the rest as `other`. */
const MAX_UNHANDLED_TYPES = 100;

export interface EntityCheck {
  /** The source's name. */
  readonly source: string;
  /**
   * Valid events of a type no projection acts on (handled-types.ts), by type: they pass, change
   * nothing, and are counted here instead of being dead-lettered.
   */
  readonly unhandled: Map<string, number>;
  /** The partition count placement is checked against (0 until known, or when not checked). */
  partitions: number;
  /** False only when measuring what the checks cost (SKIP_CHECKS_ENV). */
  enabled: boolean;
  /** Why the decoded record must not be processed, or undefined. */
  check(record: InputRecord, raw: RawRecord): Rejection | undefined;
}

const isRow = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Expression and upcast failures are the process stage's to report (with the projection). */
const reportedLater = (err: unknown): boolean => {
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'ExpressionError' || name === 'UpcastError';
};

export function entityCheck(
  name: string,
  source: SourceDef,
  handledTypes?: ReadonlySet<string>,
): EntityCheck {
  const isStream = source.kind === 'stream';
  const keyExpr = isStream && source.key ? compileExpression(source.key) : undefined;
  const typeExpr = isStream && source.eventType ? compileExpression(source.eventType) : undefined;
  const upcaster = isStream ? compileUpcaster(source) : undefined;
  const jsonKeys = source.keyFormat === 'json';
  // Re-keyed sources are placed by the runtime itself, through their repartition topic.
  const checksPlacement = !reKeysSource(source);
  // messageKey with `key:`: the decoded message key and the event's key must name one entity.
  const keysMustAgree = source.partitioning === 'messageKey' && keyExpr !== undefined;

  const upcast = (record: InputRecord, value: Record<string, unknown>) =>
    upcaster!.upcast(value, {
      key: record.key,
      timestamp: record.timestamp,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    });

  // Per record, so without closures or arrays: the hot path is one string comparison.
  function placed(key: unknown, record: InputRecord, raw: RawRecord): Rejection | undefined {
    if (!checksPlacement) return undefined;
    const encoded = encodeKey(key);
    // The message key as text: equal to the encoded key, it placed the record (no hashing).
    const messageKey = jsonKeys ? (raw.key?.toString('utf8') ?? null) : (record.key as string | null);
    const m = misplacement(encoded, messageKey, raw.partition, self.partitions);
    return m && { kind: 'misrouted', message: misplacementMessage(name, encoded, m) };
  }

  function checkEvent(event: Record<string, unknown>, record: InputRecord, raw: RawRecord) {
    let key: unknown = record.key;
    let type: unknown = 'any';
    try {
      if (keyExpr) key = keyExpr.evaluate(event);
      if (typeExpr) type = typeExpr.evaluate(event);
    } catch (err) {
      if (reportedLater(err)) return undefined;
      throw err;
    }
    if (keyExpr && (key === null || key === undefined))
      return missing('missing-key', `the event has no key: ${source.key} is null or absent (source ${name})`);
    if (type === null || type === undefined)
      return missing(
        'missing-type',
        `the event has no type: ${source.eventType} is null or absent (source ${name})`,
      );
    if (keysMustAgree) {
      const rejection = agrees(key, record.key);
      if (rejection) return rejection;
    }
    // A stream without `key:` and without a message key has no placement to check.
    const rejection = key === null || key === undefined ? undefined : placed(key, record, raw);
    if (!rejection && handledTypes && !handledTypes.has(type as string)) countUnhandled(String(type));
    return rejection;
  }

  function countUnhandled(type: string): void {
    const counted = self.unhandled.has(type) || self.unhandled.size < MAX_UNHANDLED_TYPES;
    const label = counted ? type : 'other';
    self.unhandled.set(label, (self.unhandled.get(label) ?? 0) + 1);
  }

  function agrees(key: unknown, messageKey: unknown): Rejection | undefined {
    if (messageKey === null || messageKey === undefined)
      return missing(
        'missing-key',
        `the record has no message key (source ${name} has partitioning: messageKey)`,
      );
    const fromMessage = encodeKey(messageKey);
    const fromEvent = encodeKey(key);
    if (fromMessage === fromEvent) return undefined;
    return missing(
      'key-mismatch',
      `key-mismatch: the message key names ${JSON.stringify(fromMessage)}, the event's ${source.key} ` +
        `${JSON.stringify(fromEvent)} (source ${name} has partitioning: messageKey)`,
    );
  }

  const self: EntityCheck = {
    source: name,
    unhandled: new Map(),
    partitions: 0,
    enabled: true,
    check(record, raw) {
      if (!self.enabled) return undefined;
      if (!keyExpr && !typeExpr) {
        // Keyed by the message key (its absence is the decoder's missing-key).
        const key = record.key;
        return key === null || key === undefined ? undefined : placed(key, record, raw);
      }
      const value = record.value;
      if (!isRow(value)) return undefined; // the decoder rejects what is not an event
      if (!upcaster) return checkEvent(value, record, raw);
      let events: Record<string, unknown>[];
      try {
        events = upcast(record, value);
      } catch (err) {
        if (reportedLater(err)) return undefined;
        throw err;
      }
      for (const event of events) {
        const rejection = checkEvent(event, record, raw);
        if (rejection) return rejection;
      }
      return undefined;
    },
  };
  return self;
}

const missing = (kind: Rejection['kind'], message: string): Rejection => ({ kind, message });

/** Measurement only (npm run bench): turns the entity checks off to price them. Never for production. */
export const SKIP_CHECKS_ENV = 'STREAMFOLD_MEASURE_WITHOUT_SOURCE_CHECKS';

/** At start, once the source topics' partition counts are known: placement is checked against them. */
export function configureEntityChecks(
  routes: Iterable<{ topic: string; entity?: EntityCheck }>,
  partitionCounts: ReadonlyMap<string, number>,
): void {
  const skip = process.env[SKIP_CHECKS_ENV] === '1';
  for (const route of routes) {
    if (!route.entity) continue;
    route.entity.partitions = partitionCounts.get(route.topic) ?? 0;
    route.entity.enabled = !skip;
  }
}
