// What one row or event contributes to each aggregate field: the evaluated argument, or nothing
// (undefined) when the aggregate's `on` types, per-type map or `where` exclude it. Contributions
// are plain JSON objects { field: value } so they can cross a repartition topic.
import { type Accumulator, type AggregateSpec, aggregateSpec } from '../aggregates/index.ts';
import type { CompiledExpression } from '../expressions/index.ts';
import type { AggregateDef } from '../definition/schema.ts';
import { holds, type Scope } from './scope.ts';

export type Contribution = Record<string, unknown>;

export interface AggregateInput {
  readonly field: string;
  readonly spec: AggregateSpec;
  readonly accumulator: Accumulator<any>;
  /** The value to add, or undefined when this row does not contribute to this field. */
  contribute(vars: Record<string, unknown>, type: unknown): unknown;
}

interface ParsedArgument {
  of?: string;
  perType?: Record<string, string>;
  on?: string[];
  where?: string;
  ignoreNulls?: boolean;
  limit?: number;
}

const OPTION_KEYS = new Set(['of', 'on', 'where', 'ignoreNulls', 'limit']);

function parseArgument(spec: AggregateSpec, arg: unknown): ParsedArgument {
  if (typeof arg === 'string') return spec.argument === 'count' && arg.trim() === '*' ? {} : { of: arg };
  const obj = arg as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 0 || keys.some((k) => OPTION_KEYS.has(k))) return obj;
  return { perType: obj as Record<string, string> };
}

export function compileAggregateInput(
  field: string,
  def: AggregateDef,
  mode: 'stream' | 'table',
  scope: Scope,
): AggregateInput {
  const [name, arg] = Object.entries(def)[0]!;
  const spec = aggregateSpec(name);
  const a = parseArgument(spec, arg);
  const options = { ignoreNulls: a.ignoreNulls, limit: a.limit };
  const accumulator = mode === 'stream' ? spec.stream(options) : spec.table(options);
  const on = a.on ? new Set(a.on) : undefined;
  const where = a.where ? scope.compile(a.where) : undefined;
  // COUNT without an argument counts rows: every contributing row adds the constant 1.
  const of: CompiledExpression | undefined = a.of !== undefined ? scope.compile(a.of) : undefined;
  const perType = a.perType
    ? new Map(Object.entries(a.perType).map(([t, src]) => [t, scope.compile(src)]))
    : undefined;

  const value = perType
    ? (vars: Record<string, unknown>, type: unknown) => {
        const e = perType.get(type as string);
        return e ? e.evaluate(vars) : undefined;
      }
    : of
      ? (vars: Record<string, unknown>) => of.evaluate(vars)
      : () => 1;

  const contribute =
    on || where
      ? (vars: Record<string, unknown>, type: unknown) => {
          if (on && !on.has(type as string)) return undefined;
          if (where && !holds(where, vars)) return undefined;
          return value(vars, type);
        }
      : value;
  return { field, spec, accumulator, contribute };
}

export function contributionOf(
  inputs: readonly AggregateInput[],
  vars: Record<string, unknown>,
  type: unknown,
): Contribution {
  const c: Contribution = {};
  for (const input of inputs) {
    const v = input.contribute(vars, type);
    if (v !== undefined) c[input.field] = v;
  }
  return c;
}
