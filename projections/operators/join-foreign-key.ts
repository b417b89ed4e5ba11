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
import { hashRow } from './hash.ts';
import { joinRows } from './join-rows.ts';
import type { Handler } from './source.ts';
import { SubscriptionIndex } from './subscriptions.ts';
import { isRow, type Next, type Port, type ProcessorContext, type TableChange } from './types.ts';

export interface FkJoinNames {
  /** left rows with their last joined output: { v, h, o } */
  leftStore: string;
  subscriptionStore: string;
  rightStore: string;
  subscriptionTopic: string;
  responseTopic: string;
}

/** A left row as the left side keeps it: value, its hash, and the last joined row it produced. */
interface LeftEntry {
  v: Row;
  h: number;
  o: Row | null;
}

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
}

const isNull = (v: unknown) => v === null || v === undefined;

/** Left side, part 1: left changes (re)subscribe. */
export function fkJoinLeft(spec: FkJoinSpec, out: Port<TableChange>): Next<TableChange> {
  const { names, alias, type } = spec;
  const subscribe = (ctx: ProcessorContext, msg: SubscriptionMessage) =>
    ctx.send(names.subscriptionTopic, encodeKey(msg.f), msg);
  return (change, ctx) => {
    const ls = ctx.stores.store<LeftEntry>(names.leftStore);
    const k = encodeKey(change.key);
    const prev = ls.get(k);
    const t = change.timestamp;
    const oldFk = change.old ? (spec.foreignKey(change.old, change.key, t) ?? null) : null;
    if (change.new === null) {
      ls.delete(k);
      if (!isNull(oldFk)) subscribe(ctx, { op: '-', l: change.key, f: oldFk, t });
      if (prev || change.old || change.force) {
        out.push({ key: change.key, old: prev?.o ?? null, new: null, timestamp: t, force: true }, ctx);
      }
      return;
    }
    const newFk = spec.foreignKey(change.new, change.key, t) ?? null;
    const entry: LeftEntry = { v: change.new, h: hashRow(change.new), o: prev?.o ?? null };
    ls.put(k, entry);
    if (!isNull(oldFk) && encodeKey(oldFk) !== encodeKey(newFk)) {
      subscribe(ctx, { op: '-', l: change.key, f: oldFk, t });
    }
    if (isNull(newFk)) {
      emitJoined(
        ls,
        k,
        entry,
        change.key,
        type === 'left' ? joinRows(entry.v, null, alias) : null,
        t,
        out,
        ctx,
      );
      return;
    }
    // An inner row that may have been joined before must hear back even if the new right row is
    // missing (so it is deleted); a brand-new inner row only when there is something to join.
    const mode = type === 'left' || (change.old && !isNull(oldFk)) ? 'always' : 'present';
    subscribe(ctx, { op: '+', l: change.key, f: newFk, h: entry.h, m: mode, t });
  };
}

function emitJoined(
  ls: { put(k: string, v: LeftEntry): void },
  k: string,
  entry: LeftEntry,
  key: unknown,
  joined: Row | null,
  timestamp: number,
  out: Port<TableChange>,
  ctx: ProcessorContext,
): void {
  const old = entry.o;
  ls.put(k, { ...entry, o: joined });
  if (old === null && joined === null) return;
  out.push({ key, old, new: joined, timestamp }, ctx);
}

/** Left side, part 2: responses from the right side produce the joined rows. */
export function fkJoinResponses(spec: FkJoinSpec, out: Port<TableChange>): Handler {
  const { names, alias, type } = spec;
  return (record, ctx) => {
    const msg = record.value as ResponseMessage;
    const ls = ctx.stores.store<LeftEntry>(names.leftStore);
    const k = encodeKey(msg.l);
    const entry = ls.get(k);
    if (!entry || entry.h !== msg.h) return; // stale: the left row changed or is gone
    const joined =
      msg.r !== null
        ? joinRows(entry.v, msg.r, alias)
        : type === 'left'
          ? joinRows(entry.v, null, alias)
          : null;
    emitJoined(ls, k, entry, msg.l, joined, msg.t, out, ctx);
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
  return (record, ctx) => {
    if (record.key === null || record.key === undefined) return; // a table row needs a key (Kafka Streams drops these too)
    const k = encodeKey(record.key);
    const rs = ctx.stores.store<Row>(names.rightStore);
    const right = isRow(record.value) ? record.value : null;
    if (right) rs.put(k, right);
    else rs.delete(k);
    const index = new SubscriptionIndex(ctx.stores.store(names.subscriptionStore));
    for (const s of [...index.subscribers(record.key)]) {
      const response: ResponseMessage = { l: s.left, h: s.hash, r: right, t: record.timestamp };
      ctx.send(names.responseTopic, encodeKey(s.left), response);
    }
  };
}
