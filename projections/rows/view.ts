// How queries read a table projection's final rows (after having/select): from one store, by the
// encoded row key. Either the store holds the rows themselves (the rows store of joins and
// table selects), or the row is a pure function of another store's entry for the same key (an
// aggregate's group state), derived on read as Kafka Streams' value getters do: no second store,
// no second changelog. A windowed aggregate's rows derive from its window store, whose keys and
// meta are laid out otherwise (`windows`, window-rows.ts).
import { inRange, type KeyRange, type KeyValueStore, type StoreProvider } from '../store.ts';
import type { StoredFinalRow } from './recorder.ts';

export interface RowsView {
  /** The store queries read, keyed by the encoded row key (unless `windows` says otherwise). */
  store: string;
  /** True when rows are derived from another state (the store is not a rows store). */
  derived: boolean;
  /** True when some entries read as no row (`having`): counting rows must read their values. */
  hides: boolean;
  /** The final row held by a store entry, or null when the key has no row. */
  read(key: string, stored: unknown): StoredFinalRow | null;
  /** Windowed aggregates whose rows derive from the window store: how its keys map to row keys. */
  windows?: WindowRowsLayout;
}

/** Rows derived from a store whose keys are not row keys and whose rows depend on its meta. */
export interface WindowRowsLayout {
  /** A store range holding every row of a range of row keys (and more: filter by row key after). */
  storeRange(range: KeyRange): KeyRange;
  /** The store key of a row key, undefined when no entry can hold it. */
  storeKey(rowKey: string): string | undefined;
  /** Reads a store's entries as of its meta now: the row key and row of an entry, or null. */
  reader(
    get: (key: string) => unknown,
  ): (storeKey: string, stored: unknown) => [string, StoredFinalRow] | null;
}

/** The view of a rows store: each entry is the row. */
export function storedRowsView(store: string): RowsView {
  return { store, derived: false, hides: false, read: (_key, stored) => stored as StoredFinalRow };
}

/** The part of a store rows are read from. */
type ReadableStore = Pick<KeyValueStore, 'get' | 'scan'>;

/** The final row of one key, or undefined when it has none. */
export function readRow(stores: StoreProvider, view: RowsView, key: string): StoredFinalRow | undefined {
  return rowOfKey(stores.store(view.store), view, key);
}

/** The final row of one row key in the view's store, or undefined when it has none. */
export function rowOfKey(store: ReadableStore, view: RowsView, key: string): StoredFinalRow | undefined {
  const w = view.windows;
  const storeKey = w ? w.storeKey(key) : key;
  const stored = storeKey === undefined ? undefined : store.get(storeKey);
  if (stored === undefined) return undefined;
  const row = w ? w.reader((k) => store.get(k))(storeKey!, stored)?.[1] : view.read(key, stored);
  return row ?? undefined;
}

/** The final rows in key order (a range of row keys; `limit` counts rows, not entries). */
export async function* readRows(
  stores: StoreProvider,
  view: RowsView,
  range: KeyRange = {},
): AsyncIterable<[string, StoredFinalRow]> {
  yield* scanRows(stores.store(view.store), view, range);
}

/** scanRows over the view's store of one task (or of the pure engine). */
export async function* scanRows(
  store: ReadableStore,
  view: RowsView,
  range: KeyRange = {},
): AsyncIterable<[string, StoredFinalRow]> {
  const { limit, ...entries } = range;
  let n = 0;
  if (limit !== undefined && limit <= 0) return;
  const w = view.windows;
  const read = w ? w.reader((k) => store.get(k)) : undefined;
  const storeRange = w ? w.storeRange(entries) : view.hides ? entries : range;
  for await (const [key, stored] of store.scan(storeRange)) {
    const found = read ? read(key, stored) : ([key, view.read(key, stored)] as const);
    if (found === null || found[1] === null) continue;
    // a window store range holds more than the row keys asked for
    if (read && !inRange(found[0], entries)) continue;
    yield [found[0], found[1]];
    if (++n === limit) return;
  }
}
