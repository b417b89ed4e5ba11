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
//
// Key filter (TaskStores turns it on): a Bloom filter of every key the store may hold (key-filter.ts)
// answers most reads of keys that are not there without LevelDB. It is built by a background scan
// of the store's key space once reads miss the cache, and kept a superset of the keys on disk:
// every write of a value adds its key, to the filter in use and to one being built; a build starts
// from the keys written but not yet in LevelDB (the scan's snapshot may lack them); writes behind
// the cache (a restore) drop it. Once as many keys were added as it was built with, it is rebuilt,
// so deleted keys leave it.
import type { ClassicLevel } from 'classic-level';
import type { KeyRange, KeyValueStore } from '../../projections/store.ts';
import { inRange } from '../../projections/store.ts';
import { KeyFilter } from './key-filter.ts';
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

/** LevelDB reads of uncached keys after which a store builds its key filter (a store read only now and then never does). */
const FILTER_AFTER_READS = 256;
/** The smallest filter, and the fewest keys added before a rebuild. */
const FILTER_MIN_KEYS = 65_536;
/** Keys a scan reads from LevelDB per step. */
const SCAN_STEP = 1000;

export interface CachedStoreOptions {
  /** Keep a key filter (see the header); needs a real database (a key scan). */
  keyFilter?: boolean;
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
  /** The key filter in use (null: none yet, or dropped), and the one a scan is filling. */
  private filter: KeyFilter | null = null;
  private building: KeyFilter | null = null;
  /** Bumped whenever a build must not be used any more (invalidate), and at each build. */
  private filterGeneration = 0;
  private unfilteredReads = 0;
  private keysAtBuild = 0;
  private addedSinceBuild = 0;
  /** LevelDB reads done, and reads the filter saved (for tests and benchmarks). */
  levelReads = 0;
  filteredReads = 0;

  constructor(
    readonly name: string,
    private readonly db: StateDb,
    /** Most clean rows kept in memory; dirty rows are bounded by the commit interval instead. */
    private readonly cleanLimit: number,
    private readonly options: CachedStoreOptions = {},
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
    this.filter = null;
    this.building = null;
    this.filterGeneration++;
    this.unfilteredReads = 0;
  }

  /** Whether a key filter answers reads now (tests). */
  get filtered(): boolean {
    return this.filter !== null;
  }

  /** Bytes of the key filters held (in use and being built). */
  get filterBytes(): number {
    return (this.filter?.bytes ?? 0) + (this.building?.bytes ?? 0);
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
    if (this.filter !== null) {
      // Not worth a cache entry: the filter answers again as fast as the cache would.
      if (!this.filter.mayContain(key)) {
        this.filteredReads++;
        return ABSENT;
      }
    } else if (
      this.options.keyFilter &&
      this.building === null &&
      ++this.unfilteredReads >= FILTER_AFTER_READS
    )
      this.buildFilter();
    this.levelReads++;
    const bytes = this.db.getSync(this.prefix + key);
    const slot = bytes === undefined ? ABSENT : decodeValue<V>(bytes);
    this.entries.set(key, { key, slot, state: CLEAN, referenced: false });
    this.cleanCount++;
    this.evictIfFull();
    return slot;
  }

  private write(key: string, slot: Slot<V>): void {
    const e = this.entries.get(key);
    // A key whose entry holds a value is in the filters already (read from LevelDB, or written).
    // Added once its entry is dirty: a build this starts takes the dirty keys first.
    const adds = slot !== ABSENT && (e === undefined || e.slot === ABSENT);
    if (e === undefined) {
      const created: Entry<V> = { key, slot, state: DIRTY, referenced: false };
      this.entries.set(key, created);
      this.dirty.push(created);
    } else {
      e.slot = slot;
      if (e.state !== DIRTY) {
        if (e.state === CLEAN) this.cleanCount--;
        e.state = DIRTY;
        this.dirty.push(e);
      }
    }
    if (adds) this.addToFilters(key);
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

  private addToFilters(key: string): void {
    this.building?.add(key);
    if (this.filter === null) return;
    this.filter.add(key);
    if (++this.addedSinceBuild > Math.max(this.keysAtBuild, FILTER_MIN_KEYS) && this.building === null)
      this.buildFilter();
  }

  /**
   * Starts filling a new filter from a scan of the store's LevelDB keys; it replaces the one in
   * use when the scan ends, unless the cache was invalidated meanwhile. Keys written but not yet
   * in LevelDB go in first; keys written during the scan are added by write().
   */
  private buildFilter(): void {
    const generation = ++this.filterGeneration;
    const filter = new KeyFilter(Math.max(FILTER_MIN_KEYS, this.keysAtBuild * 1.25));
    for (const e of this.entries.values()) if (e.state !== CLEAN && e.slot !== ABSENT) filter.add(e.key);
    this.building = filter;
    const done = (ok: boolean) => {
      if (generation !== this.filterGeneration) return;
      this.building = null;
      if (!ok) return;
      this.filter = filter;
      this.keysAtBuild = filter.added;
      this.addedSinceBuild = 0;
    };
    this.scanKeysInto(filter, generation).then(done, () => done(false));
  }

  private async scanKeysInto(filter: KeyFilter, generation: number): Promise<boolean> {
    const it = this.db.keys({ gte: this.prefix, lt: dataEnd(this.name) });
    try {
      const cut = this.prefix.length;
      for (;;) {
        if (generation !== this.filterGeneration) return false;
        const keys = await it.nextv(SCAN_STEP);
        if (keys.length === 0) return true;
        for (const k of keys) filter.add(k.slice(cut));
      }
    } finally {
      await it.close();
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
