// COLLECT_LIST: a group's non-null values in arrival order, at most `limit` (the default is shared with
// COLLECT_SET). Over a table every row's contribution is kept, so a retracted row leaves the list.
import { emptyContributions, ordered, put, remove, type Contributions } from './contributions.ts';
import { detach } from './order.ts';
import type { AggregateSpec } from './types.ts';

export const DEFAULT_COLLECT_LIMIT = 1000;
const isNull = (v: unknown) => v === null || v === undefined;

export const collectList: AggregateSpec = {
  name: 'collect_list',
  docs: 'The non-null values in arrival order, at most `limit` (default 1000); like ksqlDB, values beyond the limit are ignored. Over a table: the values of the rows in the group, in the order they entered.',
  argument: 'collect',
  tableState:
    'every contributing row with its sequence: O(rows in group) space; the result sorts the group, O(n log n) per update.',
  stream: ({ limit = DEFAULT_COLLECT_LIMIT }) => ({
    init: () => [],
    add: (s: unknown[], v) => {
      if (!isNull(v) && s.length < limit) s.push(v);
      return s;
    },
    merge: (older: unknown[], newer: unknown[]) => older.concat(newer).slice(0, limit),
    result: (s: unknown[]) => detach(s),
  }),
  table: ({ limit = DEFAULT_COLLECT_LIMIT }) => ({
    init: emptyContributions,
    add: (s: Contributions, v, row) => (isNull(v) ? s : put(s, row, v, false)),
    retract: (s: Contributions, _v, row) => remove(s, row),
    replace: (s: Contributions, _old, v, row) => (isNull(v) ? remove(s, row) : put(s, row, v, true)),
    result: (s: Contributions) => detach(ordered(s).slice(0, limit)),
  }),
};
