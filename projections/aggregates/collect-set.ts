// COLLECT_SET: a group's distinct non-null values (equal when their canonical JSON is) in first-seen order.
// Over a table each value counts its contributing rows: it leaves the set only when the last one goes.
import { canonicalJson } from '../keys.ts';
import { DEFAULT_COLLECT_LIMIT } from './collect-list.ts';
import { detach } from './order.ts';
import type { AggregateSpec } from './types.ts';

const isNull = (v: unknown) => v === null || v === undefined;

/** Distinct values by canonical JSON, each with how many rows contribute it, in first-seen order. */
type CountedSet = Array<[unknown, number]>;

function indexOf(s: CountedSet, v: unknown): number {
  const id = canonicalJson(v);
  return s.findIndex((e) => canonicalJson(e[0]) === id);
}

export const collectSet: AggregateSpec = {
  name: 'collect_set',
  docs: 'The distinct non-null values (compared as canonical JSON) in first-seen order, at most `limit` (default 1000). Over a table a value leaves the set when no row contributes it any more.',
  argument: 'collect',
  tableState:
    'every distinct value with its number of contributing rows: O(distinct values) space and O(d) per update.',
  stream: ({ limit = DEFAULT_COLLECT_LIMIT }) => {
    const add = (s: unknown[], v: unknown): unknown[] => {
      if (isNull(v) || s.length >= limit) return s;
      const id = canonicalJson(v);
      if (!s.some((e) => canonicalJson(e) === id)) s.push(v);
      return s;
    };
    return {
      init: () => [],
      add,
      merge: (older: unknown[], newer: unknown[]) => newer.reduce(add, older),
      result: (s: unknown[]) => detach(s),
    };
  },
  table: ({ limit = DEFAULT_COLLECT_LIMIT }) => ({
    init: () => [],
    add: (s: CountedSet, v) => {
      if (isNull(v)) return s;
      const i = indexOf(s, v);
      if (i >= 0) s[i]![1] += 1;
      else s.push([v, 1]);
      return s;
    },
    retract: (s: CountedSet, v) => {
      if (isNull(v)) return s;
      const i = indexOf(s, v);
      if (i >= 0 && --s[i]![1] === 0) s.splice(i, 1);
      return s;
    },
    result: (s: CountedSet) => detach(s.slice(0, limit).map((e) => e[0])),
  }),
};
