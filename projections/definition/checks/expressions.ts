// Every expression in the definition: parses, reads only known fields (where known), and has the
// type its position needs (where types are known).
import { aggregateShape, type AggregateFunction } from '../aggregates.ts';
import type { Catalog } from '../catalog.ts';
import { checkSite, checkTyped, type Expectation, type Scope, type Variable } from '../expression-check.ts';
import { CEL_TYPE_OF_FIELD } from '../../expressions/index.ts';
import { joinsOf, type Model } from '../model.ts';
import type { PathSegment, Problem } from '../problems.ts';

export const VALUE_NEEDS: Partial<Record<AggregateFunction, Expectation>> = {
  sum: 'number',
  avg: 'number',
  min: 'ordered',
  max: 'ordered',
};

function sourceScope(name: string, fields: Record<string, string> | undefined): Scope {
  const vars = new Map<string, Variable>([
    ['_key', { type: 'dyn' }],
    ['_timestamp', { type: 'double' }],
    ['_topic', { type: 'string' }],
    ['_partition', { type: 'double' }],
    ['_offset', { type: 'dyn' }],
  ]);
  const declared = fields
    ? new Map(
        Object.entries(fields).map(([f, t]): [string, Variable] => [
          f,
          { type: CEL_TYPE_OF_FIELD[t] ?? 'dyn' },
        ]),
      )
    : undefined;
  for (const [f, v] of declared ?? []) vars.set(f, v);
  vars.set('_value', { type: 'map', fields: declared });
  return { closed: fields !== undefined, vars, describe: `source ${name}` };
}

export function checkExpressions(model: Model, catalog: Catalog): Problem[] {
  const problems: Problem[] = [];
  const site = (source: string, scope: Scope, path: PathSegment[]): void => {
    problems.push(...checkSite(source, scope, path).problems);
  };
  const typed = (
    source: string,
    scope: Scope,
    path: PathSegment[],
    expect: Expectation,
    role: string,
  ): void => {
    problems.push(...checkTyped(source, scope, path, expect, role).problems);
  };

  for (const [name, s] of model.sources) {
    const scope = sourceScope(name, s.fields);
    for (const key of ['key', 'eventType', 'eventId', 'time'] as const) {
      const expr = s[key];
      if (expr !== undefined) site(expr, scope, ['sources', name, key]);
    }
  }

  for (const [name, p] of model.projections) {
    const at = (...rest: PathSegment[]): PathSegment[] => ['projections', name, ...rest];
    if (p.where !== undefined) typed(p.where, catalog.whereScope(name, p), at('where'), 'boolean', 'where');
    joinsOf(name, p).forEach(({ join, path }, i) => {
      if (join.on !== undefined) site(join.on, catalog.rowScope(name, p, i), [...path, 'on']);
    });
    const row = catalog.rowScope(name, p);
    if (typeof p.groupBy === 'string') site(p.groupBy, row, at('groupBy'));
    else if (Array.isArray(p.groupBy)) p.groupBy.forEach((e, i) => site(e, row, at('groupBy', i)));
    else if (p.groupBy) for (const [k, e] of Object.entries(p.groupBy)) site(e, row, at('groupBy', k));
    for (const [field, def] of Object.entries(p.aggregate ?? {})) {
      const shape = aggregateShape(def);
      for (const e of shape.expressions) {
        const path = at('aggregate', field, ...e.path);
        if (e.role === 'filter') typed(e.source, row, path, 'boolean', 'where');
        else typed(e.source, row, path, VALUE_NEEDS[shape.fn] ?? 'any', shape.fn);
      }
    }
    if (p.deleteWhen !== undefined) typed(p.deleteWhen, row, at('deleteWhen'), 'boolean', 'deleteWhen');
    const result = p.aggregate ? catalog.resultScope(name, p) : row;
    if (p.having !== undefined && p.aggregate) typed(p.having, result, at('having'), 'boolean', 'having');
    for (const [field, e] of Object.entries(p.select ?? {})) site(e, result, at('select', field));
  }
  return problems;
}
