// The window store: windowed group states kept in the operator's ordinary key-value store (so the
// runtime backs it with LevelDB and a changelog like any other), plus the bookkeeping that lets a
// synchronous operator find, close and expire windows without scanning:
//
//   m                          meta: stream time, newest bucket time, last emitted close time, segments
//   w\0<key>\0<start>…         one window's group state (keys.ts: a key's windows are contiguous)
//   x\0<segment>\0<chunk>      the time index (segments.ts): [key, start, end] per window
//   s\0<key>                   sessions only: the key's session windows, for merge lookups
//
// A window's bucket time is its start (time windows) or its end (sessions), as Kafka Streams
// segments them. Retention is measured from the newest bucket time in the store (not stream time),
// per window: a window whose bucket time is at or before `newest - retention` is invisible to
// lookups, can still be emitted as closed when exactly at that bound, and is deleted (a changelog
// tombstone in the runtime) with its whole segment, once every bucket time of the segment is before
// that bound. Removing a window (a merged session) deletes its state and leaves its index entry:
// entries whose state is gone are skipped, and leave with their segment.
import type { KeyValueStore } from '../store.ts';
import { type GroupOutputSpec, type GroupState, newGroup } from '../operators/group-output.ts';
import { windowStoreKey } from './keys.ts';
import { type Segment, SegmentIndex, segmentLength } from './segments.ts';
import type { Window, WindowSpec } from './spec.ts';

/** A window's group state; `g` is the group key (a store key does not decode back to it). */
export interface WindowState extends GroupState {
  g: unknown;
}

/** A new window's state: the aggregate's initial state and the group key. */
export function newWindowState(out: GroupOutputSpec, key: unknown): WindowState {
  const state = newGroup(out.inputs) as WindowState;
  state.g = key;
  return state;
}

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

export type BucketEntry = [encodedKey: string, start: number, end: number, key: unknown];

const SEP = '\u0000';
/** The store key of the window store's meta (also read by derived window rows, rows/window-rows.ts). */
export const META = 'm';
const legacyBucketKey = (t: number) => `x${SEP}${t}`;

/** The window store's stream time: the newest event time it has seen (-1: none yet). */
export function windowStreamTime(store: Pick<KeyValueStore<unknown>, 'get'>): number {
  return (store.get(META) as Meta | undefined)?.st ?? -1;
}
const sessionIndexKey = (encodedKey: string) => `s${SEP}${encodedKey}`;

export interface StoredWindow<S = WindowState> {
  encodedKey: string;
  window: Window;
  state: S;
}

/** What the store needs of a window definition (sessions also list each key's windows). */
export type WindowLayout = Pick<WindowSpec, 'type' | 'retentionMs'>;

/** Told of every window retention deletes (e.g. to drop its final row from a rows store too). */
export type OnExpire = (key: unknown, window: Window) => void;

export class WindowStore<S = WindowState> {
  readonly meta: Meta;
  private readonly index: SegmentIndex<BucketEntry>;

  constructor(
    private readonly store: KeyValueStore<any>,
    private readonly spec: WindowLayout,
    private readonly onExpire?: OnExpire,
  ) {
    this.meta = (store.get(META) as Meta | undefined) ?? { st: -1, nb: -1, le: -1, v: 2, b: [] };
    // an earlier version's meta lists bucket times, not segments
    const legacy = this.meta.v === 2 ? undefined : (this.meta.b as unknown as number[]);
    if (legacy) this.meta.b = [];
    this.index = new SegmentIndex(store, this.meta.b, segmentLength(spec.retentionMs));
    if (legacy) this.migrate(legacy);
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
   * What a `get` that returned `found` says of the stored window, for `put`: a visible window get
   * found nothing for is not stored; an invisible one may still be (undefined: put looks).
   */
  stored(w: Window, found: S | undefined): boolean | undefined {
    return found !== undefined ? true : this.visible(w) ? false : undefined;
  }

  /**
   * Stores a window's state (`key`: the unencoded key, handed to onExpire); a window already past
   * retention is not stored (Kafka Streams): then it returns false.
   */
  put(
    encodedKey: string,
    key: unknown,
    w: Window,
    state: S,
    /** Whether the window is stored already, when the caller knows (`stored`): saves a lookup. */
    stored?: boolean,
  ): boolean {
    const bucket = this.bucketOf(w);
    if (this.meta.nb >= 0 && bucket < this.meta.nb - this.spec.retentionMs) return false;
    const storeKey = windowStoreKey(encodedKey, w, this.spec.type);
    if (!(stored ?? this.store.get(storeKey) !== undefined)) {
      this.index.append(bucket, [encodedKey, w.start, w.end, key]);
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
    this.take(encodedKey, w);
  }

  /** Reads and deletes a window's state, visible or not (also re-filing a store in another layout). */
  take(encodedKey: string, w: Window): S | undefined {
    const key = windowStoreKey(encodedKey, w, this.spec.type);
    const state = this.store.get(key) as S | undefined;
    if (state === undefined) return undefined;
    this.store.delete(key);
    if (this.spec.type === 'session') this.unindexSession(encodedKey, w);
    return state;
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
    for (const [encodedKey, start, end] of this.index.overlapping(from, to)) {
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
    return [...found.values()]
      .sort((a, b) => a.bucket - b.bucket)
      .map(({ encodedKey, window, state }) => ({ encodedKey, window, state }));
  }

  /** Deletes every segment whose bucket times are all past retention, with its windows. */
  private expire(): void {
    this.index.expire(this.meta.nb - this.spec.retentionMs, (entries) => {
      for (const [encodedKey, start, end, key] of entries) {
        const w = { start, end };
        const storeKey = windowStoreKey(encodedKey, w, this.spec.type);
        // removed (merged) sessions left their entry behind
        if (this.spec.type === 'session' && this.store.get(storeKey) === undefined) continue;
        this.store.delete(storeKey);
        if (this.spec.type === 'session') this.unindexSession(encodedKey, w);
        this.onExpire?.(key, w);
      }
    });
  }

  /** Removes the time index and returns its entries (a join buffer re-filing an older layout). */
  drain(): BucketEntry[] {
    return this.index.drain();
  }

  /** A store written by an earlier version kept one entry list per bucket time: re-file them. */
  private migrate(legacy: number[]): void {
    this.meta.v = 2;
    for (const t of legacy) {
      const entries = (this.store.get(legacyBucketKey(t)) as BucketEntry[] | undefined) ?? [];
      this.store.delete(legacyBucketKey(t));
      for (const entry of entries)
        this.index.append(this.bucketOf({ start: entry[1], end: entry[2] }), entry);
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
