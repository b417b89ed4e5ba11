// Shared by MIN and MAX: on a stream one value is enough; on a table the group keeps a sorted
// multiset of every contributed value, because retracting the current extreme must reveal the next.
import { compareValues, detach, type Multiset, multisetAdd, multisetRemove } from './order.ts';
import type { Accumulator } from './types.ts';

export function streamExtreme(sign: 1 | -1): Accumulator<unknown> {
  const add = (s: unknown, v: unknown): unknown => {
    if (v === null || v === undefined) return s;
    return s === null || sign * compareValues(v, s) > 0 ? v : s;
  };
  return {
    init: () => null,
    add,
    // a stream extreme's state is the extreme value itself
    merge: add,
    result: (s) => detach(s),
  };
}

export function tableExtreme(sign: 1 | -1): Accumulator<Multiset> {
  return {
    init: () => [],
    add: (s, v) => (v === null || v === undefined ? s : multisetAdd(s, v)),
    retract: (s, v) => (v === null || v === undefined ? s : multisetRemove(s, v)),
    result: (s) => {
      if (s.length === 0) return null;
      return detach((sign > 0 ? s[s.length - 1]! : s[0]!)[0]);
    },
  };
}
