// Entry operators: turn records read from a topic into stream items or table changes.
import { compileExpression } from '../expressions/index.ts';
import { encodeKey } from '../keys.ts';
import type { InputRecord, Row } from '../records.ts';
import type { SourceDef } from '../definition/schema.ts';
import { compileUpcaster } from '../upcasting/index.ts';
import type { DedupFilter } from './dedup.ts';
import { identity, type Keep } from './fields.ts';
import {
  isRow,
  type Next,
  type Port,
  type ProcessorContext,
  type StreamItem,
  type TableChange,
} from './types.ts';

export type Handler = (record: InputRecord, ctx: ProcessorContext) => void;

/** Reads an event time given in ms or as an ISO-8601 string; falls back to the record timestamp. */
function toMillis(v: unknown, fallback: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  return fallback;
}

/** Per-source extraction of key, event type and event time. */
export interface SourceReader {
  key(record: InputRecord, value: Row): unknown;
  type(value: Row): unknown;
  time(value: Row | null, fallback: number): number;
  /** The event(s) in their current shape; undefined when the source declares no upcasters. */
  upcast?: (value: Row, record: InputRecord) => Row[];
  /** The top-level fields the source's own key, eventType and time expressions read. */
  readonly fields: readonly string[];
}

export function sourceReader(source: SourceDef | undefined): SourceReader {
  const keyExpr = source?.key ? compileExpression(source.key) : undefined;
  const typeExpr = source?.eventType ? compileExpression(source.eventType) : undefined;
  const timeExpr = source?.time ? compileExpression(source.time) : undefined;
  const upcaster = compileUpcaster(source);
  const own = [keyExpr, typeExpr, timeExpr].filter((e) => e !== undefined);
  return {
    fields: own.flatMap((e) => e.paths.map((p) => p[0]!)),
    key: (record, value) => (keyExpr ? keyExpr.evaluate(value) : record.key),
    type: (value) => (typeExpr ? typeExpr.evaluate(value) : null),
    time: (value, fallback) => (timeExpr && value ? toMillis(timeExpr.evaluate(value), fallback) : fallback),
    upcast: upcaster
      ? (value, record) =>
          upcaster.upcast(value, {
            key: record.key,
            timestamp: record.timestamp,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          })
      : undefined,
  };
}

/**
 * Stream source: every record is an event. A record with a null (or non-object) value is skipped,
 * as ksqlDB skips stream "tombstones": it neither counts nor deletes anything.
 */
export function streamSource(reader: SourceReader, out: Port<StreamItem>, dedup?: DedupFilter): Handler {
  return (record, ctx) => {
    const value = record.value;
    if (!isRow(value)) return;
    // Upcasting runs first: key, type, time and event id are read from the current shape.
    const meta = { topic: record.topic, partition: record.partition, offset: record.offset };
    const emit = (event: Row, part: number): void => {
      const item: StreamItem = {
        key: reader.key(record, event),
        value: event,
        timestamp: reader.time(event, record.timestamp),
        type: reader.type(event),
        meta,
      };
      if (!dedup || dedup(item, part, ctx)) out.push(item, ctx);
    };
    if (!reader.upcast) return emit(value, 0);
    const events = reader.upcast(value, record);
    for (let part = 0; part < events.length; part++) emit(events[part]!, part);
  };
}

/**
 * Table source: each record is the latest row for its key, null = delete. The table is
 * materialised in `store` so every change carries the old row (downstream aggregates retract it).
 * `keep` cuts a row down to the fields the projection reads, in the store and downstream alike.
 */
export function tableSource(
  store: string,
  reader: SourceReader,
  out: Port<TableChange>,
  keep: Keep = identity,
): Handler {
  return (record, ctx) => {
    const s = ctx.stores.store<Row>(store);
    if (record.key === null || record.key === undefined) return; // a table row needs a key (Kafka Streams drops these too)
    const k = encodeKey(record.key);
    const old = s.get(k) ?? null;
    const value = isRow(record.value) ? record.value : null;
    const next = value && keep(value);
    if (next) s.put(k, next);
    else s.delete(k);
    // the time is read from the whole record: the source's own fields may not be kept
    out.push({ key: record.key, old, new: next, timestamp: reader.time(value, record.timestamp) }, ctx);
  };
}

/** Connects a port to a function (readability helper for the compiler). */
export function connect<T>(p: Port<T>, next: Next<T>): void {
  p.push = next;
}
