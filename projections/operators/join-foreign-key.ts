// Table–table foreign-key join (inner, left), shaped like Kafka Streams' (KIP-213) so it can run
// on partitions: the left side lives with the left table's partitions and the right side with the
// right table's, and they talk through two exchange topics.
//
//   left change ──subscribe/unsubscribe (keyed by FK)──► right side: subscription index + right table
//   left side   ◄──response (keyed by left key)──────── right side: on subscribe, and on every
//                                                      right change, one per subscriber (fan-out)
//
// Responses carry the hash of the left row version that asked; the left side drops a response whose
// hash no longer matches its current row (a newer subscription is in flight). Output is keyed by
// the left key. Rules pinned by ksqlDB: a right change fans out to every referencing row (all with
// the right record's timestamp); a right delete tombstones them (inner) or nulls the right side
// (left); a dangling FK emits nothing (inner) or nulls (left); a changed FK re-points the row in one
// upsert; a left delete always emits a tombstone, even if no joined row exists.
import { encodeKey } from '../keys.ts';
import type { Row } from '../records.ts';
import type { KeyValueStore } from '../store.ts';
import { identity, type Keep } from './fields.ts';
import { hashRow } from './hash.ts';
import { joinRows } from './join-rows.ts';
import type { Handler } from './source.ts';
import { SubscriptionIndex } from './subscriptions.ts';
import { isRow, type Next, type Port, type ProcessorContext, type TableChange } from './types.ts';

export interface FkJoinNames {
  /** per left key: { v, h, o } (the row, its hash, the last joined row); with `leftRows`, only { o } once joined */
  leftStore: string;
  subscriptionStore: string;
  rightStore: string;
  subscriptionTopic: string;
  responseTopic: string;
}

/** What the left side keeps per left key. */
interface LeftEntry {
  /** the left row and its hash: kept only when no other store holds the join's left rows */
  v?: Row;
  h?: number;
  /** the joined row last emitted (or JOINED when only its presence is read downstream), null: none */
  o: Row | typeof JOINED | null;
}

/** Stands for "a joined row was emitted" when the operators after the join never read its fields. */
const JOINED = 1;

/** subscribe (+) with a response mode, or unsubscribe (-). */
export interface SubscriptionMessage {
  op: '+' | '-';
  /** left key */
  l: unknown;
  /** foreign key */
  f: unknown;
  h?: number;
  /** always: respond even when the right row is missing; present: only when it exists */
  m?: 'always' | 'present';
  t: number;
}

export interface ResponseMessage {
  l: unknown;
  h: number;
  r: Row | null;
  t: number;
}

export interface FkJoinSpec {
  names: FkJoinNames;
  alias: string;
  type: 'inner' | 'left';
  foreignKey: (row: Row, key: unknown, timestamp: number) => unknown;
  /**
   * A store that holds the join's current left rows by key (the table source's, when the join reads
   * it directly). The left side then reads rows and their hashes from it instead of keeping a copy
   * of every row, and writes its own store only when a row's joined state changes.
   */
  leftRows?: string;
  /**
   * What the operators after the join read of an old joined row: its fields (a filter, a join, an
   * aggregate retracting it), or only whether there was one (a select, then the sink, which only
   * decides between a tombstone and nothing). Then a marker is kept instead of the row.
   */
  oldRows: 'fields' | 'presence';
  /** Cuts a right row down to the fields read after the join; the right side keeps only those. */
  keepRight?: Keep;
}

const isNull = (v: unknown) => v === null || v === undefined;

// A row's hash is asked for twice per version with `leftRows` (subscribe, then the response);
// the write cache hands back the same object, so the second is a lookup.
const rowHashes = new WeakMap<Row, number>();
function hashOf(row: Row): number {
  let h = rowHashes.get(row);
  if (h === undefined) rowHashes.set(row, (h = hashRow(row)));
  return h;
}

/** The old joined row handed downstream: a marker stands for a row whose fields are never read. */
const oldRow = (o: LeftEntry['o']): Row | null => (o === JOINED ? {} : o);

/** Left side, part 1: left changes (re)subscribe. */
export function fkJoinLeft(spec: FkJoinSpec, out: Port<TableChange>): Next<TableChange> {
  const { names, alias, type, leftRows } = spec;
  const subscribe = (ctx: ProcessorContext, msg: SubscriptionMessage) =>
    ctx.send(names.subscriptionTopic, encodeKey(msg.f), msg);
  return (change, ctx) => {
    const ls = ctx.stores.store<LeftEntry>(names.leftStore);
    const k = encodeKey(change.key);
    // With `leftRows` an entry exists only while a joined row does, so a new row has none.
    const prev = leftRows && change.old === null && !change.force ? undefined : ls.get(k);
    const t = change.timestamp;
    const oldFk = change.old ? (spec.foreignKey(change.old, change.key, t) ?? null) : null;
    if (change.new === null) {
      if (prev) ls.delete(k);
      if (!isNull(oldFk)) subscribe(ctx, { op: '-', l: change.key, f: oldFk, t });
      if (prev || change.old || change.force) {
        out.push(
          { key: change.key, old: oldRow(prev?.o ?? null), new: null, timestamp: t, force: true },
          ctx,
        );
      }
      return;
    }
    const newFk = spec.foreignKey(change.new, change.key, t) ?? null;
    const h = hashOf(change.new);
    const joined = prev?.o ?? null;
    if (!leftRows) ls.put(k, { v: change.new, h, o: joined });
    if (!isNull(oldFk) && encodeKey(oldFk) !== encodeKey(newFk)) {
      subscribe(ctx, { op: '-', l: change.key, f: oldFk, t });
    }
    if (isNull(newFk)) {
      const next = type === 'left' ? joinRows(change.new, null, alias) : null;
      emitJoined(spec, ls, k, { v: change.new, h, o: joined }, change.key, next, t, out, ctx);
      return;
    }
    // An inner row that may have been joined before must hear back even if the new right row is
    // missing (so it is deleted); a brand-new inner row only when there is something to join.
    const mode = type === 'left' || (change.old && !isNull(oldFk)) ? 'always' : 'present';
    subscribe(ctx, { op: '+', l: change.key, f: newFk, h, m: mode, t });
  };
}

/** Records the new joined row (`entry` holds the current left row and the last joined one) and emits it. */
function emitJoined(
  spec: FkJoinSpec,
  ls: KeyValueStore<LeftEntry>,
  k: string,
  entry: { v: Row; h: number; o: LeftEntry['o'] },
  key: unknown,
  joined: Row | null,
  timestamp: number,
  out: Port<TableChange>,
  ctx: ProcessorContext,
): void {
  const old = entry.o;
  const o = joined !== null && spec.oldRows === 'presence' ? JOINED : joined;
  if (!spec.leftRows) ls.put(k, { v: entry.v, h: entry.h, o });
  else if (o !== null) ls.put(k, { o });
  else if (old !== null) ls.delete(k);
  if (old === null && joined === null) return;
  out.push({ key, old: oldRow(old), new: joined, timestamp }, ctx);
}

/** Left side, part 2: responses from the right side produce the joined rows. */
export function fkJoinResponses(spec: FkJoinSpec, out: Port<TableChange>): Handler {
  const { names, alias, type, leftRows } = spec;
  return (record, ctx) => {
    const msg = record.value as ResponseMessage;
    const ls = ctx.stores.store<LeftEntry>(names.leftStore);
    const k = encodeKey(msg.l);
    let entry: { v: Row; h: number; o: LeftEntry['o'] };
    if (leftRows) {
      const v = ctx.stores.store<Row>(leftRows).get(k);
      if (v === undefined || hashOf(v) !== msg.h) return; // stale: the left row changed or is gone
      entry = { v, h: msg.h, o: ls.get(k)?.o ?? null };
    } else {
      const stored = ls.get(k);
      if (!stored || stored.h !== msg.h) return; // stale
      entry = stored as typeof entry;
    }
    const joined =
      msg.r !== null
        ? joinRows(entry.v, msg.r, alias)
        : type === 'left'
          ? joinRows(entry.v, null, alias)
          : null;
    emitJoined(spec, ls, k, entry, msg.l, joined, msg.t, out, ctx);
  };
}

/** Right side, part 1: subscriptions are indexed, and answered with the current right row. */
export function fkJoinSubscriptions(spec: FkJoinSpec): Handler {
  const { names } = spec;
  return (record, ctx) => {
    const msg = record.value as SubscriptionMessage;
    const index = new SubscriptionIndex(ctx.stores.store(names.subscriptionStore));
    if (msg.op === '-') {
      index.unsubscribe(msg.f, msg.l);
      return;
    }
    index.subscribe(msg.f, msg.l, msg.h!);
    const right = ctx.stores.store<Row>(names.rightStore).get(encodeKey(msg.f)) ?? null;
    if (right === null && msg.m !== 'always') return;
    const response: ResponseMessage = { l: msg.l, h: msg.h!, r: right, t: msg.t };
    ctx.send(names.responseTopic, encodeKey(msg.l), response);
  };
}

/** Right side, part 2: a right change is stored and fanned out to every subscriber. */
export function fkJoinRight(spec: FkJoinSpec): Handler {
  const { names } = spec;
  const keep = spec.keepRight ?? identity;
  return (record, ctx) => {
    if (record.key === null || record.key === undefined) return; // a table row needs a key (Kafka Streams drops these too)
    const k = encodeKey(record.key);
    const rs = ctx.stores.store<Row>(names.rightStore);
    // stored and sent in responses with only the fields read after the join
    const right = isRow(record.value) ? keep(record.value) : null;
    if (right) rs.put(k, right);
    else rs.delete(k);
    const index = new SubscriptionIndex(ctx.stores.store(names.subscriptionStore));
    for (const s of [...index.subscribers(record.key)]) {
      const response: ResponseMessage = { l: s.left, h: s.hash, r: right, t: record.timestamp };
      ctx.send(names.responseTopic, encodeKey(s.left), response);
    }
  };
}
