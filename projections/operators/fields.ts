// Keeping only the fields of a row that a projection reads. Operators that hold rows (a table
// source's store, a foreign-key join's right table, a stream–stream join's buffers) keep what the
// compiled expressions read (Scope records it) instead of whole events, as ksqlDB projects a
// query's inputs to the columns it uses. A definition that reads more is a new projection version
// with fresh stores (docs/versions.md), so a kept row never lacks a field its version reads.
import type { Row } from '../records.ts';

/** Cuts a row down to the fields that are read. */
export type Keep = (row: Row) => Row;

export const identity: Keep = (row) => row;

/** The fields of `row` named in `fields` (missing ones stay missing). */
export function pick(row: Row, fields: ReadonlySet<string>): Row {
  if (row === null || typeof row !== 'object') return row;
  const kept: Row = {};
  for (const f of fields) if (f in row) kept[f] = row[f];
  return kept;
}

/**
 * A pruner asked for its fields on first use, once every expression is compiled: `fields` returns
 * null when the row may be read whole (it is then kept as it is).
 */
export function pruner(fields: () => ReadonlySet<string> | null): Keep {
  let kept: ReadonlySet<string> | null | undefined;
  return (row) => {
    if (kept === undefined) kept = fields();
    return kept === null ? row : pick(row, kept);
  };
}
