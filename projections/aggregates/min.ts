import { streamExtreme, tableExtreme } from './extreme.ts';
import type { AggregateSpec } from './types.ts';

export const min: AggregateSpec = {
  name: 'min',
  docs: 'Smallest non-null value (numbers numerically, strings lexicographically); null while the group has only nulls. Allowed over tables, unlike ksqlDB.',
  argument: 'value',
  tableState:
    'a sorted multiset [value, count][] per group: O(distinct values) space, O(log d) search + O(d) insert per update.',
  stream: () => streamExtreme(-1),
  table: () => tableExtreme(-1),
};
