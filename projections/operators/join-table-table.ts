// Table–table join on the primary key (both sides keyed and partitioned alike). Both sides are
// materialised; a change on either side recomputes the joined row before and after, so the
// change carries old and new (downstream aggregates can retract) and tombstone rules follow:
// - inner: a row exists while both sides do; a delete on either side deletes it, and a delete on
//   the other side once it is gone emits nothing;
// - left: the left row with the right row or null; a right delete re-emits with null, a left
//   delete deletes; right-only changes emit nothing;
// - outer: a row exists while either side does, keyed by the shared key.
import { encodeKey } from '../keys.ts';
import type { Row } from '../records.ts';
import { joinedOrNull, type JoinType } from './join-rows.ts';
import { identity, type Keep } from './fields.ts';
import type { Handler } from './source.ts';
import { isRow, type Next, type Port, type TableChange } from './types.ts';

export interface PkJoinStores {
  /** the left rows: the join's own store, or the table source's when the join reads it directly */
  left: string;
  /** whether `left` is the table source's store, which the source keeps up to date itself */
  leftIsSource?: boolean;
  right: string;
}

export function pkJoinLeft(
  stores: PkJoinStores,
  alias: string,
  type: JoinType,
  out: Port<TableChange>,
): Next<TableChange> {
  return (change, ctx) => {
    const k = encodeKey(change.key);
    if (!stores.leftIsSource) {
      const ls = ctx.stores.store<Row>(stores.left);
      if (change.new) ls.put(k, change.new);
      else ls.delete(k);
    }
    const right = ctx.stores.store<Row>(stores.right).get(k) ?? null;
    const old = joinedOrNull(type, change.old, right, alias);
    const next = joinedOrNull(type, change.new, right, alias);
    if (old === null && next === null && !change.force) return;
    out.push({ key: change.key, old, new: next, timestamp: change.timestamp, force: change.force }, ctx);
  };
}

export function pkJoinRight(
  stores: PkJoinStores,
  alias: string,
  type: JoinType,
  out: Port<TableChange>,
  keep: Keep = identity,
): Handler {
  return (record, ctx) => {
    if (record.key === null || record.key === undefined) return; // a table row needs a key (Kafka Streams drops these too)
    const k = encodeKey(record.key);
    const rs = ctx.stores.store<Row>(stores.right);
    const oldRight = rs.get(k) ?? null;
    const newRight = isRow(record.value) ? keep(record.value) : null;
    if (newRight) rs.put(k, newRight);
    else rs.delete(k);
    const left = ctx.stores.store<Row>(stores.left).get(k) ?? null;
    const old = joinedOrNull(type, left, oldRight, alias);
    const next = joinedOrNull(type, left, newRight, alias);
    if (old === null && next === null) return;
    out.push({ key: record.key, old, new: next, timestamp: record.timestamp }, ctx);
  };
}
