// Lists of row versions, ordered by event time: the unit the history layout (layout.ts) stores.
//
// History is monotone in event time: a version older than the key's newest one (a late record) is
// recorded at the newest version's time, so the newest version always equals the current row and
// `asOf(now)` never disagrees with a plain read. Versions at the same time collapse: the last wins.
import type { Row } from '../records.ts';

/** [event time in ms, row or null (the row was deleted)]. */
export type Version = [time: number, row: Row | null];

/**
 * `versions` with `row` (null = tombstone) written at `time`: a new array, or the same array when
 * the write changes no answer (an unchanged row, or a delete of a key without history).
 */
export function appendVersion(
  versions: readonly Version[],
  time: number,
  row: Row | null,
): readonly Version[] {
  const newest = versions.at(-1);
  if (newest === undefined) return row === null ? versions : [[time, row]];
  // Tables emit every update, changed or not: an unchanged row adds no information.
  if (sameRow(newest[1], row)) return versions;
  const v = versions.slice();
  if (time <= newest[0]) v[v.length - 1] = [newest[0], row];
  else v.push([time, row]);
  return v;
}

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

function sameRow(a: Row | null, b: Row | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}
