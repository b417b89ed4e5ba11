// `where`: the projection's filter, applied to input events/rows before anything else.
import type { CompiledExpression } from '../expressions/index.ts';
import { holds, type Scope } from './scope.ts';
import type { Next, Port, StreamItem, TableChange } from './types.ts';

/** Stream filter: events for which the condition is not true are dropped. */
export function streamFilter(
  cond: CompiledExpression,
  scope: Scope,
  out: Port<StreamItem>,
): Next<StreamItem> {
  return (item, ctx) => {
    if (holds(cond, scope.vars(item.value, item))) out.push(item, ctx);
  };
}

/**
 * Table filter with retraction: a row that fails the condition is treated as absent. A row that
 * passed and now fails becomes a delete; a row that never passed emits nothing.
 */
export function tableFilter(
  cond: CompiledExpression,
  scope: Scope,
  out: Port<TableChange>,
): Next<TableChange> {
  return (change, ctx) => {
    const ctxRow = { key: change.key, timestamp: change.timestamp };
    const old = change.old && holds(cond, scope.vars(change.old, ctxRow)) ? change.old : null;
    const next = change.new && holds(cond, scope.vars(change.new, ctxRow)) ? change.new : null;
    if (old === null && next === null && !change.force) return;
    out.push({ ...change, old, new: next }, ctx);
  };
}
