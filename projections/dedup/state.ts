// Event-id deduplication state. One store per projection that reads a source with `eventId`
// (`<app>-<projection>-dedup`), so the runtime backs it with a changelog and it moves with the task.
//
// Layout: `encodeKey(entity key) \0 encodeKey(event id)` → the stream time when the id was first
// seen; split parts after the first add `\0<part>`. One extra key (`\u0001stream-time`; every entry
// key contains `\0`, so none can equal it) holds the stream time: the highest event time seen.
//
// An id is remembered while its entry's time >= stream time - horizon. Expiry depends only on
// stored state, so purging expired entries never changes what is dropped: the purge is pure
// garbage collection, run lazily (an expired entry is overwritten on lookup) and in bounded slices
// by the runtime at commit time (DedupPurger).
import { encodeKey } from '../keys.ts';
import type { KeyValueStore } from '../store.ts';

export const STREAM_TIME_KEY = '\u0001stream-time';

export function dedupKey(key: unknown, eventId: unknown, part = 0): string {
  const base = `${encodeKey(key ?? null)}\u0000${encodeKey(eventId)}`;
  return part === 0 ? base : `${base}\u0000${part}`;
}

/** The oldest entry time still remembered. */
export function horizonStart(store: KeyValueStore<number>, horizonMs: number): number {
  const streamTime = store.get(STREAM_TIME_KEY);
  return streamTime === undefined ? Number.NEGATIVE_INFINITY : streamTime - horizonMs;
}

/**
 * Records an event and says whether its id was already seen within the horizon (then the event is
 * a duplicate and must be dropped). Advances the stream time with the event's time.
 */
export function seenBefore(
  store: KeyValueStore<number>,
  k: string,
  time: number,
  horizonMs: number,
): boolean {
  const previous = store.get(STREAM_TIME_KEY);
  let streamTime = previous ?? time;
  if (time > streamTime) streamTime = time;
  if (streamTime !== previous) store.put(STREAM_TIME_KEY, streamTime);
  const seen = store.get(k);
  if (seen !== undefined && seen >= streamTime - horizonMs) return true;
  store.put(k, streamTime);
  return false;
}

/**
 * Deletes expired entries a slice at a time: each call scans at most `limit` entries after where the
 * previous call stopped and wraps around at the end, so the work per commit stays bounded however
 * large the store is. One purger per store (it keeps the cursor; a restart simply starts over).
 *
 * In two steps, so the scan (asynchronous reads) need not hold the runtime's processing lock:
 * `scan` finds the entries that were expired, `deleteExpired` (synchronous, under the lock) deletes
 * those that still are; an entry refreshed in between (a lookup rewrites an expired one) stays.
 */
export class DedupPurger {
  private cursor: string | undefined;

  constructor(
    private readonly store: KeyValueStore<number>,
    private readonly horizonMs: number,
  ) {}

  async purge(limit = 1000): Promise<{ scanned: number; deleted: number }> {
    const { scanned, expired } = await this.scan(limit);
    return { scanned, deleted: this.deleteExpired(expired) };
  }

  /** The next slice's expired entries (deletes nothing). */
  async scan(limit = 1000): Promise<{ scanned: number; expired: string[] }> {
    const oldest = horizonStart(this.store, this.horizonMs);
    const expired: string[] = [];
    let scanned = 0;
    let last: string | undefined;
    const range = this.cursor === undefined ? { limit } : { gt: this.cursor, limit };
    for await (const [k, t] of this.store.scan(range)) {
      scanned++;
      last = k;
      if (k !== STREAM_TIME_KEY && t < oldest) expired.push(k);
    }
    this.cursor = scanned < limit ? undefined : last;
    return { scanned, expired };
  }

  /** Deletes those of `keys` that are expired now; returns how many. */
  deleteExpired(keys: readonly string[]): number {
    const oldest = horizonStart(this.store, this.horizonMs);
    let deleted = 0;
    for (const k of keys) {
      const t = this.store.get(k);
      if (t === undefined || t >= oldest) continue;
      this.store.delete(k);
      deleted++;
    }
    return deleted;
  }
}
