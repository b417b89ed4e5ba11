// FIRST: a group's earliest value by arrival order. Over a table: the value of the row that entered the
// group first and is still in it, so retracting that row reveals the next one.
import { emptyContributions, extremeEntry, put, remove, type Contributions } from './contributions.ts';
import { detach } from './order.ts';
import type { AggregateSpec } from './types.ts';

const isNull = (v: unknown) => v === null || v === undefined;

/** Stream state: [value] once set, so a kept null (ignoreNulls: false) differs from "nothing yet". */
export const first: AggregateSpec = {
  name: 'first',
  docs: 'The earliest value (by arrival order); nulls are skipped unless `ignoreNulls: false`. Over a table: the value of the row that entered the group first and is still in it; a row updated in place keeps its position.',
  argument: 'value',
  tableState:
    'every contributing row of the group with its entry sequence: O(rows in group) space; the result scans the group, O(rows) per update.',
  stream: ({ ignoreNulls = true }) => ({
    init: () => null,
    add: (s: [unknown] | null, v) => (s !== null || (ignoreNulls && isNull(v)) ? s : [v ?? null]),
    merge: (older: [unknown] | null, newer: [unknown] | null) => older ?? newer,
    result: (s: [unknown] | null) => detach(s === null ? null : s[0]),
  }),
  table: ({ ignoreNulls = true }) => {
    const skip = (v: unknown) => ignoreNulls && isNull(v);
    return {
      init: emptyContributions,
      add: (s: Contributions, v, row) => (skip(v) ? s : put(s, row, v ?? null, false)),
      retract: (s: Contributions, _v, row) => remove(s, row),
      replace: (s: Contributions, _old, v, row) => (skip(v) ? remove(s, row) : put(s, row, v ?? null, true)),
      result: (s: Contributions) => detach(extremeEntry(s, false)?.[1] ?? null),
    };
  },
};
