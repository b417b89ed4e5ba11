// Freshness bounds on a query: `minOffset=<partition>:<offset>` (repeatable, or comma-separated)
// answers only once the owner of that input partition has processed the record at that offset;
// `maxLagMs` only once the partitions read are at most that far behind. Read-your-writes for a
// command side that knows where its event landed.
import { errors } from './errors.ts';

export interface MinOffset {
  partition: number;
  offset: number;
}

export function parseMinOffsets(raw: string[] | undefined): MinOffset[] {
  if (!raw) return [];
  const out: MinOffset[] = [];
  for (const item of raw.flatMap((r) => r.split(','))) {
    const m = /^(\d{1,9}):(\d{1,16})$/.exec(item);
    if (!m) throw errors.badRequest('invalid minOffset: use <partition>:<offset>, e.g. 3:1200');
    const offset = Number(m[2]);
    if (!Number.isSafeInteger(offset)) throw errors.badRequest('invalid minOffset: offset too large');
    out.push({ partition: Number(m[1]), offset });
  }
  return out;
}

/** Polls `lagMs()` until it is ≤ maxLagMs or the deadline passes. */
export async function waitForLag(
  lagMs: () => number | undefined,
  maxLagMs: number,
  deadline: number,
): Promise<boolean> {
  for (;;) {
    const lag = lagMs();
    if (lag !== undefined && lag <= maxLagMs) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
  }
}
