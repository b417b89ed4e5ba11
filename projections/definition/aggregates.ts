// Reads an aggregate's YAML shape: which function, which expressions, which event types.
import type { AggregateDef, GroupByDef } from './schema.ts';
import type { PathSegment } from './problems.ts';

export type AggregateFunction =
  'sum' | 'count' | 'min' | 'max' | 'avg' | 'latest' | 'first' | 'collect_list' | 'collect_set';

export interface AggregateExpression {
  readonly source: string;
  /** Path below the aggregate (`['sum', 'MoneyDeposited']`). */
  readonly path: readonly PathSegment[];
  /** value: the aggregated value; filter: an option `where`. */
  readonly role: 'value' | 'filter';
}

export interface AggregateShape {
  readonly fn: AggregateFunction;
  readonly expressions: readonly AggregateExpression[];
  /** `on: [...]`, if given. */
  readonly on: readonly string[] | undefined;
  /** The event types of a per-event-type map (`{ MoneyDeposited: amount, … }`), else empty. */
  readonly perType: readonly string[];
}

const OPTION_KEYS = new Set(['of', 'on', 'where', 'limit', 'ignoreNulls']);

export function aggregateShape(def: AggregateDef): AggregateShape {
  const [fn, arg] = Object.entries(def)[0] as [AggregateFunction, unknown];
  const expressions: AggregateExpression[] = [];
  if (typeof arg === 'string') {
    if (!(fn === 'count' && arg === '*')) expressions.push({ source: arg, path: [fn], role: 'value' });
    return { fn, expressions, on: undefined, perType: [] };
  }
  const obj = (arg ?? {}) as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 0 || keys.some((k) => OPTION_KEYS.has(k))) {
    if (typeof obj.of === 'string') expressions.push({ source: obj.of, path: [fn, 'of'], role: 'value' });
    if (typeof obj.where === 'string')
      expressions.push({ source: obj.where, path: [fn, 'where'], role: 'filter' });
    return { fn, expressions, on: Array.isArray(obj.on) ? (obj.on as string[]) : undefined, perType: [] };
  }
  for (const [type, source] of Object.entries(obj))
    expressions.push({ source: String(source), path: [fn, type], role: 'value' });
  return { fn, expressions, on: undefined, perType: keys };
}

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export const isFieldPath = (source: string): boolean => FIELD_PATH.test(source.trim());

/** Names of the group-key components visible in having/select: map keys, or a list's last path segments. */
export function groupKeyNames(groupBy: GroupByDef | undefined): string[] {
  if (groupBy === undefined || typeof groupBy === 'string') return [];
  if (Array.isArray(groupBy)) return groupBy.filter(isFieldPath).map((s) => s.trim().split('.').at(-1)!);
  return Object.keys(groupBy);
}
