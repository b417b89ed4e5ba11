// How queries read a table projection's final rows (after having/select): from one store, by the
// encoded row key. Either the store holds the rows themselves (the rows store of joins and
// table selects), or the row is a pure function of another store's entry for the same key (an
// aggregate's group state), derived on read as Kafka Streams' value getters do: no second store,
// no second changelog.
import type { KeyRange, StoreProvider } from '../store.ts';
import type { StoredFinalRow } from './recorder.ts';

export interface RowsView {
  /** The store queries read, keyed by the encoded row key. */
  store: string;
  /** True when rows are derived from another state (the store is not a rows store). */
  derived: boolean;
  /** True when some entries read as no row (`having`): counting rows must read their values. */
  hides: boolean;
  /** The final row held by a store entry, or null when the key has no row. */
  read(key: string, stored: unknown): StoredFinalRow | null;
}

/** The view of a rows store: each entry is the row. */
export function storedRowsView(store: string): RowsView {
  return { store, derived: false, hides: false, read: (_key, stored) => stored as StoredFinalRow };
}

/** The final row of one key, or undefined when it has none. */
export function readRow(stores: StoreProvider, view: RowsView, key: string): StoredFinalRow | undefined {
  const stored = stores.store(view.store).get(key);
  return stored === undefined ? undefined : (view.read(key, stored) ?? undefined);
}

/** The final rows in key order (a range of the store; `limit` counts rows, not entries). */
export async function* readRows(
  stores: StoreProvider,
  view: RowsView,
  range: KeyRange = {},
): AsyncIterable<[string, StoredFinalRow]> {
  const { limit, ...entries } = range;
  let n = 0;
  if (limit !== undefined && limit <= 0) return;
  for await (const [key, stored] of stores.store(view.store).scan(view.hides ? entries : range)) {
    const row = view.read(key, stored);
    if (row === null) continue;
    yield [key, row];
    if (++n === limit) return;
  }
}
