// Aggregation in two steps, so a repartition topic can sit between them:
// 1. route: compute each event's/row's group key and its contribution, and deliver a message
//    (directly, or through the projection's repartition topic keyed by the group key);
// 2. aggregate: fold the message into the group state in the `agg` store and emit the group.
// Stream aggregation only adds. Table aggregation retracts the row's old contribution and adds the
// new one: one message (one emission, the net result) when the row stays in its group, else a
// retraction to the old group delivered before the addition to the new one (ksqlDB's order).
import { encodeKey } from '../keys.ts';
import { contributionOf, type AggregateInput, type Contribution } from './aggregate-inputs.ts';
import type { GroupKey } from './group-key.ts';
import { emitGroup, type GroupOutputSpec, type GroupState, newGroup, wasVisible } from './group-output.ts';
import type { Scope } from './scope.ts';
import type { Next, ProcessorContext, StreamItem, TableChange } from './types.ts';

/** Stream message: an event's contribution to group k, or d=1 to delete the group. */
export interface StreamAggMessage {
  k: unknown;
  t: number;
  c?: Contribution;
  d?: 1;
}

/** Table message: row r leaves (o) and/or enters (n) group k. */
export interface TableAggMessage {
  k: unknown;
  t: number;
  /** encoded key of the source row (identifies its contribution for LATEST/FIRST/COLLECT) */
  r: string;
  o?: Contribution;
  n?: Contribution;
}

export type Deliver<M extends { k: unknown }> = (msg: M, ctx: ProcessorContext) => void;

/** Delivers through a repartition topic, keyed (partitioned) by the group key. */
export function viaTopic<M extends { k: unknown }>(topic: string): Deliver<M> {
  return (msg, ctx) => ctx.send(topic, encodeKey(msg.k), msg);
}

export interface RouteSpec {
  scope: Scope;
  groupKey: GroupKey;
  inputs: readonly AggregateInput[];
  /** deleteOn / deleteWhen: true deletes the event's group. */
  deletes?: (vars: Record<string, unknown>, type: unknown) => boolean;
  /** event type of a table row (source eventType over the row), for `on:` filters */
  typeOf?: (row: Record<string, unknown>) => unknown;
}

export function streamRoute(spec: RouteSpec, deliver: Deliver<StreamAggMessage>): Next<StreamItem> {
  const { scope, groupKey, inputs, deletes } = spec;
  return (item, ctx) => {
    const vars = scope.vars(item.value, item);
    const k = groupKey.of(vars, item.key);
    if (k === null) return;
    if (deletes?.(vars, item.type)) deliver({ k, t: item.timestamp, d: 1 }, ctx);
    else deliver({ k, t: item.timestamp, c: contributionOf(inputs, vars, item.type) }, ctx);
  };
}

export function tableRoute(spec: RouteSpec, deliver: Deliver<TableAggMessage>): Next<TableChange> {
  const { scope, groupKey, inputs, typeOf } = spec;
  const side = (row: Record<string, unknown> | null, key: unknown, timestamp: number) => {
    if (row === null) return null;
    const vars = scope.vars(row, { key, timestamp });
    const k = groupKey.of(vars, key);
    if (k === null) return null;
    return { k, c: contributionOf(inputs, vars, typeOf ? typeOf(row) : null) };
  };
  return (change, ctx) => {
    const t = change.timestamp;
    const r = encodeKey(change.key);
    const o = side(change.old, change.key, t);
    const n = side(change.new, change.key, t);
    if (o && n && encodeKey(o.k) === encodeKey(n.k)) {
      deliver({ k: n.k, t, r, o: o.c, n: n.c }, ctx);
      return;
    }
    if (o) deliver({ k: o.k, t, r, o: o.c }, ctx);
    if (n) deliver({ k: n.k, t, r, n: n.c }, ctx);
  };
}

/** Adds one event's contribution to a group state (stream mode: only adds). */
export function foldContribution(out: GroupOutputSpec, state: GroupState, msg: StreamAggMessage): void {
  const c = msg.c ?? {};
  for (const input of out.inputs) {
    const v = c[input.field];
    if (v !== undefined) state.a[input.field] = input.accumulator.add(state.a[input.field], v, '');
  }
}

export function streamAggregate(store: string, out: GroupOutputSpec): Deliver<StreamAggMessage> {
  const inputs = out.inputs;
  return (msg, ctx) => {
    const s = ctx.stores.store<GroupState>(store);
    const sk = encodeKey(msg.k);
    let state = s.get(sk);
    if (msg.d) {
      // deleteOn: tombstone the group and forget its state, so it starts afresh.
      if (!state) return;
      s.delete(sk);
      if (wasVisible(out, state))
        ctx.emit({ projection: out.projection, key: msg.k, value: null, timestamp: msg.t });
      return;
    }
    state ??= newGroup(inputs);
    foldContribution(out, state, msg);
    emitGroup(out, state, msg.k, msg.t, ctx);
    s.put(sk, state);
  };
}

export function tableAggregate(store: string, out: GroupOutputSpec): Deliver<TableAggMessage> {
  const inputs = out.inputs;
  return (msg, ctx) => {
    const s = ctx.stores.store<GroupState>(store);
    const sk = encodeKey(msg.k);
    const state = s.get(sk) ?? newGroup(inputs);
    const { o, n, r } = msg;
    for (const input of inputs) {
      const acc = input.accumulator;
      const f = input.field;
      const ov = o ? o[f] : undefined;
      const nv = n ? n[f] : undefined;
      if (ov !== undefined && nv !== undefined && acc.replace) {
        state.a[f] = acc.replace(state.a[f], ov, nv, r);
        continue;
      }
      if (ov !== undefined) state.a[f] = acc.retract!(state.a[f], ov, r);
      if (nv !== undefined) state.a[f] = acc.add(state.a[f], nv, r);
    }
    // Emptied groups stay (COUNT 0, SUM 0) as in ksqlDB; `having` is how they disappear.
    emitGroup(out, state, msg.k, msg.t, ctx);
    s.put(sk, state);
  };
}
