// How a key's history sits in its store, using get/put/delete only (operators never scan):
//
//   h:<key>        the head: the open chunk (newest versions) and an index of the sealed chunks
//   c<seq>:<key>   a sealed chunk: `chunkSize` versions, written once, never rewritten
//   g:, q<time>:   the purge of deleted keys (purge.ts)
//
// A write rewrites the head only (on average chunkSize/2 versions plus one number per sealed
// chunk); every chunkSize versions it also writes one sealed chunk. A read is one get for the
// head, plus one for the sealed chunk that holds the time asked for (found in the head's index).
// One list per key would be simpler, but every version would rewrite the whole list: 30 days of
// one update a minute is 43,200 versions, megabytes per write, in LevelDB and in the changelog.
//
// Trimming: by retention, whole sealed chunks go once every version in them is superseded at the
// cutoff (newest time − retention), and the open chunk keeps the version in force at the cutoff,
// so every asOf ≥ cutoff stays exact. By maxVersions, exactly: the head counts how many versions of
// the oldest sealed chunk are skipped (`o`), so no chunk is ever rewritten.
import type { KeyValueStore } from '../store.ts';
import { lastAtOrBefore, sameRow, type Version } from './versions.ts';
import type { Row } from '../records.ts';

export const DEFAULT_CHUNK_SIZE = 32;

export interface HistoryHead {
  /** The open chunk: the newest versions, oldest first; times strictly increase. */
  v: Version[];
  /** First event time of each kept sealed chunk, oldest first; chunk i has sequence n + i. */
  s?: number[];
  /** Sequence number of the oldest kept sealed chunk. */
  n?: number;
  /** Versions at the start of the oldest sealed chunk that maxVersions dropped. */
  o?: number;
  /** Set once versions were dropped: before the oldest kept version the row is unknown, not absent. */
  cut?: 1;
}

export interface HistoryLimits {
  /** Versions superseded before (newest time − retentionMs) are dropped. */
  retentionMs: number;
  /** Keep at most this many versions (the newest). */
  maxVersions?: number;
  /** Versions per sealed chunk (default 32). Part of the stored format: do not change on existing state. */
  chunkSize?: number;
}

/** What a key held at a point in event time. */
export type AsOf =
  /** The row in force at that time, written by the record at `since`. */
  | { kind: 'row'; value: Row; since: number }
  /** No row: the key did not exist yet, or was deleted (at `since`). */
  | { kind: 'absent'; since?: number }
  /** The time precedes the retained history (older versions were dropped): unknown. */
  | { kind: 'trimmed'; oldest: number };

export const headKey = (key: string): string => `h:${key}`;
export const chunkKey = (key: string, seq: number): string => `c${seq}:${key}`;

/**
 * Folds the projection's output `row` (null = tombstone) for encoded `key` at `time` into its
 * history. Returns the time of the tombstone when the write made one the key's newest version.
 */
export function recordVersion(
  store: KeyValueStore<unknown>,
  key: string,
  time: number,
  row: Row | null,
  limits: HistoryLimits,
): number | undefined {
  const hk = headKey(key);
  // Changed in place and put back, as operators do with their state (the stores share values by
  // reference and a put supersedes the cached committed value).
  const head = store.get(hk) as HistoryHead | undefined;
  if (!addVersion(head?.v, time, row)) {
    if (head === undefined && row !== null) store.put(hk, { v: [[time, row]] });
    return undefined;
  }
  const h = head!;
  const size = limits.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (h.v.length > size) {
    const sealed = h.v.splice(0, size);
    const s = (h.s ??= []);
    h.n ??= 0;
    store.put(chunkKey(key, h.n + s.length), sealed);
    s.push(sealed[0]![0]);
  }
  trim(store, key, h, limits, size);
  store.put(hk, h);
  return row === null ? h.v.at(-1)![0] : undefined;
}

/**
 * History is monotone in event time: a version older than the key's newest one (a late record) is
 * recorded at the newest version's time, so the newest version always equals the current row and
 * `asOf(now)` never disagrees with a plain read. Versions at the same time collapse: the last wins.
 *
 * Appends `row` at `time` to `v` in place; false when there is nothing to append to, or nothing
 * changes (tables emit every update, changed or not: an unchanged row adds no information).
 */
function addVersion(v: Version[] | undefined, time: number, row: Row | null): boolean {
  const newest = v?.at(-1);
  if (newest === undefined || sameRow(newest[1], row)) return false;
  if (time <= newest[0]) v![v!.length - 1] = [newest[0], row];
  else v!.push([time, row]);
  return true;
}

function trim(
  store: KeyValueStore<unknown>,
  key: string,
  head: HistoryHead,
  limits: HistoryLimits,
  size: number,
): void {
  const cutoff = head.v.at(-1)![0] - limits.retentionMs;
  while (head.s?.length) {
    const nextFirst = head.s.length > 1 ? head.s[1]! : head.v[0]![0];
    if (nextFirst > cutoff) break;
    dropOldestChunk(store, key, head);
  }
  if (!head.s?.length) {
    const first = lastAtOrBefore(head.v, cutoff);
    if (first > 0) {
      head.v.splice(0, first);
      head.cut = 1;
    }
  }
  if (limits.maxVersions === undefined) return;
  let excess = (head.s?.length ?? 0) * size - (head.o ?? 0) + head.v.length - limits.maxVersions;
  while (excess > 0) {
    head.cut = 1;
    if (!head.s?.length) {
      head.v.splice(0, excess);
      return;
    }
    const skip = Math.min(excess, size - (head.o ?? 0));
    head.o = (head.o ?? 0) + skip;
    excess -= skip;
    if (head.o === size) dropOldestChunk(store, key, head);
  }
}

function dropOldestChunk(store: KeyValueStore<unknown>, key: string, head: HistoryHead): void {
  const n = head.n ?? 0;
  store.delete(chunkKey(key, n));
  head.s!.shift();
  head.cut = 1;
  delete head.o;
  if (head.s!.length > 0) {
    head.n = n + 1;
  } else {
    // No sealed chunk left: sequence numbers may start over (their keys were deleted).
    delete head.s;
    delete head.n;
  }
}

/** The value of encoded `key` as of event time `t` (inclusive: a version written at exactly t counts). */
export function versionAsOf(store: KeyValueStore<unknown>, key: string, t: number): AsOf {
  const head = store.get(headKey(key)) as HistoryHead | undefined;
  return valueAsOf(head, t, (seq) => store.get(chunkKey(key, seq)) as Version[] | undefined);
}

/** asOf over a head, fetching sealed chunks with `chunk(seq)` when the time lies before the open chunk. */
export function valueAsOf(
  head: HistoryHead | undefined,
  t: number,
  chunk: (seq: number) => Version[] | undefined = () => undefined,
): AsOf {
  if (!head || head.v.length === 0) return { kind: 'absent' };
  let versions: readonly Version[] = head.v;
  let i = lastAtOrBefore(versions, t);
  const s = head.s ?? [];
  const n = head.n ?? 0;
  const skip = head.o ?? 0;
  if (i < 0 && s.length > 0) {
    let j = s.length - 1;
    while (j >= 0 && s[j]! > t) j--;
    if (j >= 0) {
      versions = chunk(n + j) ?? [];
      i = lastAtOrBefore(versions, t, j === 0 ? skip : 0);
    }
  }
  if (i < 0) {
    if (!head.cut) return { kind: 'absent' };
    const oldest = s.length > 0 ? (chunk(n)?.[skip]?.[0] ?? s[0]!) : head.v[0]![0];
    return { kind: 'trimmed', oldest };
  }
  const [since, row] = versions[i]!;
  return row === null ? { kind: 'absent', since } : { kind: 'row', value: row, since };
}

/** Every kept version of encoded `key`, oldest first (for tests and tools; reads every chunk). */
export function readHistory(store: KeyValueStore<unknown>, key: string): Version[] {
  const head = store.get(headKey(key)) as HistoryHead | undefined;
  if (!head) return [];
  const out: Version[] = [];
  (head.s ?? []).forEach((_, i) => {
    const c = (store.get(chunkKey(key, (head.n ?? 0) + i)) as Version[] | undefined) ?? [];
    out.push(...(i === 0 ? c.slice(head.o ?? 0) : c));
  });
  out.push(...head.v);
  return out;
}
