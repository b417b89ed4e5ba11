// Row versions ordered by event time, the unit the history layout (layout.ts) stores: search by
// time and row equality.
import type { Row } from '../records.ts';

/** [event time in ms, row or null (the row was deleted)]. */
export type Version = [time: number, row: Row | null];

/** Index of the last version at or before `t` (inclusive), searching from `from`; -1 when none. */
export function lastAtOrBefore(versions: readonly Version[], t: number, from = 0): number {
  let lo = from;
  let hi = versions.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (versions[mid]![0] <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** Whether two rows (JSON objects, or null) are equal; field order does not matter. */
export function sameRow(a: Row | null, b: Row | null): boolean {
  if (a === null || b === null) return a === b;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const k of keys) {
    if (!(k in b)) return false;
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}
