// COUNT: rows ("*", or `{ on: [...] }` for some event types) or non-null values of an expression, per
// group; a table retraction decrements.
import type { Accumulator, AggregateSpec } from './types.ts';

/**
 * Counts contributions whose value is not null. COUNT("*") and `{ on: [...] }` without `of`
 * contribute the constant 1 per row, so they count rows; COUNT(expr) skips rows where expr is null.
 */
const accumulator: Accumulator<number> = {
  init: () => 0,
  add: (s, v) => (v === null || v === undefined ? s : s + 1),
  retract: (s, v) => (v === null || v === undefined ? s : s - 1),
  merge: (a, b) => a + b,
  result: (s) => s,
};

export const count: AggregateSpec = {
  name: 'count',
  docs: 'Number of rows ("*", or `{ on: [Type] }` for events of some types), or of non-null values of an expression.',
  argument: 'count',
  tableState:
    'one number per group; a retraction decrements. Emptied groups stay at 0 unless `having` removes them.',
  stream: () => accumulator,
  table: () => accumulator,
};
