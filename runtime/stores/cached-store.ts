// One named store of a task: a write cache over the task's LevelDB.
//
// Reads look, in order, at: `dirty` (written since the last commit was prepared), `pending`
// (prepared, waiting for the Kafka side to commit), `clean` (a bounded LRU of rows read from
// LevelDB) and finally LevelDB itself with getSync. Writes only touch `dirty`, so a key updated a
// thousand times between commits costs one changelog record and one LevelDB write.
//
// Values are shared by reference with the caller, as in MemoryStore: an operator that mutates a
// value it got must put it back, or the change never reaches the changelog.
import type { ClassicLevel } from 'classic-level';
import type { KeyRange, KeyValueStore } from '../../projections/store.ts';
import { inRange } from '../../projections/store.ts';
import { dataEnd, dataPrefix } from './key-spaces.ts';
import { decodeValue, encodeValue } from './value-codec.ts';

/** Marks a key known to be absent (deleted, or missing in LevelDB). */
const ABSENT: unique symbol = Symbol('absent');
type Slot<V> = V | typeof ABSENT;

export type StateDb = ClassicLevel<string, Buffer>;

/** A row change ready for the changelog and for LevelDB: value null = delete. */
export interface PreparedRow {
  key: string;
  value: Buffer | null;
}

export class CachedStore<V = unknown> implements KeyValueStore<V> {
  private dirty = new Map<string, Slot<V>>();
  private pending = new Map<string, Slot<V>>();
  private pendingRows: PreparedRow[] = [];
  private readonly clean = new Map<string, Slot<V>>();
  private readonly prefix: string;

  constructor(
    readonly name: string,
    private readonly db: StateDb,
    /** Most clean rows kept in memory; dirty rows are bounded by the commit interval instead. */
    private readonly cleanLimit: number,
  ) {
    this.prefix = dataPrefix(name);
  }

  get(key: string): V | undefined {
    const slot = this.lookup(key);
    return slot === ABSENT ? undefined : slot;
  }

  put(key: string, value: V): void {
    if (value === undefined) throw new Error(`store ${this.name}: put(${key}, undefined); use delete`);
    this.dirty.set(key, value);
    this.clean.delete(key);
  }

  delete(key: string): void {
    this.dirty.set(key, ABSENT);
    this.clean.delete(key);
  }

  /** Rows changed since the last prepare. */
  get dirtyCount(): number {
    return this.dirty.size;
  }

  get cachedCount(): number {
    return this.clean.size;
  }

  /**
   * Moves the dirty rows to `pending`, encoded once for both the changelog and LevelDB.
   * Reads keep seeing them until `committed()` or `rollback()`.
   */
  prepare(): PreparedRow[] {
    if (this.pending.size > 0) throw new Error(`store ${this.name}: a commit is already pending`);
    const rows: PreparedRow[] = [];
    for (const [key, slot] of this.dirty)
      rows.push({ key, value: slot === ABSENT ? null : encodeValue(slot) });
    this.pending = this.dirty;
    this.pendingRows = rows;
    this.dirty = new Map();
    return rows;
  }

  /** Adds the pending rows to a LevelDB batch. */
  writePending(batch: { put(key: string, value: Buffer): void; del(key: string): void }): void {
    for (const r of this.pendingRows) {
      if (r.value === null) batch.del(this.prefix + r.key);
      else batch.put(this.prefix + r.key, r.value);
    }
  }

  /** The pending rows are now in LevelDB: they become clean cache entries. */
  committed(): void {
    for (const [key, slot] of this.pending) if (!this.dirty.has(key)) this.remember(key, slot);
    this.pending = new Map();
    this.pendingRows = [];
  }

  /** Forgets every uncommitted change: the store is back to what LevelDB holds. */
  rollback(): void {
    this.dirty = new Map();
    this.pending = new Map();
    this.pendingRows = [];
  }

  /** Drops every cached row (after LevelDB was changed behind the cache, e.g. by a restore). */
  invalidate(): void {
    if (this.dirty.size > 0 || this.pending.size > 0)
      throw new Error(`store ${this.name}: uncommitted changes`);
    this.clean.clear();
  }

  /** Committed LevelDB rows merged with the uncommitted ones, in key (UTF-8 byte) order. */
  async *scan(range: KeyRange = {}): AsyncIterable<[string, V]> {
    const overlay = new Map<string, Slot<V>>(this.pending);
    for (const [k, v] of this.dirty) overlay.set(k, v);
    const dir = range.reverse ? -1 : 1;
    const overlayKeys = [...overlay.keys()]
      .filter((k) => inRange(k, range))
      .sort((a, b) => dir * compareUtf8(a, b));
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    let emitted = 0;
    let o = 0;
    const it = this.db.iterator(this.levelRange(range));
    try {
      for await (const [fullKey, bytes] of it) {
        const key = fullKey.slice(this.prefix.length);
        if (!inRange(key, range)) continue;
        // Emit the overlay keys that sort before this LevelDB key.
        for (; o < overlayKeys.length && dir * compareUtf8(overlayKeys[o]!, key) < 0; o++) {
          const k = overlayKeys[o]!;
          const slot = overlay.get(k)!;
          if (slot === ABSENT) continue;
          if (emitted++ >= limit) return;
          yield [k, slot];
        }
        let value: Slot<V>;
        if (o < overlayKeys.length && overlayKeys[o] === key) value = overlay.get(overlayKeys[o++]!)!;
        else value = decodeValue<V>(bytes);
        if (value === ABSENT) continue;
        if (emitted++ >= limit) return;
        yield [key, value];
      }
      for (; o < overlayKeys.length; o++) {
        const slot = overlay.get(overlayKeys[o]!)!;
        if (slot === ABSENT) continue;
        if (emitted++ >= limit) return;
        yield [overlayKeys[o]!, slot];
      }
    } finally {
      await it.close();
    }
  }

  private lookup(key: string): Slot<V> {
    let slot = this.dirty.get(key);
    if (slot !== undefined) return slot;
    slot = this.pending.get(key);
    if (slot !== undefined) return slot;
    slot = this.clean.get(key);
    if (slot !== undefined) {
      // Re-insert to keep Map order = least recently used first.
      this.clean.delete(key);
      this.clean.set(key, slot);
      return slot;
    }
    const bytes = this.db.getSync(this.prefix + key);
    slot = bytes === undefined ? ABSENT : decodeValue<V>(bytes);
    this.remember(key, slot);
    return slot;
  }

  private remember(key: string, slot: Slot<V>): void {
    this.clean.delete(key);
    this.clean.set(key, slot);
    if (this.clean.size > this.cleanLimit) {
      // Evict in chunks so the amortised cost per read stays O(1).
      const excess = this.clean.size - Math.floor(this.cleanLimit * 0.9);
      let n = 0;
      for (const k of this.clean.keys()) {
        if (n++ >= excess) break;
        this.clean.delete(k);
      }
    }
  }

  private levelRange(range: KeyRange): {
    gte?: string;
    gt?: string;
    lte?: string;
    lt?: string;
    reverse: boolean;
  } {
    const p = this.prefix;
    const r: { gte?: string; gt?: string; lte?: string; lt?: string; reverse: boolean } = {
      gte: p,
      lt: dataEnd(this.name),
      reverse: range.reverse ?? false,
    };
    if (range.prefix !== undefined) {
      r.gte = p + range.prefix;
      // U+10FFFF is the largest code point, so this bounds every key that starts with the prefix.
      r.lt = `${p}${range.prefix}\u{10FFFF}`;
    }
    if (range.gte !== undefined && p + range.gte > r.gte!) r.gte = p + range.gte;
    if (range.gt !== undefined && p + range.gt >= r.gte!) {
      delete r.gte;
      r.gt = p + range.gt;
    }
    if (range.lt !== undefined && p + range.lt < r.lt!) r.lt = p + range.lt;
    if (range.lte !== undefined && p + range.lte < r.lt!) {
      delete r.lt;
      r.lte = p + range.lte;
    }
    return r;
  }
}

/** LevelDB orders keys by their UTF-8 bytes; JS strings compare by UTF-16 units. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
