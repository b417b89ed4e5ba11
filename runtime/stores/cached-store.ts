// One named store of a task: a write cache over the task's LevelDB.
//
// Every cached key has one entry in one Map, whatever its state: dirty (written since the last
// commit was prepared), pending (prepared, waiting for the Kafka side to commit) or clean (read
// from LevelDB, or committed). A read is one Map lookup; a miss reads LevelDB with getSync. Writes
// only touch the entry, so a key updated a thousand times between commits costs one changelog
// record and one LevelDB write.
//
// Clean entries are bounded by a second-chance clock instead of an LRU: a hit only sets the
// entry's `referenced` bit, and eviction walks the Map from its oldest end, moving referenced
// (and dirty or pending) entries to the back with the bit cleared and dropping the others. An LRU
// kept in Map order costs a delete and a re-insert on every hit; the clock moves an entry at most
// once per eviction pass.
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

const CLEAN = 0;
const DIRTY = 1;
const PENDING = 2;

/** A cached key: its latest value (dirty, else pending, else as in LevelDB) and its state. */
interface Entry<V> {
  readonly key: string;
  slot: Slot<V>;
  state: typeof CLEAN | typeof DIRTY | typeof PENDING;
  /** Read since the clock last passed it: survives one more eviction pass. */
  referenced: boolean;
}

/** Eviction brings the clean entries down to this share of the limit, so it runs in chunks. */
const EVICT_TO = 0.9;

export type StateDb = ClassicLevel<string, Buffer>;

/** A row change ready for the changelog and for LevelDB: value null = delete. */
export interface PreparedRow {
  key: string;
  value: Buffer | null;
}

export class CachedStore<V = unknown> implements KeyValueStore<V> {
  private readonly entries = new Map<string, Entry<V>>();
  /** Entries written since the last prepare, in first-write order. */
  private dirty: Entry<V>[] = [];
  /** Entries of the prepared commit (some may have been written again since: state DIRTY). */
  private pending: Entry<V>[] = [];
  private pendingRows: PreparedRow[] = [];
  private cleanCount = 0;
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
    this.write(key, value);
  }

  delete(key: string): void {
    this.write(key, ABSENT);
  }

  /** Rows changed since the last prepare. */
  get dirtyCount(): number {
    return this.dirty.length;
  }

  get cachedCount(): number {
    return this.cleanCount;
  }

  /**
   * Moves the dirty rows to `pending`, encoded once for both the changelog and LevelDB.
   * Reads keep seeing them until `committed()` or `rollback()`.
   */
  prepare(): PreparedRow[] {
    if (this.pending.length > 0) throw new Error(`store ${this.name}: a commit is already pending`);
    const rows: PreparedRow[] = [];
    for (const e of this.dirty) {
      rows.push({ key: e.key, value: e.slot === ABSENT ? null : encodeValue(e.slot) });
      e.state = PENDING;
    }
    this.pending = this.dirty;
    this.pendingRows = rows;
    this.dirty = [];
    return rows;
  }

  /** Adds the pending rows to a LevelDB batch. */
  writePending(batch: { put(key: string, value: Buffer): void; del(key: string): void }): void {
    for (const r of this.pendingRows) {
      if (r.value === null) batch.del(this.prefix + r.key);
      else batch.put(this.prefix + r.key, r.value);
    }
  }

  /** The pending rows are now in LevelDB: those not written again since become clean entries. */
  committed(): void {
    for (const e of this.pending) {
      if (e.state !== PENDING) continue;
      e.state = CLEAN;
      this.cleanCount++;
    }
    this.pending = [];
    this.pendingRows = [];
    this.evictIfFull();
  }

  /** Forgets every uncommitted change: the store is back to what LevelDB holds. */
  rollback(): void {
    for (const e of this.pending) this.entries.delete(e.key);
    for (const e of this.dirty) this.entries.delete(e.key);
    this.dirty = [];
    this.pending = [];
    this.pendingRows = [];
  }

  /** Drops every cached row (after LevelDB was changed behind the cache, e.g. by a restore). */
  invalidate(): void {
    if (this.dirty.length > 0 || this.pending.length > 0)
      throw new Error(`store ${this.name}: uncommitted changes`);
    this.entries.clear();
    this.cleanCount = 0;
  }

  /** Committed LevelDB rows merged with the uncommitted ones, in key (UTF-8 byte) order. */
  async *scan(range: KeyRange = {}): AsyncIterable<[string, V]> {
    // Each entry holds its latest value, so pending entries written again show the dirty value.
    const overlay = new Map<string, Slot<V>>();
    for (const e of this.pending) overlay.set(e.key, e.slot);
    for (const e of this.dirty) overlay.set(e.key, e.slot);
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
    const e = this.entries.get(key);
    if (e !== undefined) {
      e.referenced = true;
      return e.slot;
    }
    const bytes = this.db.getSync(this.prefix + key);
    const slot = bytes === undefined ? ABSENT : decodeValue<V>(bytes);
    this.entries.set(key, { key, slot, state: CLEAN, referenced: false });
    this.cleanCount++;
    this.evictIfFull();
    return slot;
  }

  private write(key: string, slot: Slot<V>): void {
    const e = this.entries.get(key);
    if (e === undefined) {
      const created: Entry<V> = { key, slot, state: DIRTY, referenced: false };
      this.entries.set(key, created);
      this.dirty.push(created);
      return;
    }
    e.slot = slot;
    if (e.state === DIRTY) return;
    if (e.state === CLEAN) this.cleanCount--;
    e.state = DIRTY;
    this.dirty.push(e);
  }

  /**
   * The clock: from the oldest end, a referenced, dirty or pending entry goes to the back (bit
   * cleared), an unreferenced clean one is dropped, until the clean entries are down to
   * EVICT_TO of the limit. Every clean entry is dropped by its second visit at the latest, so the
   * walk ends; each move pays for at least one hit or write since the previous pass.
   */
  private evictIfFull(): void {
    if (this.cleanCount <= this.cleanLimit) return;
    const target = Math.floor(this.cleanLimit * EVICT_TO);
    for (const e of this.entries.values()) {
      if (this.cleanCount <= target) break;
      this.entries.delete(e.key);
      if (e.state === CLEAN && !e.referenced) this.cleanCount--;
      else {
        e.referenced = false;
        this.entries.set(e.key, e);
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
