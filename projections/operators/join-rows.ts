// How joined rows look: the left row's fields, plus the right row (or null) under the join's alias.
import type { Row } from '../records.ts';

export function joinRows(left: Row | null, right: Row | null, alias: string): Row {
  return { ...(left ?? {}), [alias]: right };
}

export type JoinType = 'inner' | 'left' | 'outer';

/**
 * The joined row for one key given both sides, or null when the join type yields no row.
 * inner: both sides; left: the left side; outer: either side.
 */
export function joinedOrNull(type: JoinType, left: Row | null, right: Row | null, alias: string): Row | null {
  if (left === null && right === null) return null;
  if (type === 'inner' && (left === null || right === null)) return null;
  if (type === 'left' && left === null) return null;
  return joinRows(left, right, alias);
}
