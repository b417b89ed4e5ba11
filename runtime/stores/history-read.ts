// Time-travel reads for the HTTP layer: the row of a key as of an event time, from the history
// store of the task that owns the key (reads go through the task's write cache, like plain reads).
import { type AsOf, readAsOf as readHistory } from '../../projections/history/index.ts';
import type { TaskStores } from './task-stores.ts';

export type { AsOf };

/**
 * The row of `encodedKey` (encodeKey of the key) in `projection` as of event time `asOfMs`
 * (inclusive). `absent`: no row then; `trimmed`: the time precedes the retained history.
 * The projection must declare `history` (see Topology.projections[].history); otherwise every
 * key is absent.
 */
export function readAsOf(
  taskStores: Pick<TaskStores, 'store'>,
  app: string,
  projection: string,
  encodedKey: string,
  asOfMs: number,
): AsOf {
  return readHistory(taskStores, app, projection, encodedKey, asOfMs);
}

// A date, or a date-time with a zone (Z or ±hh:mm): a time without a zone would depend on the
// server's local zone, so it is refused.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/** Milliseconds since the epoch of an `asOf` query parameter, or undefined when it is not ISO-8601. */
export function parseAsOf(text: string): number | undefined {
  const m = ISO_8601.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse rolls 2024-02-30 over into March; a calendar date must exist.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59))
    return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}
