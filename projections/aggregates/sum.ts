// SUM: a running sum per group that skips nulls and non-numbers (a group of only nulls sums to 0, as in
// ksqlDB); a table retraction subtracts the old value.
import type { Accumulator, AggregateSpec } from './types.ts';

/** Running sum: starts at 0, skips nulls (so a group of only nulls sums to 0, as in ksqlDB). */
const accumulator: Accumulator<number> = {
  init: () => 0,
  add: (s, v) => (typeof v === 'number' ? s + v : s),
  retract: (s, v) => (typeof v === 'number' ? s - v : s),
  merge: (a, b) => a + b,
  result: (s) => s,
};

export const sum: AggregateSpec = {
  name: 'sum',
  docs: 'Sum of the values; starts at 0 and skips nulls and non-numbers. Per-event-type maps give signed handlers (deposit +amount, withdrawal -amount).',
  argument: 'value',
  tableState: 'one number per group; a retraction subtracts the old value.',
  stream: () => accumulator,
  table: () => accumulator,
};
