// MAX: the largest non-null value in the order of order.ts. Shares its stream and table logic with MIN
// (extreme.ts): over a table the group keeps a sorted multiset, so a retracted maximum reveals the next.
import { streamExtreme, tableExtreme } from './extreme.ts';
import type { AggregateSpec } from './types.ts';

export const max: AggregateSpec = {
  name: 'max',
  docs: 'Largest non-null value (numbers numerically, strings lexicographically); null while the group has only nulls. Allowed over tables, unlike ksqlDB.',
  argument: 'value',
  tableState:
    'a sorted multiset [value, count][] per group: O(distinct values) space, O(log d) search + O(d) insert per update.',
  stream: () => streamExtreme(1),
  table: () => tableExtreme(1),
};
