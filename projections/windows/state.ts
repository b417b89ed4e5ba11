// The window store: windowed group states kept in the operator's ordinary key-value store (so the
// runtime backs it with LevelDB and a changelog like any other), plus the bookkeeping that lets a
// synchronous operator find, close and expire windows without scanning:
//
//   m                      meta: stream time, newest window time in the store, last emitted close time, buckets
//   w\0<key>\0<start>…     one window's group state (keys.ts: a key's windows are contiguous)
//   x\0<bucket time>       the windows of one bucket: [encoded key, start, end][]
//   s\0<key>               sessions only: the key's session windows, for merge lookups
//
// A window's bucket time is its start (time windows) or its end (sessions), as Kafka Streams segments
// them. Retention is measured from the newest bucket time in the store (not stream time): a window
// whose bucket time is at or before `newest - retention` is invisible to lookups, can still be
// emitted as closed when exactly at that bound, and is deleted (a changelog tombstone in the
// runtime) once before it, the next time the store advances.
import type { KeyValueStore } from '../store.ts';
import type { GroupState } from '../operators/group-output.ts';
import { windowStoreKey } from './keys.ts';
import type { Window, WindowSpec } from './spec.ts';

/** A window's group state; `g` is the group key (a store key does not decode back to it). */
export interface WindowState extends GroupState {
  g: unknown;
}

interface Meta {
  /** Stream time: the highest record timestamp seen (-1: none yet). */
  st: number;
  /** Newest bucket time put in the store (-1: none); retention counts back from it. */
  nb: number;
  /** Close time of the last emit-final pass (-1: none). */
  le: number;
  /** Bucket times that hold windows, ascending. */
  b: number[];
}

type BucketEntry = [encodedKey: string, start: number, end: number, key: unknown];

const SEP = '\u0000';
const META = 'm';
const bucketKey = (t: number) => `x${SEP}${t}`;
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

  constructor(
    private readonly store: KeyValueStore<any>,
    private readonly spec: WindowLayout,
    private readonly onExpire?: OnExpire,
  ) {
    this.meta = (store.get(META) as Meta | undefined) ?? { st: -1, nb: -1, le: -1, b: [] };
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
   * Stores a window's state (`key`: the unencoded key, handed to onExpire); a window already past
   * retention is not stored (Kafka Streams): then it returns false.
   */
  put(encodedKey: string, key: unknown, w: Window, state: S): boolean {
    const bucket = this.bucketOf(w);
    if (this.meta.nb >= 0 && bucket < this.meta.nb - this.spec.retentionMs) return false;
    const storeKey = windowStoreKey(encodedKey, w, this.spec.type);
    if (this.store.get(storeKey) === undefined) {
      this.addToBucket(bucket, [encodedKey, w.start, w.end, key]);
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

  remove(encodedKey: string, w: Window): void {
    const key = windowStoreKey(encodedKey, w, this.spec.type);
    if (this.store.get(key) === undefined) return;
    this.store.delete(key);
    const bucket = this.bucketOf(w);
    const entries = (this.store.get(bucketKey(bucket)) as BucketEntry[] | undefined) ?? [];
    const rest = entries.filter((e) => !(e[0] === encodedKey && e[1] === w.start && e[2] === w.end));
    if (rest.length > 0) this.store.put(bucketKey(bucket), rest);
    else this.dropBucket(bucket);
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

  /** Visible windows whose bucket time is in [from, to], by bucket time. */
  inBuckets(from: number, to: number): StoredWindow<S>[] {
    const out: StoredWindow<S>[] = [];
    for (const bucket of this.meta.b) {
      if (bucket < from || bucket > to) continue;
      for (const [encodedKey, start, end] of (this.store.get(bucketKey(bucket)) as BucketEntry[]) ?? []) {
        const window = { start, end };
        if (!this.emittable(window)) continue;
        const state = this.store.get(windowStoreKey(encodedKey, window, this.spec.type)) as S | undefined;
        if (state) out.push({ encodedKey, window, state });
      }
    }
    return out;
  }

  /** Deletes every window past retention, a whole bucket at a time. */
  private expire(): void {
    const limit = this.meta.nb - this.spec.retentionMs;
    while (this.meta.b.length > 0 && this.meta.b[0]! < limit) {
      const bucket = this.meta.b[0]!;
      for (const [encodedKey, start, end, key] of (this.store.get(bucketKey(bucket)) as BucketEntry[]) ??
        []) {
        const w = { start, end };
        this.store.delete(windowStoreKey(encodedKey, w, this.spec.type));
        if (this.spec.type === 'session') this.unindexSession(encodedKey, w);
        this.onExpire?.(key, w);
      }
      this.dropBucket(bucket);
    }
  }

  private addToBucket(bucket: number, entry: BucketEntry): void {
    const entries = (this.store.get(bucketKey(bucket)) as BucketEntry[] | undefined) ?? [];
    if (entries.length === 0) {
      const b = this.meta.b;
      let i = b.length;
      while (i > 0 && b[i - 1]! > bucket) i--;
      b.splice(i, 0, bucket);
    }
    entries.push(entry);
    this.store.put(bucketKey(bucket), entries);
  }

  private dropBucket(bucket: number): void {
    this.store.delete(bucketKey(bucket));
    const i = this.meta.b.indexOf(bucket);
    if (i >= 0) this.meta.b.splice(i, 1);
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
