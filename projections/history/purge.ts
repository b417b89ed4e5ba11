// Purging deleted keys. A key trims its history when it is written, relative to its own newest
// version; a deleted key is never written again, so its versions would stay forever. Instead, each
// delete is queued in a bucket of its event time, and once the projection's stream time (the
// newest event time it emitted, per task) passes the bucket by the retention, the key's history
// is removed, head and chunks: every asOf after the cutoff would say "absent" anyway.
//
// Store keys, beside the layout's h:/c<seq>: keys:
//   g:             { c: stream time, q: ends of the non-empty buckets, ascending }
//   q<end>:        keys deleted with a tombstone time in [end − width, end)
// A bucket is an eighth of the retention wide, so a purge comes at most ~1/8 retention late and
// the queue holds about nine buckets. Only known keys are read: no scan.
import type { KeyValueStore } from '../store.ts';
import { chunkKey, type HistoryHead, type HistoryLimits, headKey } from './layout.ts';

export const PURGE_STATE_KEY = 'g:';
export const bucketKey = (end: number): string => `q${end}:`;

interface PurgeState {
  /** Stream time: the newest event time seen. */
  c: number;
  /** Ends of the buckets that hold queued keys, ascending. */
  q?: number[];
}

/**
 * Advances stream time to `time`, queues `key` when `deletedAt` (recordVersion's result) is set,
 * and purges the keys of every bucket the retention has passed.
 */
export function purgeDeleted(
  store: KeyValueStore<unknown>,
  key: string,
  time: number,
  deletedAt: number | undefined,
  limits: HistoryLimits,
): void {
  const state = (store.get(PURGE_STATE_KEY) as PurgeState | undefined) ?? { c: time };
  const advanced = time > state.c;
  if (advanced) state.c = time;
  if (deletedAt !== undefined) enqueue(store, state, key, deletedAt, limits.retentionMs);
  const cutoff = state.c - limits.retentionMs;
  // Every tombstone in a bucket is older than its end: end ≤ cutoff + 1 means all are ≤ cutoff.
  let swept = false;
  while (state.q?.length && state.q[0]! <= cutoff + 1) {
    const end = state.q.shift()!;
    for (const k of (store.get(bucketKey(end)) as string[] | undefined) ?? []) purgeKey(store, k, cutoff);
    store.delete(bucketKey(end));
    swept = true;
  }
  if (state.q?.length === 0) delete state.q;
  if (advanced || swept || deletedAt !== undefined || store.get(PURGE_STATE_KEY) === undefined)
    store.put(PURGE_STATE_KEY, state);
}

function enqueue(
  store: KeyValueStore<unknown>,
  state: PurgeState,
  key: string,
  deletedAt: number,
  retentionMs: number,
): void {
  const width = Math.max(1, Math.ceil(retentionMs / 8));
  const end = (Math.floor(deletedAt / width) + 1) * width;
  const keys = (store.get(bucketKey(end)) as string[] | undefined) ?? [];
  keys.push(key);
  store.put(bucketKey(end), keys);
  const q = (state.q ??= []);
  if (!q.includes(end)) {
    q.push(end);
    q.sort((a, b) => a - b);
  }
}

/** Removes a key's history if it is still deleted, at or before the cutoff (it may have come back). */
function purgeKey(store: KeyValueStore<unknown>, key: string, cutoff: number): void {
  const head = store.get(headKey(key)) as HistoryHead | undefined;
  const newest = head?.v.at(-1);
  if (!head || !newest || newest[1] !== null || newest[0] > cutoff) return;
  const first = head.n ?? 0;
  for (let i = 0; i < (head.s?.length ?? 0); i++) store.delete(chunkKey(key, first + i));
  store.delete(headKey(key));
}
