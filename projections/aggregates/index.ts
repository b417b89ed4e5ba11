// The aggregate registry: every aggregate the YAML language knows, by keyword.
import { avg } from './avg.ts';
import { collectList } from './collect-list.ts';
import { collectSet } from './collect-set.ts';
import { count } from './count.ts';
import { first } from './first.ts';
import { latest } from './latest.ts';
import { max } from './max.ts';
import { min } from './min.ts';
import { sum } from './sum.ts';
import type { AggregateSpec } from './types.ts';

export type { Accumulator, AggregateOptions, AggregateSpec, ArgumentKind, RowKey } from './types.ts';
export { compareValues } from './order.ts';

export const AGGREGATES: readonly AggregateSpec[] = [
  sum,
  count,
  min,
  max,
  avg,
  latest,
  first,
  collectList,
  collectSet,
];

const byName = new Map(AGGREGATES.map((a) => [a.name, a]));

export function aggregateSpec(name: string): AggregateSpec {
  const spec = byName.get(name);
  if (!spec) throw new Error(`unknown aggregate '${name}'`);
  return spec;
}
