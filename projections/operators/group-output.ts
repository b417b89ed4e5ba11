// What a group emits after each update: its aggregate fields (or `select` over them), filtered by
// `having`. Having emits a tombstone only for a row that was emitted before (tracked per group),
// so a group that never passed stays silent; the state keeps updating while the row is hidden.
import type { CompiledExpression } from '../expressions/index.ts';
import type { Row } from '../records.ts';
import type { AggregateInput } from './aggregate-inputs.ts';
import { holds } from './scope.ts';
import { isRow, type ProcessorContext } from './types.ts';
import { isWindowedKey } from '../windows/keys.ts';

/** A group's state in the aggregate store. */
export interface GroupState {
  /** aggregate field → accumulator state */
  a: Record<string, unknown>;
  /** 1 while the group's row is visible downstream (tracked only when `having` is set) */
  e?: 1;
  /** Newest event time (ms) that contributed to the group: its output timestamp and the `updatedAt` of its row. */
  t?: number;
  /** The group key, kept only when having/select read `_key` (a store key does not decode to it). */
  k?: unknown;
}

export interface GroupOutputSpec {
  projection: string;
  inputs: readonly AggregateInput[];
  components: readonly string[];
  having?: CompiledExpression;
  select?: ReadonlyArray<[string, CompiledExpression]>;
  /** Whether having/select read `_key`. */
  needsKey: boolean;
  /** Windowed aggregates: keys are { key, window }; having/select also see windowStart, windowEnd. */
  windowed?: boolean;
}

export function newGroup(inputs: readonly AggregateInput[]): GroupState {
  const a: Record<string, unknown> = {};
  for (const i of inputs) a[i.field] = i.accumulator.init();
  return { a };
}

/**
 * The group's row: its aggregate fields, or `select` over them; null while `having` hides it.
 * Pure, so queries derive a group's final row from its state (projections/rows/group-rows.ts).
 */
export function groupRow(spec: GroupOutputSpec, state: GroupState, key: unknown): Row | null {
  const fields: Row = {};
  for (const i of spec.inputs) fields[i.field] = i.accumulator.result(state.a[i.field]);
  if (!spec.having && !spec.select) return fields;
  const vars = groupVars(spec, fields, key);
  if (spec.having && !holds(spec.having, vars)) return null;
  if (!spec.select) return fields;
  const value: Row = {};
  for (const [name, expr] of spec.select) value[name] = expr.evaluate(vars);
  return value;
}

/**
 * Emits the group's row (or its tombstone) and updates the visibility flag and time in `state`.
 * The row's timestamp is the newest event time that contributed to the group, as Kafka Streams
 * stamps an aggregate: a late event does not move the result back in time, and an output record
 * tells how fresh the newest input behind it is.
 */
export function emitGroup(
  spec: GroupOutputSpec,
  state: GroupState,
  key: unknown,
  eventTime: number,
  ctx: ProcessorContext,
  /** The key's encoding, when the caller has it (ProcessorContext.emit). */
  encodedKey?: string,
): void {
  const timestamp = state.t === undefined ? eventTime : Math.max(state.t, eventTime);
  state.t = timestamp;
  if (spec.needsKey) state.k = key;
  const value = groupRow(spec, state, key);
  if (value === null) {
    if (state.e) {
      delete state.e;
      ctx.emit({ projection: spec.projection, key, value: null, timestamp }, encodedKey);
    }
    return;
  }
  if (spec.having) state.e = 1;
  ctx.emit({ projection: spec.projection, key, value, timestamp }, encodedKey);
}

/** having/select see the aggregate fields, the named key components and _key. */
function groupVars(spec: GroupOutputSpec, fields: Row, outputKey: unknown): Record<string, unknown> {
  const vars: Record<string, unknown> = { ...fields };
  let key = outputKey;
  if (spec.windowed && isWindowedKey(outputKey)) {
    key = outputKey.key;
    vars.windowStart = outputKey.window.start;
    vars.windowEnd = outputKey.window.end;
  }
  if (spec.components.length > 0 && isRow(key)) for (const c of spec.components) vars[c] = key[c];
  if (spec.needsKey) vars._key = key;
  return vars;
}

/** Whether a group that is being deleted had a visible row (so its delete must be emitted). */
export const wasVisible = (spec: GroupOutputSpec, state: GroupState): boolean =>
  !spec.having || state.e === 1;
