// One side's buffer of a windowed stream–stream join: the records of the last `retention` (before
// + after + grace) of event time, found by key and time range with one store read per key.
//
//   m                          meta: newest record time (nb) and the time index's segments
//   w\0<key>                   the key's buffered records: [timestamp, records[]][], by timestamp
//   x\0<segment>\0<chunk>      the time index (segments.ts): [key, timestamp] per buffered time
//
// A join looks up one key's partners in a time range, so keeping a key's records in one value
// makes a lookup one read and a buffered record one write (plus its index entry), where a window
// store spends a value per record and a per-key list of times. Retention follows the window store:
// a record at or before `newest - retention` is invisible at once, a later arrival that old is not
// buffered (late), and records leave with their whole segment.
import type { KeyValueStore } from '../store.ts';
import { SegmentIndex, type Segment, segmentLength } from './segments.ts';
import { type BucketEntry, WindowStore } from './state.ts';

interface Meta {
  /** Unused by the buffer; kept so every windowed store's meta has one shape. */
  st: number;
  /** Newest record time buffered (-1: none); retention counts back from it. */
  nb: number;
  le: number;
  /** Layout: 3 = one value per key (absent or 2: a window store's layout, re-filed on open). */
  v?: number;
  b: Segment[];
}

/** Records of one key at one timestamp (several may share both). */
export type BufferedAt<R> = [timestamp: number, records: R[]];
type IndexEntry = [encodedKey: string, timestamp: number];

const SEP = '\u0000';
const META = 'm';
const LAYOUT = 3;
const recordsKey = (encodedKey: string) => `w${SEP}${encodedKey}`;

export class JoinBuffer<R> {
  readonly meta: Meta;
  private readonly index: SegmentIndex<IndexEntry>;

  constructor(
    private readonly store: KeyValueStore<any>,
    private readonly retentionMs: number,
  ) {
    const stored = store.get(META) as Meta | undefined;
    const older = stored !== undefined && stored.v !== LAYOUT;
    const legacy = older ? this.drainWindowLayout() : [];
    this.meta = older ? { ...(store.get(META) as Meta), v: LAYOUT, b: [] } : (stored ?? this.fresh());
    this.index = new SegmentIndex(store, this.meta.b, segmentLength(retentionMs), true);
    if (older) this.refile(legacy);
  }

  save(): void {
    this.store.put(META, this.meta);
  }

  /** Buffers a record; a record already past retention is not buffered (Kafka Streams): false. */
  add(encodedKey: string, timestamp: number, record: R): boolean {
    if (this.meta.nb >= 0 && timestamp < this.meta.nb - this.retentionMs) return false;
    const key = recordsKey(encodedKey);
    const buffered = (this.store.get(key) as BufferedAt<R>[] | undefined) ?? [];
    const newest = buffered[buffered.length - 1]?.[0];
    // records mostly arrive in time order: find the place from the end
    let i = buffered.length;
    while (i > 0 && buffered[i - 1]![0] > timestamp) i--;
    const same = buffered[i - 1];
    if (same && same[0] === timestamp) same[1].push(record);
    else {
      buffered.splice(i, 0, [timestamp, [record]]);
      this.index.append(timestamp, [encodedKey, timestamp]);
    }
    if (newest !== undefined) this.index.continued(newest, timestamp);
    this.store.put(key, buffered);
    if (timestamp > this.meta.nb) {
      this.meta.nb = timestamp;
      this.expire();
    }
    return true;
  }

  /** The key's records within retention with from <= timestamp <= to, by timestamp. */
  within(encodedKey: string, from: number, to: number): BufferedAt<R>[] {
    const buffered = this.store.get(recordsKey(encodedKey)) as BufferedAt<R>[] | undefined;
    if (!buffered) return [];
    const bound = this.meta.nb - this.retentionMs;
    return buffered.filter(([t]) => t > bound && t >= from && t <= to);
  }

  /**
   * Drops the segments past retention, and their records from each key's value. A key with no
   * entry in the segments that stay is deleted without reading its value (a cold read per expired
   * key otherwise). Which keys those are is known without reading when no expired segment is
   * marked continued (segments.ts); else the live segments' entries are read, 32 to a value.
   */
  private expire(): void {
    const limit = this.meta.nb - this.retentionMs;
    if (!this.index.hasExpired(limit)) return;
    const expired = new Map<string, number>(); // key -> its newest expired timestamp
    let continued = false;
    this.index.expire(limit, (entries, goesOn) => {
      continued ||= goesOn;
      for (const [k, t] of entries) expired.set(k, Math.max(expired.get(k) ?? -1, t));
    });
    const alsoLive = new Set<string>();
    if (continued)
      for (const [k] of this.index.overlapping(limit, Number.POSITIVE_INFINITY))
        if (expired.has(k)) alsoLive.add(k);
    for (const [encodedKey, newestExpired] of expired) {
      const key = recordsKey(encodedKey);
      if (!alsoLive.has(encodedKey)) {
        this.store.delete(key);
        continue;
      }
      // segments go oldest first: every record of this key up to its newest expired one goes
      const buffered = (this.store.get(key) as BufferedAt<R>[] | undefined) ?? [];
      const rest = buffered.filter(([t]) => t > newestExpired);
      if (rest.length > 0) {
        if (rest.length < buffered.length) this.store.put(key, rest);
      } else this.store.delete(key);
    }
  }

  private fresh(): Meta {
    return { st: -1, nb: -1, le: -1, v: LAYOUT, b: [] };
  }

  /** A buffer written by an earlier version in the window store's layout: its records, layout removed. */
  private drainWindowLayout(): Array<[BucketEntry, R[]]> {
    const windows = new WindowStore<R[]>(this.store, { type: 'session', retentionMs: this.retentionMs });
    const out: Array<[BucketEntry, R[]]> = [];
    for (const entry of windows.drain()) {
      const [encodedKey, start, end] = entry;
      const records = windows.take(encodedKey, { start, end });
      if (records) out.push([entry, records]);
    }
    return out;
  }

  private refile(legacy: Array<[BucketEntry, R[]]>): void {
    for (const [[encodedKey, timestamp], records] of legacy) {
      const key = recordsKey(encodedKey);
      const buffered = (this.store.get(key) as BufferedAt<R>[] | undefined) ?? [];
      buffered.push([timestamp, records]);
      this.store.put(key, buffered);
      this.index.append(timestamp, [encodedKey, timestamp]);
    }
    // filed in no time order, so which segments go on later is unknown: expiry looks
    for (const segment of this.meta.b) segment.length = 2;
    // the earlier index listed a segment's windows in arrival order, not by time
    for (const encodedKey of new Set(legacy.map(([[k]]) => k))) {
      const key = recordsKey(encodedKey);
      this.store.put(
        key,
        (this.store.get(key) as BufferedAt<R>[]).sort((a, b) => a[0] - b[0]),
      );
    }
    this.save();
  }
}
