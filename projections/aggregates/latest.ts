// LATEST: a group's most recent value by arrival order. Over a table (allowed, unlike ksqlDB): the value of
// the row inserted or updated last that is still in the group, so retracting it reveals the previous one.
import { emptyContributions, extremeEntry, put, remove, type Contributions } from './contributions.ts';
import { detach } from './order.ts';
import type { AggregateSpec } from './types.ts';

const isNull = (v: unknown) => v === null || v === undefined;

export const latest: AggregateSpec = {
  name: 'latest',
  docs: 'The most recent value (by arrival order). Nulls are ignored unless `ignoreNulls: false`, in which case a null replaces the value. Over a table: the value of the most recently inserted or updated row still in the group. Allowed over tables, unlike ksqlDB.',
  argument: 'value',
  tableState:
    'every contributing row of the group with its arrival sequence: O(rows in group) space; the result scans the group, O(rows) per update.',
  stream: ({ ignoreNulls = true }) => ({
    init: () => null,
    add: (s, v) => (isNull(v) ? (ignoreNulls ? s : null) : v),
    // sessions merge in time order: the later session's value, unless it has none
    merge: (older, newer) => (isNull(newer) ? older : newer),
    result: (s) => detach(s),
  }),
  table: ({ ignoreNulls = true }) => ({
    init: emptyContributions,
    add: (s: Contributions, v, row) => (ignoreNulls && isNull(v) ? s : put(s, row, v ?? null, false)),
    retract: (s: Contributions, _v, row) => remove(s, row),
    result: (s: Contributions) => detach(extremeEntry(s, true)?.[1] ?? null),
  }),
};
