// Per-row contributions for the order-sensitive aggregates over tables (LATEST, FIRST, COLLECT_LIST):
// every row currently in the group is kept with the sequence number of when it entered or last
// changed, so removing any row can be undone and the survivors keep their order.
import type { RowKey } from './types.ts';

export interface Contributions {
  /** row key → [sequence, value] */
  rows: Record<RowKey, [number, unknown]>;
  /** Next sequence number (per group, so it is deterministic and needs no clock). */
  next: number;
}

export const emptyContributions = (): Contributions => ({ rows: {}, next: 0 });

export function put(s: Contributions, row: RowKey, value: unknown, keepPosition: boolean): Contributions {
  const existing = keepPosition ? s.rows[row] : undefined;
  s.rows[row] = [existing ? existing[0] : s.next++, value];
  return s;
}

export function remove(s: Contributions, row: RowKey): Contributions {
  delete s.rows[row];
  return s;
}

/** The entry with the highest (latest) or lowest (first) sequence; O(rows in group). */
export function extremeEntry(s: Contributions, latest: boolean): [number, unknown] | undefined {
  let best: [number, unknown] | undefined;
  for (const row in s.rows) {
    const e = s.rows[row]!;
    if (!best || (latest ? e[0] > best[0] : e[0] < best[0])) best = e;
  }
  return best;
}

/** Values in sequence order. */
export function ordered(s: Contributions): unknown[] {
  return Object.values(s.rows)
    .sort((a, b) => a[0] - b[0])
    .map((e) => e[1]);
}
