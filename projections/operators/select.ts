// `select`: output fields computed from the row (stream: per event; table: old and new rows).
import type { CompiledExpression } from '../expressions/index.ts';
import type { Row } from '../records.ts';
import type { RowContext, Scope } from './scope.ts';
import type { Next, Port, StreamItem, TableChange } from './types.ts';

export type Projector = (row: Row, c: RowContext) => Row;

export function projector(fields: ReadonlyArray<[string, CompiledExpression]>, scope: Scope): Projector {
  return (row, c) => {
    const vars = scope.vars(row, c);
    const out: Row = {};
    for (const [name, expr] of fields) out[name] = expr.evaluate(vars);
    return out;
  };
}

export function streamSelect(project: Projector, out: Port<StreamItem>): Next<StreamItem> {
  return (item, ctx) => out.push({ ...item, value: project(item.value, item) }, ctx);
}

export function tableSelect(project: Projector, out: Port<TableChange>): Next<TableChange> {
  return (change, ctx) => {
    const c = { key: change.key, timestamp: change.timestamp };
    out.push(
      {
        ...change,
        old: change.old ? project(change.old, c) : null,
        new: change.new ? project(change.new, c) : null,
      },
      ctx,
    );
  };
}
