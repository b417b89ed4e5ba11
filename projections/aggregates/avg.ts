// AVG: the mean of a group's non-null numbers, kept as a [sum, count] pair so that a table retraction
// subtracts from both. A group without values averages to null, not ksqlDB's 0.0, which looks like data.
import type { Accumulator, AggregateSpec } from './types.ts';

/** Sum and count of non-null numbers; the result is their quotient as a double. */
type AvgState = [sum: number, count: number];

const accumulator: Accumulator<AvgState> = {
  init: () => [0, 0],
  add: (s, v) => (typeof v === 'number' ? [s[0] + v, s[1] + 1] : s),
  retract: (s, v) => (typeof v === 'number' ? [s[0] - v, s[1] - 1] : s),
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
  // No values: null (SQL's AVG of nothing), deliberately not ksqlDB's 0.0, which looks like data.
  result: (s) => (s[1] === 0 ? null : s[0] / s[1]),
};

export const avg: AggregateSpec = {
  name: 'avg',
  docs: 'Average of the non-null numbers (a double); null while the group has none.',
  argument: 'value',
  tableState: 'a [sum, count] pair per group; a retraction subtracts from both.',
  stream: () => accumulator,
  table: () => accumulator,
};
