// Stream–table join (enrichment): each event looks the table up at its arrival. Table updates are
// only stored, they never emit (ksqlDB). inner drops events without a row; left joins null.
import { encodeKey } from '../keys.ts';
import type { Row } from '../records.ts';
import type { Handler } from './source.ts';
import { identity, type Keep } from './fields.ts';
import type { Next, Port, ProcessorContext, RecordMeta, StreamItem } from './types.ts';
import { isRow } from './types.ts';

/** Keeps the right table in `store` (the fields `keep` leaves); emits nothing. */
export function storeTable(store: string, keep: Keep = identity): Handler {
  return (record, ctx) => {
    const s = ctx.stores.store<Row>(store);
    if (record.key === null || record.key === undefined) return; // a table row needs a key (Kafka Streams drops these too)
    const k = encodeKey(record.key);
    if (isRow(record.value)) s.put(k, keep(record.value));
    else s.delete(k);
  };
}

/** Joins one event with the table row of key `k` (null: no row). */
function joinItem(
  store: string,
  alias: string,
  type: 'inner' | 'left',
  item: StreamItem,
  k: unknown,
  out: Port<StreamItem>,
  ctx: ProcessorContext,
): void {
  const right =
    k === null || k === undefined ? null : (ctx.stores.store<Row>(store).get(encodeKey(k)) ?? null);
  if (right === null && type === 'inner') return;
  out.push({ ...item, value: { ...item.value, [alias]: right } }, ctx);
}

/** Primary-key join: the event's own key is the table key (the stream is co-partitioned). */
export function streamTableJoin(
  store: string,
  alias: string,
  type: 'inner' | 'left',
  out: Port<StreamItem>,
): Next<StreamItem> {
  return (item, ctx) => joinItem(store, alias, type, item, item.key, out, ctx);
}

/** An event travelling through a join repartition: keyed by the join key, carrying itself whole. */
export interface JoinRepartitionValue {
  /** join key */
  j: unknown;
  k: unknown;
  v: Row;
  t: number;
  y: unknown;
  m: RecordMeta | null;
}

/** Sends each event to the partition of its join key (`on` given on a stream), with the fields `keep` leaves. */
export function joinRepartition(
  topic: string,
  joinKey: (item: StreamItem) => unknown,
  keep: Keep = identity,
): Next<StreamItem> {
  return (item, ctx) => {
    const j = joinKey(item) ?? null;
    const value: JoinRepartitionValue = {
      j,
      k: item.key,
      v: keep(item.value),
      t: item.timestamp,
      y: item.type,
      m: item.meta,
    };
    ctx.send(topic, encodeKey(j), value);
  };
}

/** Receives repartitioned events and joins them by their join key. */
export function joinRepartitionReceiver(
  store: string,
  alias: string,
  type: 'inner' | 'left',
  out: Port<StreamItem>,
): Handler {
  return (record, ctx) => {
    const v = record.value as JoinRepartitionValue;
    const item: StreamItem = { key: v.k, value: v.v, timestamp: v.t, type: v.y, meta: v.m };
    joinItem(store, alias, type, item, v.j, out, ctx);
  };
}
