// A total order over JSON values for MIN/MAX and sorted multisets: numbers numerically, strings
// lexicographically (UTF-16 code units, like Java's String.compareTo used by ksqlDB), booleans
// false < true; values of different kinds order by kind so mixed input never throws.
import { canonicalJson } from '../keys.ts';

function rank(v: unknown): number {
  switch (typeof v) {
    case 'boolean':
      return 0;
    case 'number':
      return 1;
    case 'string':
      return 2;
    default:
      return 3;
  }
}

export function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return Number(a) - Number(b);
  const ca = canonicalJson(a);
  const cb = canonicalJson(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/** A sorted multiset as JSON: [value, count] pairs in ascending order. */
export type Multiset = Array<[unknown, number]>;

function search(set: Multiset, value: unknown): { index: number; found: boolean } {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareValues(set[mid]![0], value);
    if (c === 0) return { index: mid, found: true };
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return { index: lo, found: false };
}

export function multisetAdd(set: Multiset, value: unknown): Multiset {
  const { index, found } = search(set, value);
  if (found) set[index]![1] += 1;
  else set.splice(index, 0, [value, 1]);
  return set;
}

export function multisetRemove(set: Multiset, value: unknown): Multiset {
  const { index, found } = search(set, value);
  if (!found) return set;
  const entry = set[index]!;
  if (entry[1] > 1) entry[1] -= 1;
  else set.splice(index, 1);
  return set;
}

/** Copies a value that may be an object or array held in state, so outputs never alias state. */
export function detach<T>(value: T): T {
  return value !== null && typeof value === 'object' ? structuredClone(value) : value;
}
