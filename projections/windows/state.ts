// The window store: windowed group states kept in the operator's ordinary key-value store (so the
// runtime backs it with LevelDB and a changelog like any other), plus the bookkeeping that lets a
// synchronous operator find, close and expire windows without scanning:
//
//   m                          meta: stream time, newest bucket time, last emitted close time, segments
//   w\0<key>\0<start>…         one window's group state (keys.ts: a key's windows are contiguous)
//   x\0<segment>\0<chunk>      the windows of one segment, in arrival order, CHUNK entries per value
//   s\0<key>                   sessions only: the key's session windows, for merge lookups
//
// A window's bucket time is its start (time windows) or its end (sessions, join buffers), as Kafka
// Streams segments them. Bucket times are grouped in segments of retention / SEGMENTS, so the meta
// lists a few segments, not every bucket time (a join buffer has one per record), and a new window
// appends to its segment's last chunk: a commit rewrites the chunks that grew, not a whole list.
// Retention is measured from the newest bucket time in the store (not stream time), per window: a
// window whose bucket time is at or before `newest - retention` is invisible to lookups, can still
// be emitted as closed when exactly at that bound, and is deleted (a changelog tombstone in the
// runtime) with its whole segment, once every bucket time of the segment is before that bound.
// Removing a window (a merged session) deletes its state and leaves its segment entry: entries
// whose state is gone are skipped, and leave with their segment.
import type { KeyValueStore } from '../store.ts';
import type { GroupState } from '../operators/group-output.ts';
import { windowStoreKey } from './keys.ts';
import type { Window, WindowSpec } from './spec.ts';

/** A window's group state; `g` is the group key (a store key does not decode back to it). */
export interface WindowState extends GroupState {
  g: unknown;
}

/** [segment start, number of chunks]. */
type Segment = [number, number];

interface Meta {
  /** Stream time: the highest record timestamp seen (-1: none yet). */
  st: number;
  /** Newest bucket time put in the store (-1: none); retention counts back from it. */
  nb: number;
  /** Close time of the last emit-final pass (-1: none). */
  le: number;
  /** Layout: 2 = segments of chunks (absent: one list per bucket time, migrated on open). */
  v?: 2;
  /** Segments that hold windows, ascending. */
  b: Segment[];
}

type BucketEntry = [encodedKey: string, start: number, end: number, key: unknown];

/** Segments per retention period: how late past retention a window's state may still be deleted. */
export const SEGMENTS = 8;
/** Entries per chunk: what one appended window costs the next commit to re-encode, at most. */
export const CHUNK = 32;

const SEP = '\u0000';
const META = 'm';
const chunkKey = (segment: number, chunk: number) => `x${SEP}${segment}${SEP}${chunk}`;
const legacyBucketKey = (t: number) => `x${SEP}${t}`;
const sessionIndexKey = (encodedKey: string) => `s${SEP}${encodedKey}`;

export interface StoredWindow<S = WindowState> {
  encodedKey: string;
  window: Window;
  state: S;
}

/** What the store needs of a window definition (sessions also list each key's windows; join buffers use that layout). */
export type WindowLayout = Pick<WindowSpec, 'type' | 'retentionMs'>;

/** Told of every window retention deletes (e.g. to drop its final row from a rows store too). */
export type OnExpire = (key: unknown, window: Window) => void;

export class WindowStore<S = WindowState> {
  readonly meta: Meta;
  private readonly segmentMs: number;

  constructor(
    private readonly store: KeyValueStore<any>,
    private readonly spec: WindowLayout,
    private readonly onExpire?: OnExpire,
  ) {
    this.segmentMs = Math.max(1, Math.floor(spec.retentionMs / SEGMENTS));
    this.meta = (store.get(META) as Meta | undefined) ?? { st: -1, nb: -1, le: -1, v: 2, b: [] };
    if (this.meta.v !== 2) this.migrate();
  }

  /** Advances stream time; returns it. */
  observe(timestamp: number): number {
    this.meta.st = Math.max(this.meta.st, timestamp);
    return this.meta.st;
  }

  save(): void {
    this.store.put(META, this.meta);
  }

  private bucketOf(w: Window): number {
    return this.spec.type === 'session' ? w.end : w.start;
  }

  private segmentOf(bucket: number): number {
    return Math.floor(bucket / this.segmentMs) * this.segmentMs;
  }

  /** Lookups see windows strictly within retention (Kafka Streams' fetch bound). */
  private visible(w: Window): boolean {
    return this.bucketOf(w) > this.meta.nb - this.spec.retentionMs;
  }

  /** Closed-window emission still sees a window exactly at the retention bound (measured in ksqlDB). */
  private emittable(w: Window): boolean {
    return this.bucketOf(w) >= this.meta.nb - this.spec.retentionMs;
  }

  get(encodedKey: string, w: Window): S | undefined {
    if (!this.visible(w)) return undefined;
    return this.store.get(windowStoreKey(encodedKey, w, this.spec.type)) as S | undefined;
  }

  /**
   * Stores a window's state (`key`: the unencoded key, handed to onExpire); a window already past
   * retention is not stored (Kafka Streams): then it returns false.
   */
  put(encodedKey: string, key: unknown, w: Window, state: S): boolean {
    const bucket = this.bucketOf(w);
    if (this.meta.nb >= 0 && bucket < this.meta.nb - this.spec.retentionMs) return false;
    const storeKey = windowStoreKey(encodedKey, w, this.spec.type);
    if (this.store.get(storeKey) === undefined) {
      this.append([encodedKey, w.start, w.end, key]);
      if (this.spec.type === 'session') {
        const sessions = this.sessionIndex(encodedKey);
        sessions.push([w.start, w.end]);
        sessions.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        this.store.put(sessionIndexKey(encodedKey), sessions);
      }
    }
    this.store.put(storeKey, state);
    if (bucket > this.meta.nb) {
      this.meta.nb = bucket;
      this.expire();
    }
    return true;
  }

  /** Deletes a window's state; its segment entry stays until the segment expires (skipped meanwhile). */
  remove(encodedKey: string, w: Window): void {
    const key = windowStoreKey(encodedKey, w, this.spec.type);
    if (this.store.get(key) === undefined) return;
    this.store.delete(key);
    if (this.spec.type === 'session') this.unindexSession(encodedKey, w);
  }

  /** Sessions only: the key's visible windows, by end then start. */
  windowsOf(encodedKey: string): StoredWindow<S>[] {
    return this.sessionIndex(encodedKey)
      .map(([start, end]) => ({ start, end }))
      .filter((w) => this.visible(w))
      .map((window) => ({ encodedKey, window, state: this.get(encodedKey, window)! }))
      .filter((s) => s.state !== undefined);
  }

  /** Visible windows whose bucket time is in [from, to], by bucket time then arrival. */
  inBuckets(from: number, to: number): StoredWindow<S>[] {
    const found = new Map<string, StoredWindow<S> & { bucket: number }>();
    for (const [segment, chunks] of this.meta.b) {
      if (segment > to || segment + this.segmentMs <= from) continue;
      for (const [encodedKey, start, end] of this.entries(segment, chunks)) {
        const window = { start, end };
        const bucket = this.bucketOf(window);
        if (bucket < from || bucket > to || !this.emittable(window)) continue;
        const storeKey = windowStoreKey(encodedKey, window, this.spec.type);
        const state = this.store.get(storeKey) as S | undefined;
        if (!state) continue;
        // a window removed and stored again has two entries: it counts at the later one
        found.delete(storeKey);
        found.set(storeKey, { encodedKey, window, state, bucket });
      }
    }
    return [...found.values()]
      .sort((a, b) => a.bucket - b.bucket)
      .map(({ encodedKey, window, state }) => ({ encodedKey, window, state }));
  }

  /** Deletes every segment whose bucket times are all past retention, with its windows. */
  private expire(): void {
    const limit = this.meta.nb - this.spec.retentionMs;
    const b = this.meta.b;
    while (b.length > 0 && b[0]![0] + this.segmentMs <= limit) {
      const [segment, chunks] = b.shift()!;
      for (const [encodedKey, start, end, key] of this.entries(segment, chunks)) {
        const w = { start, end };
        const storeKey = windowStoreKey(encodedKey, w, this.spec.type);
        // removed (merged) sessions left their entry behind
        if (this.spec.type === 'session' && this.store.get(storeKey) === undefined) continue;
        this.store.delete(storeKey);
        if (this.spec.type === 'session') this.unindexSession(encodedKey, w);
        this.onExpire?.(key, w);
      }
      for (let c = 0; c < chunks; c++) this.store.delete(chunkKey(segment, c));
    }
  }

  private *entries(segment: number, chunks: number): Iterable<BucketEntry> {
    for (let c = 0; c < chunks; c++)
      yield* (this.store.get(chunkKey(segment, c)) as BucketEntry[] | undefined) ?? [];
  }

  /** Adds a window's entry to the last chunk of its segment (a new chunk when that one is full). */
  private append(entry: BucketEntry): void {
    const segment = this.segmentOf(this.bucketOf({ start: entry[1], end: entry[2] }));
    const b = this.meta.b;
    let i = b.length;
    while (i > 0 && b[i - 1]![0] > segment) i--;
    let seg = b[i - 1];
    if (!seg || seg[0] !== segment) {
      seg = [segment, 0];
      b.splice(i, 0, seg);
    }
    const last = seg[1] - 1;
    const chunk = last >= 0 ? (this.store.get(chunkKey(segment, last)) as BucketEntry[]) : undefined;
    if (chunk && chunk.length < CHUNK) {
      chunk.push(entry);
      this.store.put(chunkKey(segment, last), chunk);
    } else {
      this.store.put(chunkKey(segment, seg[1]), [entry]);
      seg[1]++;
    }
  }

  /** A store written by an earlier version kept one entry list per bucket time: re-file them. */
  private migrate(): void {
    const legacy = this.meta.b as unknown as number[];
    this.meta.b = [];
    this.meta.v = 2;
    for (const t of legacy) {
      const entries = (this.store.get(legacyBucketKey(t)) as BucketEntry[] | undefined) ?? [];
      this.store.delete(legacyBucketKey(t));
      for (const entry of entries) this.append(entry);
    }
    this.save();
  }

  private sessionIndex(encodedKey: string): Array<[number, number]> {
    return (this.store.get(sessionIndexKey(encodedKey)) as Array<[number, number]> | undefined) ?? [];
  }

  private unindexSession(encodedKey: string, w: Window): void {
    const rest = this.sessionIndex(encodedKey).filter(([s, e]) => !(s === w.start && e === w.end));
    if (rest.length > 0) this.store.put(sessionIndexKey(encodedKey), rest);
    else this.store.delete(sessionIndexKey(encodedKey));
  }
}
