// The history of one key: every row version the projection emitted for it, by event time.
//
// Layout: ONE store value per key holding the ordered list of versions. Operators may only get/put/
// delete (never scan), so a lookup must land on one value; a list per key is the layout that needs
// no scan and no index. The price: each new version rewrites the whole list (write amplification
// O(versions per key) in LevelDB and in the changelog), bounded by retention and maxVersions.
//
// History is monotone in event time: a version older than the key's newest one (a late record) is
// recorded at the newest version's time, so the newest version always equals the current row and
// `asOf(now)` never disagrees with a plain read. Versions at the same time collapse: the last wins.
import type { Row } from '../records.ts';

/** [event time in ms, row or null (the row was deleted)]. */
export type Version = [time: number, row: Row | null];

export interface HistoryValue {
  /** Versions, oldest first; times strictly increase. */
  v: Version[];
  /** Set once older versions were dropped: before v[0] the row is unknown, not absent. */
  cut?: 1;
}

export interface HistoryLimits {
  /** Versions older than (newest time − retentionMs) are dropped, except the one in force at that time. */
  retentionMs: number;
  /** Keep at most this many versions (the newest). */
  maxVersions?: number;
}

/** What a key held at a point in event time. */
export type AsOf =
  /** The row in force at that time, written by the record at `since`. */
  | { kind: 'row'; value: Row; since: number }
  /** No row: the key did not exist yet, or was deleted (at `since`). */
  | { kind: 'absent'; since?: number }
  /** The time precedes the retained history (older versions were dropped): unknown. */
  | { kind: 'trimmed'; oldest: number };

/**
 * The history after the projection emitted `row` (null = tombstone) for the key at `time`.
 * Returns the same object when nothing changed (the caller can skip the write), and undefined
 * when there is nothing to keep.
 */
export function addVersion(
  history: HistoryValue | undefined,
  time: number,
  row: Row | null,
  limits: HistoryLimits,
): HistoryValue | undefined {
  const versions = history?.v ?? [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    // A delete of a key with no history changes no answer.
    return row === null ? history : { v: [[time, row]] };
  }
  // An unchanged row (tables emit every update, changed or not) adds no information.
  if (sameRow(newest[1], row)) return history;
  const v = versions.slice();
  if (time <= newest[0]) v[v.length - 1] = [newest[0], row];
  else v.push([time, row]);
  return trim({ v, ...(history?.cut ? { cut: 1 } : {}) }, limits);
}

/** Applies retention (relative to the newest version) and maxVersions. */
export function trim(history: HistoryValue, limits: HistoryLimits): HistoryValue {
  const v = history.v;
  if (v.length <= 1) return history;
  const cutoff = v.at(-1)![0] - limits.retentionMs;
  // Keep the version in force at the cutoff, so every asOf ≥ cutoff stays exact.
  let first = 0;
  while (first + 1 < v.length && v[first + 1]![0] <= cutoff) first++;
  if (limits.maxVersions !== undefined) first = Math.max(first, v.length - limits.maxVersions);
  if (first === 0) return history;
  return { v: v.slice(first), cut: 1 };
}

/** The value of a key as of event time `t` (inclusive: a version written at exactly t counts). */
export function valueAsOf(history: HistoryValue | undefined, t: number): AsOf {
  const v = history?.v ?? [];
  // Binary search for the last version with time ≤ t.
  let lo = 0;
  let hi = v.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (v[mid]![0] <= t) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0)
    return history?.cut && v.length > 0 ? { kind: 'trimmed', oldest: v[0]![0] } : { kind: 'absent' };
  const [since, row] = v[found]!;
  return row === null ? { kind: 'absent', since } : { kind: 'row', value: row, since };
}

function sameRow(a: Row | null, b: Row | null): boolean {
  if (a === null || b === null) return a === b;
  return JSON.stringify(a) === JSON.stringify(b);
}
