// Windowed projections over HTTP: their rows are stored one per (group key, window) under
// windowRowKey (projections/windows/keys.ts), in the partition of the group key. This module turns
// such stored rows into answers (`key`, `windowStart`, `windowEnd`), and the `from`/`to` query
// parameters on window start into the store range of one key's windows.
import { parseWindowRowKey, windowRowBound, windowRowPrefix } from '../../projections/windows/keys.ts';
import { parseAsOf } from '../stores/history-read.ts';
import { errors } from './errors.ts';
import type { ScannedRow, ScanRange } from './state-source.ts';

/** A row of a windowed projection as answered: the group key and its window. */
export interface WindowedRow extends Omit<ScannedRow, 'key'> {
  key: string;
  windowStart: number;
  windowEnd: number;
}

/** A stored row (key in windowRowKey layout) as answered. */
export function windowedRow(row: ScannedRow): WindowedRow {
  const parsed = parseWindowRowKey(row.key);
  // Every key of a windowed rows store has the layout; anything else is shown as it is.
  if (!parsed) return { ...row, windowStart: -1, windowEnd: -1 };
  return { ...row, key: parsed.key, windowStart: parsed.window.start, windowEnd: parsed.window.end };
}

/**
 * A `from`/`to` query parameter on window start: milliseconds since the epoch (an integer ≥ 0),
 * or an ISO-8601 date / date-time with a zone. 400 naming the parameter otherwise.
 */
export function parseWindowBound(text: string | undefined, param: 'from' | 'to'): number | undefined {
  if (text === undefined) return undefined;
  if (/^[0-9]{1,15}$/.test(text)) return Number(text);
  const ms = parseAsOf(text);
  if (ms === undefined || ms < 0)
    throw errors.badRequest(
      `invalid ${param}: write a window start as milliseconds since the epoch, or an ISO-8601 date or date-time with a zone`,
    );
  return ms;
}

/** The store range of one key's windows with from ≤ start < to, and 400 when from > to. */
export function windowsOfKey(
  encodedKey: string,
  from: number | undefined,
  to: number | undefined,
): Pick<ScanRange, 'prefix' | 'from' | 'to'> {
  if (from !== undefined && to !== undefined && from > to)
    throw errors.badRequest('invalid range: from (window start) is after to');
  return {
    prefix: windowRowPrefix(encodedKey),
    ...(from !== undefined ? { from: windowRowBound(encodedKey, from) } : {}),
    ...(to !== undefined ? { to: windowRowBound(encodedKey, to) } : {}),
  };
}
