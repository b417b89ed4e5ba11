// The store interface every operator works against, and its in-memory implementation.
// Reads and writes are synchronous on purpose: in the runtime they hit a per-task write cache
// first and LevelDB's getSync on a miss, so the hot path never pays a promise per event.
// Scans are async: only queries and tests scan; operators never do.

export interface KeyRange {
  /** Keys starting with this prefix. */
  prefix?: string;
  gte?: string;
  gt?: string;
  lte?: string;
  lt?: string;
  limit?: number;
  reverse?: boolean;
}

export interface KeyValueStore<V = unknown> {
  get(key: string): V | undefined;
  put(key: string, value: V): void;
  delete(key: string): void;
  scan(range?: KeyRange): AsyncIterable<[string, V]>;
}

/** Gives each operator the store it declared, by name. */
export interface StoreProvider {
  store<V = unknown>(name: string): KeyValueStore<V>;
}

export class MemoryStore<V = unknown> implements KeyValueStore<V> {
  private readonly data = new Map<string, V>();

  get(key: string): V | undefined {
    return this.data.get(key);
  }
  put(key: string, value: V): void {
    this.data.set(key, value);
  }
  delete(key: string): void {
    this.data.delete(key);
  }
  get size(): number {
    return this.data.size;
  }
  entries(): IterableIterator<[string, V]> {
    return this.data.entries();
  }
  async *scan(range: KeyRange = {}): AsyncIterable<[string, V]> {
    const keys = [...this.data.keys()].filter((k) => inRange(k, range)).sort();
    if (range.reverse) keys.reverse();
    const limit = range.limit ?? Number.POSITIVE_INFINITY;
    for (let i = 0; i < keys.length && i < limit; i++) {
      const k = keys[i]!;
      yield [k, this.data.get(k)!];
    }
  }
}

export function inRange(key: string, r: KeyRange): boolean {
  if (r.prefix !== undefined && !key.startsWith(r.prefix)) return false;
  if (r.gte !== undefined && key < r.gte) return false;
  if (r.gt !== undefined && key <= r.gt) return false;
  if (r.lte !== undefined && key > r.lte) return false;
  if (r.lt !== undefined && key >= r.lt) return false;
  return true;
}

export class MemoryStoreProvider implements StoreProvider {
  readonly stores = new Map<string, MemoryStore<any>>();
  store<V = unknown>(name: string): KeyValueStore<V> {
    let s = this.stores.get(name);
    if (!s) {
      s = new MemoryStore<V>();
      this.stores.set(name, s);
    }
    return s as MemoryStore<V>;
  }
}
