// `partitioning: repartition` on a source (ksqlDB's PARTITION BY): its records are first re-keyed
// by their entity key through an internal topic, so a producer that did not key them by it (null
// keys, another id) still puts each entity in one task. The writer forwards the record unchanged
// (message key, value, headers, time) inside an exchange message keyed by the entity key; the
// reader hands the original record back to the source's usual entry operator.
import { encodeKey } from '../keys.ts';
import type { InputRecord } from '../records.ts';
import type { SourceDef } from '../definition/schema.ts';
import { type Handler, sourceReader } from './source.ts';
import { isRow } from './types.ts';

/** What travels through the repartition topic: the source record as read. */
export interface SourceExchangeMessage {
  /** the record's time (ms), as for every exchange message */
  t: number;
  /** the message key (decoded) */
  k: unknown;
  /** the value (decoded) */
  v: unknown;
  h?: Record<string, string>;
}

/**
 * Does the source go through a repartition topic before its projections? Always under
 * `partitioning: repartition`. Under `messageKey`, when the message key is JSON: its bytes (`"a1"`
 * with quotes) are not the key's canonical encoding (`a1`), by which every output topic, exchange
 * and HTTP lookup places the key, so the producer's placement cannot be kept. A string message key
 * is the canonical encoding itself: its records stay where they are (and are verified).
 */
export function reKeysSource(source: SourceDef | undefined): boolean {
  if (!source) return false;
  return (
    source.partitioning === 'repartition' ||
    (source.partitioning === 'messageKey' && source.keyFormat === 'json')
  );
}

/** The entity key of a record (after upcasting, as the entry operators read it), or null. */
function entityKey(source: SourceDef): (record: InputRecord) => unknown {
  const reader = sourceReader(source);
  if (source.kind === 'table' || !source.key) return (record) => record.key ?? null;
  return (record) => {
    if (!isRow(record.value)) return null;
    const event = reader.upcast ? reader.upcast(record.value, record)[0] : record.value;
    return event ? (reader.key(record, event) ?? null) : null;
  };
}

/**
 * Re-keys a source's records into `topic`. Records without an entity key are not forwarded: the
 * runtime dead-letters them before (missing-key); the pure engine drops them as the source would.
 */
export function sourceRepartition(source: SourceDef, topic: string): Handler {
  const keyOf = entityKey(source);
  return (record, ctx) => {
    const key = keyOf(record);
    if (key === null || key === undefined) return;
    const message: SourceExchangeMessage = { t: record.timestamp, k: record.key, v: record.value };
    if (record.headers) message.h = record.headers;
    ctx.send(topic, encodeKey(key), message);
  };
}

/** Reads the repartition topic: the original record, as if read from `sourceTopic`. */
export function fromSourceRepartition(sourceTopic: string, handler: Handler): Handler {
  return (record, ctx) => {
    const m = record.value as SourceExchangeMessage;
    handler(
      {
        topic: sourceTopic,
        partition: record.partition,
        offset: record.offset,
        key: m.k,
        value: m.v,
        timestamp: m.t,
        headers: m.h,
      },
      ctx,
    );
  };
}
